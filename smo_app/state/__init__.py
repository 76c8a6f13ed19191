"""Thin Reflex states: parse input → call a service → set vars → toast (ARCHITECTURE rule 9)."""
