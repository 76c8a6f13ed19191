"""The one payment port every provider adapter implements (YooKassa, Stripe, Telegram Payments).

Services speak in these types; each adapter maps its vendor's JSON to them. Money is integer minor
units here (kopecks, cents; Telegram Stars are whole stars). The adapters never touch the database.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, Protocol, TypeVar, runtime_checkable

import httpx
from pydantic import BaseModel, Field, ValidationError

from integrations.http import (
    IntegrationError, ProviderAuthError, ProviderProtocolError, ProviderRejected, json_body,
)

M = TypeVar("M", bound=BaseModel)

ProviderStatus = Literal["pending", "waiting_for_capture", "succeeded", "canceled"]


class ReceiptItem(BaseModel):
    """One line of a 54-FZ fiscal receipt."""

    description: str = Field(min_length=1, max_length=128)
    quantity: int = Field(gt=0)
    amount_minor: int = Field(ge=0, description="price of one unit, kopecks")
    vat_code: int = Field(ge=1, le=12)
    payment_subject: str = "commodity"
    payment_mode: str = "full_payment"


class Receipt(BaseModel):
    customer_phone: str | None = None
    customer_email: str | None = None
    items: list[ReceiptItem] = Field(min_length=1)
    tax_system_code: int | None = Field(default=None, ge=1, le=6)  # the shop's tax system (54-FZ), once chosen


class CreatePayment(BaseModel):
    """What the shop asks a provider to charge."""

    payment_id: int  # our payment row
    order_id: int
    amount_minor: int = Field(gt=0)
    currency: str = "RUB"
    description: str = ""
    idempotency_key: str
    return_url: str | None = None
    confirmation: Literal["redirect", "qr"] = "redirect"
    receipt: Receipt | None = None
    # a payment that is not an order's (a booking's deposit) names what it pays and its short title;
    # Telegram carries the reference as the invoice payload and shows the title
    reference: str | None = None
    title: str | None = None


class ProviderPayment(BaseModel):
    """A payment as the provider sees it now."""

    provider: str
    id: str
    status: ProviderStatus
    amount_minor: int
    currency: str
    confirmation_url: str | None = None
    order_id: int | None = None  # from the metadata we sent
    payment_id: int | None = None  # our payment row, from the metadata we sent
    cancellation_reason: str | None = None
    reference: str | None = None  # what a payment that is not an order's pays (``CreatePayment.reference``)


class ProviderRefund(BaseModel):
    """A refund as the provider sees it now. ``canceled`` is final: the money did not go back
    (YooKassa's ``canceled``, Stripe's ``failed`` or ``canceled``)."""

    provider: str
    id: str
    payment_id: str  # the provider's payment id
    status: Literal["pending", "succeeded", "canceled"]
    amount_minor: int | None  # None: the provider does not say (a Telegram Stars refund is the whole payment)
    currency: str
    failure_reason: str | None = None  # why it was canceled, in the provider's words


class PaymentNotification(BaseModel):
    """A verified inbound notification: what happened to which provider payment or refund.

    A ``refund.*`` kind carries the refunds it is about, as trusted as ``payment`` (YooKassa's fetched
    back); ``recheck_refunds_of`` names a provider payment whose refunds the notice does not list
    (Stripe's ``charge.refunded`` without its refund list): the shop asks about its pending ones."""

    provider: str
    event_id: str  # unique per delivery of this fact (the inbox de-duplicates by it)
    kind: Literal["payment.succeeded", "payment.canceled", "payment.waiting_for_capture", "refund.succeeded",
                  "refund.updated", "other"]
    payment: ProviderPayment | None = None
    refunds: list[ProviderRefund] = []
    recheck_refunds_of: str | None = None


class NotificationRejected(IntegrationError):
    """The notification is forged, stale or unreadable: answer 400, store nothing."""

    code = "payment.notification_rejected"


class NotificationDisputed(NotificationRejected):
    """Well-formed, but the provider does not confirm what it claims (the fetched payment or refund
    disagrees, or does not exist): recorded as a dead letter with ``disagreed``, never stored in the
    inbox, so it cannot take the slot of the genuine event."""

    code = "payment.notification_disputed"

    def __init__(self, provider: str, message: str, *, reference: str, disagreed: dict) -> None:
        super().__init__(provider, message, detail=disagreed)
        self.reference = reference
        self.disagreed = disagreed


@runtime_checkable
class PaymentPort(Protocol):
    """What the shop asks a payment provider. Implementations raise ``integrations.http.IntegrationError``."""

    provider: str

    def create_payment(self, request: CreatePayment) -> ProviderPayment: ...

    def get_payment(self, provider_payment_id: str) -> ProviderPayment: ...

    def refund(self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str,
               reason: str = "") -> ProviderRefund: ...

    def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        """The refund's state now (a refund the provider left ``pending`` is asked about later)."""
        ...

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> str:
        """At the edge, before anything is stored: check the signature/shape/freshness and return the
        inbox key — what the provider guarantees unique for a genuine event (Stripe's signed event id;
        YooKassa's payment or refund id with its status as fetched back). Raise
        :class:`NotificationRejected` (answered 400, nothing stored) or :class:`NotificationDisputed`
        (the provider does not confirm the claim: a dead letter, nothing stored)."""
        ...

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotification:
        """After the raw event is stored: what it says, trusted (YooKassa fetches the payment back
        here; a disagreement raises :class:`NotificationRejected` and nothing is credited)."""
        ...


def minor_to_value(amount_minor: int) -> str:
    """Kopecks → the decimal string providers take (``12345`` → ``"123.45"``)."""
    sign = "-" if amount_minor < 0 else ""
    amount_minor = abs(amount_minor)
    return f"{sign}{amount_minor // 100}.{amount_minor % 100:02d}"


def value_to_minor(value: str | float | int) -> int:
    """``"123.45"`` → ``12345`` exactly (no float rounding)."""
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(str(value)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# ---- answers, shared by the payment clients -------------------------------------------------------
def safe_json(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def checked(response: httpx.Response, *, provider: str, describe: Callable[[object], str | None],
            auth_statuses: tuple[int, ...] = (401, 403)) -> httpx.Response:
    """``response`` if below 400; else :class:`ProviderAuthError` (credentials) or
    :class:`ProviderRejected`, with the vendor's own error text from ``describe(json)``."""
    if response.status_code < 400:
        return response
    detail = safe_json(response)
    message = describe(detail) or f"HTTP {response.status_code}"
    error = ProviderAuthError if response.status_code in auth_statuses else ProviderRejected
    raise error(provider, message, status=response.status_code, detail=detail)


def parse_answer(response: httpx.Response, model: type[M], *, provider: str) -> M:
    """The answer validated into the port's model, or :class:`ProviderProtocolError`."""
    body = json_body(response, provider=provider)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ProviderProtocolError(provider, f"{model.__name__}: {exc.error_count()} bad fields") from exc
