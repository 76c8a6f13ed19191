"""Selling: carts, pricing, promo codes and certificates, orders and their state machine."""
