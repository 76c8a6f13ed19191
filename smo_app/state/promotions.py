"""/admin/promotions (CR4–CR6): promo codes with stats, gift certificates (who redeemed when),
tracking links with clicks, unique users and conversion."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app import formats

from smo_app.services.customers import tracking
from smo_app.services.sales import promotion_forms, promotions
from smo_app.state.ops import money_text
from smo_app.state.session import SessionState, said, toast
from smo_app.state.wheel_admin import WheelAdminState

PAGE_SIZE = 25


class PromoLine(TypedDict):
    id: int
    code: str
    pct: int
    used: str
    expires: str
    once: bool
    active: bool
    stats: str
    limit: str  # the edit form's values
    expires_day: str  # YYYY-MM-DD in shop time, "" without expiry (an unchanged day keeps the stored moment)
    orders: int  # orders that used it: then its text stays and it cannot be deleted


class PromoDelete(TypedDict):
    id: int
    code: str
    orders: int
    active: bool


class CertLine(TypedDict):
    id: int
    code: str
    face: str
    status: str
    expires: str
    redeemed: str


class LinkLine(TypedDict):
    id: int
    title: str
    url: str
    clicks: int
    unique: int
    new: int
    buyers: str
    conversion: str
    archived: bool


class PromotionsState(SessionState):
    tab: str = "promo"
    promos: list[PromoLine] = []
    certs: list[CertLine] = []
    links: list[LinkLine] = []
    show_archived: bool = False
    promo_error: str = ""
    cert_error: str = ""
    link_error: str = ""
    promo_page: int = 1
    cert_page: int = 1
    link_page: int = 1
    promo_more: bool = False
    cert_more: bool = False
    link_more: bool = False
    promo_once: bool = False
    promo_editing: int = 0  # the code whose edit form is open
    promo_delete: PromoDelete = PromoDelete(id=0, code="", orders=0, active=False)  # asking before deleting
    _stats: dict[int, str] = {}

    @rx.event
    async def load(self):
        self._stats = {}
        await self._load_promos()
        await self._load_certs()
        await self._load_links()
        return WheelAdminState.load_wheel  # the reward wheel's tab

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    @staticmethod
    def _page(items: list) -> tuple[list, bool]:
        """A page the service read with one row more: (the page, whether another follows)."""
        return items[:PAGE_SIZE], len(items) > PAGE_SIZE

    # -- promo codes -------------------------------------------------------------------------
    async def _load_promos(self) -> None:
        out = await self.call(promotions.list_promos, readonly=True, page=self.promo_page, page_size=PAGE_SIZE)
        if not out.ok:
            self.promo_error = out.error
            return
        items = out.value
        if not items and self.promo_page > 1:  # the last code of this page was deleted
            self.promo_page -= 1
            await self._load_promos()
            return
        page, self.promo_more = self._page(items)
        self.promos = [PromoLine(id=p.id, code=p.code, pct=p.pct,
                                 used=f"{p.used_count} / {p.usage_limit}" if p.usage_limit else str(p.used_count),
                                 expires=self.shop_day(p.expires_at) if p.expires_at else "—",
                                 once=p.once_per_customer, active=p.active, stats=self._stats.get(p.id, ""),
                                 limit=str(p.usage_limit or ""),
                                 expires_day=self.shop_time(p.expires_at, "%Y-%m-%d") if p.expires_at else "",
                                 orders=p.orders)
                       for p in page]

    @rx.event
    def set_promo_once(self, value: bool):
        self.promo_once = bool(value)

    @staticmethod
    def _terms(form: dict) -> dict[str, str]:
        """The form's discount, limit and expiry day as typed (the service reads them)."""
        return {k: str(form.get(k, "")).strip() for k in ("pct", "limit", "expires")}

    @rx.event
    async def create_promo(self, form: dict):
        out = await self.call(promotion_forms.create_promo_as_typed, code=str(form.get("code", "")),
                              once_per_customer=self.promo_once, **self._terms(form))
        self.promo_error = out.error
        if not out.ok:
            return None
        self.promo_once = False
        await self._load_promos()
        return [rx.set_value("promo-code", ""), said(self.text("ui.promo.created", code=out.value.code))]

    @rx.event
    def edit_promo(self, promo_id: int):
        self.promo_editing = int(promo_id) if int(promo_id) != self.promo_editing else 0
        self.promo_error = ""

    @rx.event
    def cancel_edit_promo(self):
        self.promo_editing = 0

    @rx.event
    async def save_promo(self, form: dict):
        if not any(p["id"] == self.promo_editing for p in self.promos):
            self.promo_editing = 0
            return None
        out = await self.call(promotion_forms.update_promo_as_typed, promo_id=self.promo_editing,
                              code=str(form.get("code", "")), **self._terms(form),
                              once_per_customer=str(form.get("once", "")).lower() in ("on", "true", "1"))
        self.promo_error = out.error
        if not out.ok:
            return None
        self.promo_editing = 0
        await self._load_promos()
        return said(self.text("ui.promo.saved", code=out.value.code))

    @rx.event
    def ask_delete_promo(self, promo_id: int):
        line = next((p for p in self.promos if p["id"] == int(promo_id)), None)
        if line is not None:
            self.promo_delete = PromoDelete(id=line["id"], code=line["code"], orders=line["orders"],
                                            active=line["active"])

    @rx.event
    def cancel_delete_promo(self):
        self.promo_delete = PromoDelete(id=0, code="", orders=0, active=False)

    @rx.event
    async def delete_promo(self):
        promo_id = self.promo_delete["id"]
        self.cancel_delete_promo()
        if not promo_id:
            return None
        out = await self.call(promotions.delete_promo, promo_id=promo_id)
        self.promo_error = out.error
        if not out.ok:
            await self._load_promos()
            return None
        if self.promo_editing == promo_id:
            self.promo_editing = 0
        await self._load_promos()
        return said(self.text("ui.promo.deleted", code=out.value))

    @rx.event
    async def switch_off_instead(self):
        """The code was used: it stays (with its orders' history) but no longer applies."""
        promo_id = self.promo_delete["id"]
        self.cancel_delete_promo()
        return await self._set_active(promo_id, False) if promo_id else None

    @rx.event
    async def toggle_promo(self, promo_id: int, active: bool):
        return await self._set_active(int(promo_id), bool(active))

    async def _set_active(self, promo_id: int, active: bool):
        out = await self.call(promotions.set_promo_active, promo_id=promo_id, active=active)
        if not out.ok:
            return toast(out)
        await self._load_promos()
        return None if active else said(self.text("ui.promo.switched_off", code=out.value.code))

    @rx.event
    async def promo_stats(self, promo_id: int):
        out = await self.call(promotions.promo_stats, readonly=True, promo_id=int(promo_id))
        if not out.ok:
            return toast(out)
        st = out.value
        self._stats[int(promo_id)] = self.text("ui.promo.stats_line", uses=st.uses, customers=st.customers,
                                               discount=money_text(self, st.discount_minor))
        await self._load_promos()
        return None

    @rx.event
    async def promo_go(self, delta: int):
        self.promo_page = max(1, self.promo_page + int(delta))
        await self._load_promos()

    # -- certificates ------------------------------------------------------------------------
    async def _load_certs(self) -> None:
        out = await self.call(promotions.list_certificates, readonly=True, page=self.cert_page, page_size=PAGE_SIZE)
        if not out.ok:
            self.cert_error = out.error
            return
        page, self.cert_more = self._page(out.value)
        self.certs = [CertLine(
            id=c.id, code=c.code, face=money_text(self, c.face_minor), status=self.text(f"ui.cert.status.{c.status}"),
            expires=self.shop_day(c.expires_at) if c.expires_at else "—",
            redeemed=(self.text("ui.cert.redeemed_by", customer=c.redeemed_by_name or "—",
                                when=self.shop_time(c.redeemed_at), order=c.order_id or "—") if c.redeemed_at else ""),
        ) for c in page]

    @rx.event
    async def create_certificate(self, form: dict):
        out = await self.call(promotion_forms.create_certificate_as_typed, face=str(form.get("face", "")),
                              code=str(form.get("code", "")), days=str(form.get("days", "")))
        self.cert_error = out.error
        if not out.ok:
            return None
        await self._load_certs()
        return [rx.set_value("cert-face", ""), rx.set_value("cert-code", ""),
                said(self.text("ui.cert.created", code=out.value.code))]

    @rx.event
    async def cert_go(self, delta: int):
        self.cert_page = max(1, self.cert_page + int(delta))
        await self._load_certs()

    # -- tracking links ----------------------------------------------------------------------
    async def _load_links(self) -> None:
        out = await self.call(tracking.list_links, readonly=True, include_archived=self.show_archived,
                              page=self.link_page, page_size=PAGE_SIZE)
        if not out.ok:
            self.link_error = out.error
            return
        page, self.link_more = self._page(out.value)
        lang = self.ui_lang_value()
        self.links = [LinkLine(id=lk.id, title=lk.title, url=lk.url, clicks=lk.clicks, unique=lk.unique_users,
                               new=lk.new_users, buyers="—" if lk.buyers is None else str(lk.buyers),
                               conversion="—" if lk.conversion_pct is None else formats.percent(lk.conversion_pct, lang),
                               archived=lk.archived) for lk in page]

    @rx.event
    async def set_show_archived(self, value: bool):
        self.show_archived, self.link_page = bool(value), 1
        await self._load_links()

    @rx.event
    async def create_link(self, form: dict):
        out = await self.call(tracking.create_link, title=str(form.get("title", "")),
                              code=str(form.get("code", "")).strip() or None)
        self.link_error = out.error
        if not out.ok:
            return None
        await self._load_links()
        return [rx.set_value("link-title", ""), rx.set_value("link-code", ""),
                said(self.text("ui.link.created", url=out.value.url))]

    @rx.event
    async def archive_link(self, link_id: int):
        out = await self.call(tracking.archive_link, link_id=int(link_id))
        if not out.ok:
            return toast(out)
        await self._load_links()
        return None

    @rx.event
    async def link_go(self, delta: int):
        self.link_page = max(1, self.link_page + int(delta))
        await self._load_links()
