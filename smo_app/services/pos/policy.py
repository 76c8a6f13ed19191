"""Discount policy (PO5): the largest line discount each role gives by itself, the bonus spend cap."""
from __future__ import annotations

from smo_app.models.staff import Role
from smo_app.money import pct_floor
from smo_app.services.core.actor import Actor
from smo_app.services.core.shop_config import ShopConfig


def max_discount_pct(cfg: ShopConfig, actor: Actor) -> int:
    """Owners (and the system) are not limited; other roles by the settings."""
    if actor.is_system or actor.role == Role.owner:
        return 100
    return {
        Role.admin: cfg.pos_max_discount_admin_pct,
        Role.manager: cfg.pos_max_discount_manager_pct,
        Role.seller: cfg.pos_max_discount_seller_pct,
    }.get(actor.role, 0)


def bonus_cap_minor(cfg: ShopConfig, payable_minor: int) -> int:
    """The most bonuses a sale of ``payable_minor`` (after discounts) may take without approval."""
    return pct_floor(max(payable_minor, 0), cfg.pos_bonus_spend_cap_pct)


def needs_approval(cfg: ShopConfig, actor: Actor, *, discount_pct: int, bonus_minor: int, payable_minor: int) -> bool:
    return discount_pct > max_discount_pct(cfg, actor) or bonus_minor > bonus_cap_minor(cfg, payable_minor)
