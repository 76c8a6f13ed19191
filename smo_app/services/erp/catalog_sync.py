"""Applying what MoySklad says to our catalog and stock (IN3), page by page, inside the caller's
transaction (no commit here; :mod:`runs` commits each page).

Matching: a MoySklad item is the product/variant it was linked to before (by its MoySklad id); else
the one of ours with one of its barcodes; else the one whose SKU is its ``code``; else it is new.
A MoySklad product without variants is one product of ours with one (default) variant; a product
with variants is one product of ours, each MoySklad variant a variant under it. Services and bundles
are not goods on a shelf and are left out.

MoySklad owns names, prices, barcodes, weights and stock; descriptions unless the shop owns them
(a setting). The price is the price type chosen in the settings (the first of ``salePrices`` by
default). New items come for sale, or hidden (a setting). An item archived in MoySklad is hidden
here; one deleted there is archived (hidden) here if it has orders, deleted (our soft delete)
otherwise — never removed.

Stock: the target is MoySklad's free stock (physical stock less its reserves, which include our
pushed orders) less the units our orders hold that MoySklad does not know yet; it is reached with a
``sync`` move through the stock ledger (rows locked, so a checkout running at the same moment is
counted, never sold twice); an item new here opens with its stock in the same bulk write (the
ledger's ``insert_variants``: one ``sync`` move each). The report is read before the first page, and
each page's items are brought to it with the page. On a full pull an item missing from the stock
report has 0. When
MoySklad has less than our orders need, our orders stand: the item goes to 0 here and a dead letter
with a staff alert names the conflict.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from integrations.ports.erp import ErpItem, ErpStock
from smo_app.i18n import t
from smo_app.models.catalog import Category, Product, Variant
from smo_app.models.erp import ErpItemLink, ErpOrderPush
from smo_app.models.integrations import DeadLetter
from smo_app.models.orders import Order, OrderLine, OrderStatus
from smo_app.models.staff import Role
from smo_app.models.stock import MoveKind
from smo_app.services.core.actor import Actor
from smo_app.services.core.bulk import insert_many
from smo_app.services.erp.connection import PROVIDER, Effective
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.messaging import outbox
from smo_app.services.stock import ledger
from smo_app.text_fold import fold

GOODS = ("product", "variant")
_P, _V, _L = Product.__table__, Variant.__table__, ErpItemLink.__table__
HOLDING = (OrderStatus.new, OrderStatus.paid, OrderStatus.processing, OrderStatus.shipped, OrderStatus.delivered,
           OrderStatus.completed)
CONFLICT = "erp.stock_conflict"
MOVE_COMMENT = "МойСклад"
EMPTY_LIST: list = []  # every new product row's empty JSON list: one object, serialized once a page


@dataclass
class Link:
    id: int
    product_id: int
    variant_id: int | None
    archived: bool
    gone: bool
    erp_qty: float | None = None


@dataclass
class Counts:
    seen: int = 0
    created: int = 0
    updated: int = 0
    archived: int = 0
    stock_changed: int = 0
    conflicts: int = 0
    seen_ids: set[str] = field(default_factory=set)


class CatalogApplier:
    def __init__(self, session: Session, *, conn: Effective, actor: Actor, now: datetime,
                 fetch_parent: Callable[[str], ErpItem | None] | None = None) -> None:
        self.s = session
        self.conn = conn
        self.actor = actor
        self.now = now
        self.fetch_parent = fetch_parent
        self.counts = Counts()
        self._report: dict[str, float] | None = None
        self._report_full = False
        self._epoch: datetime | None = None
        self._pending_stock: list[str] = []  # seen on pages applied, not yet brought to the report
        self._stock_done: set[str] = set()
        self._opened: dict[str, float] = {}  # new variants opened with the report's stock: their link's erp_qty
        self.links: dict[str, Link] = {}
        self._loaded = False
        self._indexed = False  # the shop's SKUs and barcodes, read when first needed (a linked catalog rarely does)
        self.by_barcode: dict[str, tuple[int, int]] = {}
        self.by_sku: dict[str, tuple[int, int]] = {}
        self.codes_taken: set[str] = set()
        self.barcodes_taken: set[str] = set()
        self.categories: dict[str, int] = {}

    def load(self) -> None:
        """Read the links and categories (once; every entry point does it: a pull does it early, while
        its first requests are on their way)."""
        if self._loaded:
            return
        self._loaded = True
        self.links = {
            r.external_id: Link(r.id, r.product_id, r.variant_id, r.archived, r.gone, r.erp_qty)
            for r in self.s.execute(select(_L.c.id, _L.c.external_id, _L.c.product_id, _L.c.variant_id, _L.c.archived,
                                           _L.c.gone, _L.c.erp_qty).where(_L.c.provider == PROVIDER)).all()}
        self.categories = {name: cid for cid, name in self.s.execute(select(Category.__table__.c.id,
                                                                            Category.__table__.c.name)).all()}

    def _index(self) -> None:
        """The SKUs and barcodes in use, and the variants not linked yet by barcode and by SKU (to match)."""
        if self._indexed:
            return
        self.load()
        self._indexed = True
        linked_variants = {lk.variant_id for lk in self.links.values() if lk.variant_id}
        for vid, pid, sku, barcode in self.s.execute(select(_V.c.id, _V.c.product_id, _V.c.sku, _V.c.barcode)).all():
            if sku:
                self.codes_taken.add(sku)
            if barcode:
                self.barcodes_taken.add(barcode)
            if vid in linked_variants:
                continue
            if barcode:
                self.by_barcode[barcode] = (vid, pid)
            if sku:
                self.by_sku[sku] = (vid, pid)

    # ---- assortment -----------------------------------------------------------------------------
    def apply(self, items: Iterable[ErpItem]) -> None:
        self.load()
        goods = [i for i in items if i.type in GOODS]
        self.counts.seen += len(goods)
        self.counts.seen_ids.update(i.id for i in goods)
        self._pending_stock.extend(i.id for i in goods)
        parents = [i for i in goods if i.type == "product"]
        variants = [i for i in goods if i.type == "variant"]
        self._apply_products(parents)
        missing = {v.parent_id for v in variants if v.parent_id and v.parent_id not in self.links}
        if missing and self.fetch_parent is not None:  # an incremental page may bring a variant without its product
            fetched = [p for p in (self.fetch_parent(pid) for pid in sorted(missing)) if p is not None]
            self._apply_products(fetched)
        self._apply_variants([v for v in variants if v.parent_id in self.links])

    def _price(self, item: ErpItem) -> int | None:
        return item.price(self.conn.price_type or None)

    def _match(self, item: ErpItem) -> tuple[int, int] | None:
        self._index()
        for code in item.barcodes:
            found = self.by_barcode.pop(code, None)
            if found:
                return found
        if item.code and item.code in self.by_sku:
            return self.by_sku.pop(item.code)
        return None

    def _category(self, folder: str) -> int | None:
        name = (folder.rsplit("/", 1)[-1] if folder else "").strip()[:128]
        if not name:
            return None
        if name not in self.categories:
            cat = Category(name=name, position=len(self.categories))
            self.s.add(cat)
            self.s.flush()
            self.categories[name] = cat.id
        return self.categories[name]

    def _free_code(self, code: str | None) -> str | None:
        self._index()
        code = (code or "").strip()[:64] or None
        if code is None or code in self.codes_taken:
            return None
        self.codes_taken.add(code)
        return code

    def _free_barcode(self, codes: list[str]) -> str | None:
        self._index()
        for code in codes:
            code = code.strip()[:64]
            if code and code not in self.barcodes_taken:
                self.barcodes_taken.add(code)
                return code
        return None

    def _apply_products(self, items: list[ErpItem]) -> None:
        new, matched, known = [], [], []
        for item in items:
            if item.id in self.links:
                known.append(item)
                continue
            found = self._match(item) if not item.variants_count else None
            (matched if found else new).append((item, found))
        for item, (vid, pid) in matched:
            self._link(item, pid, vid)
            known.append(item)
        if new:
            self._create_products([i for i, _ in new])
        self._update(known)

    def _create_products(self, items: list[ErpItem]) -> None:
        now = self.now
        rows = [{"category_id": self._category(i.folder), "name": (i.name or i.code or i.id)[:200],
                 "search_key": fold(i.name or i.code or i.id)[:200], "description": i.description[:5000],
                 "details": "", "base_price_minor": max(0, self._price(i) or 0), "unit": "шт", "discount_pct": 0,
                 "position": 0, "hidden": self.conn.new_items_hidden or i.archived, "suspended": False,
                 "deleted": False, "cross_sell": EMPTY_LIST, "low_stock_threshold": 3, "photos": EMPTY_LIST,
                 "created_at": now, "updated_at": now} for i in items]
        ids = insert_many(self.s, _P, rows)
        sellable = [(i, pid) for i, pid in zip(items, ids) if not i.variants_count]
        vids = self._insert_variants([(i, pid, True) for i, pid in sellable])
        variant_of = dict(zip([i.id for i, _ in sellable], vids))
        self._insert_links([(i, pid, variant_of.get(i.id)) for i, pid in zip(items, ids)])
        self.counts.created += len(items)

    def _insert_variants(self, rows: list[tuple[ErpItem, int, bool]]) -> list[int]:
        """New variants, each opening with its stock from the report when the report is in (one bulk
        path through the ledger: no second write to bring them to it)."""
        if not rows:
            return []
        openings = [self._opening(i) for i, _, _ in rows]
        values = [{"product_id": pid, "label": "" if default else i.variant_label, "price_minor": max(0, self._price(i) or 0),
                   "weight_g": i.weight_g, "position": 0, "is_default": default, "wholesale_price_minor": None,
                   "wholesale_min_qty": 1, "sku": self._free_code(i.code), "barcode": self._free_barcode(i.barcodes),
                   "qty": opening[0] if opening else 0, "avg_cost_minor": 0, "active": not i.archived}
                  for (i, pid, default), opening in zip(rows, openings)]
        for v in values:  # the search key the ORM would keep (these rows go in as Core rows)
            v["search_key"] = fold(v["label"], v["sku"], v["barcode"])[:200]
        ids = ledger.insert_variants(self.s, actor=self.actor, rows=values, kind=MoveKind.sync, comment=MOVE_COMMENT,
                                     now=self.now)
        for (i, _, _), opening in zip(rows, openings):
            if opening is not None:
                self._opened[i.id] = opening[1]
                self._stock_done.add(i.id)
                self.counts.stock_changed += opening[0] != 0
        return ids

    def _opening(self, item: ErpItem) -> tuple[int, float] | None:
        """(quantity, the report's figure) a new variant of ``item`` opens with, or None when the
        report is not in or does not name it (left to the usual path, as is stock below zero, whose
        conflict that path names). A new variant has no orders holding it."""
        if self._report is None:
            return None
        qty = self._report.get(item.id)
        if qty is None:
            if not self._report_full:
                return None
            qty = 0.0  # the report leaves zeros out: whatever it does not list has 0
        have = math.floor(qty + 1e-9)
        return (have, qty) if have >= 0 else None

    def _insert_links(self, rows: list[tuple[ErpItem, int, int | None]]) -> None:
        if not rows:
            return
        values = [{"provider": PROVIDER, "external_id": i.id, "external_type": i.type, "parent_external_id": i.parent_id,
                   "product_id": pid, "variant_id": vid, "erp_qty": self._opened.get(i.id), "archived": i.archived,
                   "gone": False, "updated_at": self.now} for i, pid, vid in rows]
        ids = insert_many(self.s, _L, values)
        for (i, pid, vid), lid in zip(rows, ids):
            self.links[i.id] = Link(lid, pid, vid, i.archived, False, self._opened.pop(i.id, None))

    def _link(self, item: ErpItem, pid: int, vid: int | None) -> None:
        self._insert_links([(item, pid, vid)])

    def _apply_variants(self, items: list[ErpItem]) -> None:
        new, known = [], []
        for item in items:
            if item.id in self.links:
                known.append(item)
                continue
            found = self._match(item)
            if found:
                self._link(item, found[1], found[0])
                known.append(item)
            else:
                new.append(item)
        if new:
            vids = self._insert_variants([(i, self.links[i.parent_id].product_id, False) for i in new])
            self._insert_links([(i, self.links[i.parent_id].product_id, vid) for i, vid in zip(new, vids)])
            self.counts.created += len(new)
        self._update(known)

    def _update(self, items: list[ErpItem]) -> None:
        """Bring linked products and variants to what MoySklad says; only what differs is written."""
        if not items:
            return
        links = {i.id: self.links[i.id] for i in items}
        pids = sorted({lk.product_id for lk in links.values()})
        vids = sorted({lk.variant_id for lk in links.values() if lk.variant_id})
        products = {r.id: r for r in self.s.execute(select(_P.c.id, _P.c.name, _P.c.description, _P.c.base_price_minor,
                                                           _P.c.hidden, _P.c.deleted).where(_P.c.id.in_(pids))).all()}
        variants = {r.id: r for r in self.s.execute(select(_V.c.id, _V.c.label, _V.c.price_minor, _V.c.weight_g,
                                                           _V.c.sku, _V.c.barcode, _V.c.active, _V.c.is_default)
                                                    .where(_V.c.id.in_(vids))).all()} if vids else {}
        p_updates, v_updates, link_updates = {}, [], []
        for item in items:
            link = links[item.id]
            price = self._price(item)
            changed = False
            if item.type == "product":
                p = products.get(link.product_id)
                if p is None:
                    continue
                want = {"name": (item.name or p.name)[:200]}
                if price is not None:
                    want["base_price_minor"] = max(0, price)
                if not self.conn.shop_owns_descriptions:
                    want["description"] = item.description[:5000]
                if item.archived != link.archived or link.gone:
                    want["hidden"] = item.archived
                    if link.gone and p.deleted:
                        want["deleted"] = False
                    self.counts.archived += item.archived and not link.archived
                diff = {k: v for k, v in want.items() if getattr(p, k) != v}
                if "name" in diff:
                    diff["search_key"] = fold(diff["name"])[:200]
                if diff:
                    p_updates[p.id] = {**p_updates.get(p.id, {}), **diff}
                    changed = True
            if link.variant_id and link.variant_id in variants:
                v = variants[link.variant_id]
                want = {"weight_g": item.weight_g or v.weight_g,
                        "active": not item.archived and not (item.type == "product" and item.variants_count > 0)}
                if price is not None:
                    want["price_minor"] = max(0, price)
                if item.type == "variant" and item.variant_label:
                    want["label"] = item.variant_label
                if item.code and v.sku != item.code:
                    self._index()
                    if item.code not in self.codes_taken:
                        want["sku"] = self._free_code(item.code)
                if item.barcodes and v.barcode not in item.barcodes:
                    code = self._free_barcode(item.barcodes)
                    if code:
                        want["barcode"] = code
                diff = {k: val for k, val in want.items() if getattr(v, k) != val}
                if diff:
                    row = {k: diff.get(k, getattr(v, k)) for k in ("weight_g", "active", "price_minor", "label", "sku",
                                                                   "barcode")}
                    v_updates.append({"vid": v.id, **row, "search": fold(row["label"], row["sku"], row["barcode"])[:200]})
                    changed = True
            if item.archived != link.archived or link.gone:
                link_updates.append({"lid": link.id, "archived": item.archived})
                link.archived, link.gone = item.archived, False
            self.counts.updated += changed
        by_fields: dict[tuple[str, ...], list[dict]] = {}  # one executemany per set of fields written
        for pid, values in p_updates.items():
            by_fields.setdefault(tuple(sorted(values)), []).append({"pid": pid, **values})
        for fields, rows in by_fields.items():
            self.s.connection().execute(update(_P).where(_P.c.id == bindparam("pid")).values(
                **{k: bindparam(k) for k in fields}, updated_at=self.now), rows)
        if v_updates:
            self.s.connection().execute(
                update(_V).where(_V.c.id == bindparam("vid")).values(
                    weight_g=bindparam("weight_g"), active=bindparam("active"), price_minor=bindparam("price_minor"),
                    label=bindparam("label"), sku=bindparam("sku"), barcode=bindparam("barcode"),
                    search_key=bindparam("search")), v_updates)
        if link_updates:
            self.s.connection().execute(update(_L).where(_L.c.id == bindparam("lid")).values(
                archived=bindparam("archived"), gone=False, updated_at=self.now), link_updates)

    # ---- deletions ------------------------------------------------------------------------------
    def finish_full(self) -> None:
        """After a full pull: whatever is linked but MoySklad no longer lists was deleted there."""
        self.load()
        gone = [ext for ext, lk in self.links.items() if ext not in self.counts.seen_ids and not lk.gone]
        self.mark_gone(gone)

    def mark_gone(self, external_ids: Iterable[str]) -> None:
        self.load()
        for ext in external_ids:
            link = self.links.get(ext)
            if link is None or link.gone:
                continue
            link.gone = True
            self.s.execute(update(_L).where(_L.c.id == link.id).values(gone=True, updated_at=self.now))
            if link.variant_id:
                self.s.execute(update(_V).where(_V.c.id == link.variant_id).values(active=False))
            still_linked = any(lk.product_id == link.product_id and not lk.gone for lk in self.links.values())
            if not still_linked:
                has_orders = self.s.execute(select(func.count()).select_from(OrderLine.__table__)
                                            .where(OrderLine.__table__.c.product_id == link.product_id)).scalar()
                values = {"hidden": True} if has_orders else {"deleted": True, "hidden": True}
                self.s.execute(update(_P).where(_P.c.id == link.product_id).values(**values, updated_at=self.now))
            self.counts.archived += 1

    # ---- stock ----------------------------------------------------------------------------------
    def stock_report(self, rows: list[ErpStock], *, full: bool, epoch: datetime | None) -> None:
        """MoySklad's stock report for this pull. From now on each page's items are brought to it as
        the page is applied (:meth:`apply_stock_seen`); :meth:`finish_stock` brings the rest."""
        self.load()
        self._report = {r.item_id: r.qty for r in rows}
        self._report_full = full
        self._epoch = epoch

    @property
    def has_report(self) -> bool:
        return self._report is not None

    def apply_stock_seen(self) -> None:
        """Bring the items seen since the last call (their pages applied) to the stock report."""
        if self._report is None or not self._pending_stock:
            return
        pending, self._pending_stock = self._pending_stock, []
        wanted = {}
        for ext in pending:
            link = self.links.get(ext)
            if ext in self._stock_done or link is None or not link.variant_id:
                continue
            qty = self._report.get(ext)
            if qty is None and self._report_full and not link.gone:
                qty = 0.0  # the report leaves zeros out: whatever it does not list has 0
            if qty is not None:
                wanted[ext] = qty
        self._apply_stock(wanted)

    def finish_stock(self) -> None:
        """After the last page: the items of the report (and on a full pull every linked item) that no
        page brought."""
        if self._report is None:
            return
        self.apply_stock_seen()
        erp_qty = dict(self._report or {})
        if self._report_full:
            for ext, link in self.links.items():
                if link.variant_id and not link.gone:
                    erp_qty.setdefault(ext, 0.0)
        self._apply_stock({ext: q for ext, q in erp_qty.items()
                           if ext not in self._stock_done and ext in self.links and self.links[ext].variant_id})

    def _apply_stock(self, wanted: dict[str, float]) -> None:
        if not wanted:
            return
        self._stock_done.update(wanted)
        held = self._held_locally(self._epoch, [self.links[ext].variant_id for ext in wanted])
        targets, conflicts = {}, []
        for ext, qty in wanted.items():
            vid = self.links[ext].variant_id
            have = math.floor(qty + 1e-9)
            target = have - held.get(vid, 0)
            if target < 0:
                conflicts.append((vid, have, held.get(vid, 0)))
                target = 0
            targets[vid] = target
        moved = ledger.apply_counts(self.s, actor=self.actor, targets=targets, kind=MoveKind.sync,
                                    comment=MOVE_COMMENT, now=self.now)
        self.counts.stock_changed += len(moved)
        changed = [{"lid": self.links[ext].id, "q": q} for ext, q in wanted.items() if self.links[ext].erp_qty != q]
        if changed:
            self.s.connection().execute(update(_L).where(_L.c.id == bindparam("lid")).values(erp_qty=bindparam("q")),
                                        changed)
        for ext, q in wanted.items():
            self.links[ext].erp_qty = q
        for vid, have, need in conflicts:
            self._conflict(vid, have, need)

    def _held_locally(self, epoch: datetime | None, variant_ids: list[int]) -> dict[int, int]:
        """Units our orders hold that MoySklad does not know yet: orders placed since the first pull
        and not pushed there (a pushed order is in MoySklad's reserve already)."""
        if epoch is None:
            return {}
        o, ol, pu = Order.__table__, OrderLine.__table__, ErpOrderPush.__table__
        pushed = select(pu.c.order_id).where(pu.c.provider == PROVIDER, pu.c.external_id.is_not(None))
        rows = self.s.execute(select(ol.c.variant_id, func.sum(ol.c.qty)).join(o, o.c.id == ol.c.order_id)
                              .where(o.c.created_at >= epoch, o.c.status.in_([s.value for s in HOLDING]),
                                     o.c.id.not_in(pushed), ol.c.variant_id.in_(variant_ids))
                              .group_by(ol.c.variant_id))
        return {vid: int(n) for vid, n in rows}

    def _conflict(self, variant_id: int, have: int, need: int) -> None:
        self.counts.conflicts += 1
        reference = f"variant:{variant_id}"
        dl = DeadLetter.__table__
        open_one = self.s.execute(select(dl.c.id).where(dl.c.provider == PROVIDER, dl.c.reason == CONFLICT,
                                                        dl.c.reference == reference, dl.c.resolved_at.is_(None))).first()
        if open_one is not None:
            return
        name = self.s.execute(select(_P.c.name, _V.c.label).join(_V, _V.c.product_id == _P.c.id)
                              .where(_V.c.id == variant_id)).first()
        title = f"{name[0]} {name[1]}".strip() if name else f"#{variant_id}"
        o, ol = Order.__table__, OrderLine.__table__
        orders = [r[0] for r in self.s.execute(
            select(o.c.id).join(ol, ol.c.order_id == o.c.id).where(
                ol.c.variant_id == variant_id, o.c.status.in_([OrderStatus.paid.value, OrderStatus.processing.value,
                                                               OrderStatus.new.value])).order_by(o.c.id).limit(10))]
        record_dead_letter(self.s, provider=PROVIDER, kind="stock_conflict", reason=CONFLICT, reference=reference,
                           detail=f"{title}: МойСклад {have}, заказы {need}",
                           payload={"variant_id": variant_id, "name": title, "erp_qty": have, "orders_need": need,
                                    "orders": orders}, now=self.now)
        outbox.enqueue_staff_alert(
            self.s, kind="erp_conflict", roles=(Role.owner, Role.admin),
            dedupe_key=f"erp-conflict:{variant_id}:{self.now.timestamp():.0f}",
            text=lambda lang: t("erp.alert.conflict", lang, name=escape(title), have=have, need=need,
                                orders=", ".join(f"№{i}" for i in orders) or "—"))
