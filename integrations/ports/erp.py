"""The ERP port: what the shop needs from an inventory system that stays in charge of the catalog,
prices and stock (MoySklad is the adapter, ``integrations/moysklad``).

Services speak in these types; the adapter maps its vendor's JSON to them. Money is integer kopecks
(MoySklad sends prices in kopecks already), weights grams, quantities as the ERP counts them
(fractions possible: the service decides how to round). The adapter never touches the database.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class ErpPrice(BaseModel):
    price_type: str  # the price type's name ("Цена продажи")
    price_type_id: str | None = None
    minor: int  # kopecks


class ErpItem(BaseModel):
    """One row of the assortment: a product (sold as is when it has no variants), or a variant of one."""

    id: str  # the ERP's id (a UUID for MoySklad)
    type: Literal["product", "variant", "service", "bundle"]
    name: str
    code: str | None = None  # the ERP's code: our SKU
    article: str | None = None
    description: str = ""
    archived: bool = False
    updated: datetime | None = None
    barcodes: list[str] = []
    prices: list[ErpPrice] = []  # in the ERP's order: the first is the default
    weight_g: int = 0
    parent_id: str | None = None  # a variant's product
    variant_label: str = ""  # a variant's characteristics ("blue, L")
    variants_count: int = 0  # a product with variants is not sold itself
    folder: str = ""  # the product group's path

    def price(self, price_type: str | None) -> int | None:
        """The price of ``price_type`` (name or id); the first price when None; None if absent."""
        if not self.prices:
            return None
        if not price_type:
            return self.prices[0].minor
        for p in self.prices:
            if price_type in (p.price_type, p.price_type_id):
                return p.minor
        return None


class ErpStock(BaseModel):
    item_id: str
    qty: float  # the ERP's physical stock (may be fractional or negative)


class ErpRef(BaseModel):
    """An ERP object by id and name (stores, organisations, counterparties, price types)."""

    id: str
    name: str
    href: str | None = None


class ErpDirectory(BaseModel):
    """What the settings screen offers to choose from."""

    stores: list[ErpRef] = []
    organizations: list[ErpRef] = []
    price_types: list[ErpRef] = []
    counterparties: list[ErpRef] = []


class ErpOrderLine(BaseModel):
    item_id: str
    item_type: Literal["product", "variant", "service", "bundle"] = "product"
    qty: float = Field(gt=0)
    price_minor: int = Field(ge=0)
    discount_pct: float = 0.0


class ErpOrderIn(BaseModel):
    """A customer order as the ERP takes it; ``external_code`` is our order id (pushed once)."""

    external_code: str
    name: str | None = None
    organization_id: str
    agent_id: str
    store_id: str | None = None
    lines: list[ErpOrderLine] = Field(min_length=1)
    description: str = ""
    shipment_address: str = ""
    state: str | None = None  # the status name to set


class ErpOrder(BaseModel):
    id: str
    external_code: str
    name: str = ""
    state: str | None = None


class ErpChange(BaseModel):
    """One event of an ERP webhook: which object changed and how (the object itself is fetched)."""

    href: str
    type: str  # product | variant | customerorder …
    action: Literal["CREATE", "UPDATE", "DELETE", "PROCESSED"]
    updated_fields: list[str] = []
    account_id: str | None = None

    @property
    def object_id(self) -> str:
        return self.href.rstrip("/").rsplit("/", 1)[-1]


class ErpCallStats(BaseModel):
    """What one run cost: requests sent, 429s and 5xx answered, weight units spent, the largest
    weighted load seen in any 3-second window."""

    requests: int = 0
    throttled: int = 0
    server_errors: int = 0
    units: int = 0
    max_window_units: int = 0


@runtime_checkable
class ErpPort(Protocol):
    """What the shop asks an ERP. Implementations raise ``integrations.http.IntegrationError``."""

    provider: str

    def assortment(self, *, updated_since: datetime | None = None, include_archived: bool = True,
                   together: int = 1) -> Iterator[list[ErpItem]]:
        """The assortment page by page (everything, or what changed since ``updated_since``), in
        order; the pages already fetched when the next is asked for come in one list (up to
        ``together`` pages: a caller that writes each list in one transaction writes fewer, larger ones)."""
        ...

    def stock(self, *, store_id: str | None = None, changed_since: datetime | None = None) -> list[ErpStock]:
        """The current stock; with ``changed_since`` only items whose stock changed since then (zeros included)."""
        ...

    def item(self, item_type: str, item_id: str) -> ErpItem | None:
        """One product or variant by id (None when it was deleted)."""
        ...

    def directory(self) -> ErpDirectory:
        """Stores, organisations, price types and counterparties to choose from."""
        ...

    def find_order(self, external_code: str) -> ErpOrder | None:
        ...

    def create_order(self, order: ErpOrderIn) -> ErpOrder:
        ...

    def set_order_state(self, order_id: str, state: str) -> ErpOrder:
        ...

    def parse_webhook(self, body: bytes) -> list[ErpChange]:
        """The events of a webhook body (raises ``ProviderProtocolError`` for an unreadable one)."""
        ...

    def take_stats(self) -> ErpCallStats:
        """What this client spent since the last call (and reset)."""
        ...


@runtime_checkable
class ErpConnector(Protocol):
    """Builds the ERP client for the connection the owner set (one per token in the process)."""

    provider: str

    def connect(self, *, token: str, base_url: str | None = None, token_kind: str = "user",
                webhook_prefix: str | None = None) -> ErpPort: ...
