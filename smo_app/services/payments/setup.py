"""The owner's payment set-up (PA1): where a transfer goes — recipient, bank, account or card, the
comment with the order number — and the shop's SBP link (its QR is shown to the customer).

Stored as one shop setting (``payments.transfer``); saved all or nothing, audited. The customer's
order screen reads :func:`transfer_for_order` (the comment filled in with the order number).
"""
from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.shop import ShopSetting
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic

TRANSFER_KEY = "payments.transfer"
DEFAULT_COMMENT = "Заказ №{order}"
NAME_MAX = 200
COMMENT_MAX = 140
LINK_MAX = 500
_ACCOUNT = re.compile(r"\+?\d{10,34}")  # a card (16–19 digits), an account (20), a phone (+7…)
_SEPARATORS = re.compile(r"[\s-]+")


class TransferDetails(BaseModel):
    recipient: str = ""
    bank: str = ""
    account: str = ""  # digits (a card, an account) or a phone number for SBP, as the customer types it
    comment: str = DEFAULT_COMMENT  # "{order}" becomes the order number
    sbp_link: str = ""  # https://qr.nspk.ru/… or the bank's SBP payment link
    review_minutes: int = 30  # "a manager usually checks a screenshot within N minutes"
    updated_at: datetime | None = None

    @property
    def ready(self) -> bool:
        return bool(self.recipient and self.account) or bool(self.sbp_link)


class TransferForOrder(BaseModel):
    """What the customer's order screen shows for paying by transfer."""

    recipient: str
    bank: str
    account: str
    comment: str
    sbp_link: str
    review_minutes: int


def transfer_details(session: Session) -> TransferDetails:
    row = session.get(ShopSetting, TRANSFER_KEY)
    return TransferDetails.model_validate(row.value) if row is not None and isinstance(row.value, dict) \
        else TransferDetails()


def transfer_for_order(session: Session, order_id: int) -> TransferForOrder | None:
    """The shop's transfer details with the comment for ``order_id``; None when none are entered."""
    d = transfer_details(session)
    if not d.ready:
        return None
    return TransferForOrder(recipient=d.recipient, bank=d.bank, account=d.account,
                            comment=d.comment.replace("{order}", str(order_id)), sbp_link=d.sbp_link,
                            review_minutes=d.review_minutes)


def get_transfer(session: Session, *, actor: Actor) -> TransferDetails:
    require(actor, Perm.settings_manage)
    out = transfer_details(session)
    session.rollback()
    return out


class TransferIn(BaseModel):
    recipient: str = ""
    bank: str = ""
    account: str = ""
    comment: str = DEFAULT_COMMENT
    sbp_link: str = ""
    review_minutes: str | int = 30


def _checked(data: TransferIn) -> TransferDetails:
    recipient, bank = data.recipient.strip(), data.bank.strip()
    for field, value in (("recipient", recipient), ("bank", bank)):
        if len(value) > NAME_MAX:
            raise ValidationFailed("payment.setup.too_long", f"{field} too long", field=field, max=NAME_MAX)
    account = _SEPARATORS.sub("", data.account.strip())
    if account and not _ACCOUNT.fullmatch(account):
        raise ValidationFailed("payment.setup.account_invalid", "account: 10–34 digits", field="account")
    comment = data.comment.strip() or DEFAULT_COMMENT
    if len(comment) > COMMENT_MAX or re.search(r"\{(?!order\})", comment):
        raise ValidationFailed("payment.setup.comment_invalid", "comment: up to 140, only {order}", field="comment",
                               max=COMMENT_MAX)
    link = data.sbp_link.strip()
    if link and (not link.startswith("https://") or len(link) > LINK_MAX or any(c.isspace() for c in link)):
        raise ValidationFailed("payment.setup.link_invalid", "an https:// link", field="sbp_link")
    try:
        minutes = int(str(data.review_minutes).strip())
    except ValueError:
        minutes = -1
    if not 1 <= minutes <= 24 * 60:
        raise ValidationFailed("payment.setup.minutes_invalid", "1..1440", field="review_minutes")
    if bool(recipient) != bool(account):
        raise ValidationFailed("payment.setup.recipient_and_account", "both or neither",
                               field="account" if recipient else "recipient")
    return TransferDetails(recipient=recipient, bank=bank, account=account, comment=comment, sbp_link=link,
                           review_minutes=minutes)


@atomic
def save_transfer(session: Session, *, actor: Actor, data: TransferIn, now: datetime | None = None) -> TransferDetails:
    """The owner's transfer details and SBP link, all or nothing; audited."""
    require(actor, Perm.settings_manage)
    details = _checked(data)
    details.updated_at = now or utcnow()
    row = session.get(ShopSetting, TRANSFER_KEY, with_for_update=True)
    before = row.value if row is not None else None
    row = row or ShopSetting(key=TRANSFER_KEY, value={})
    row.value, row.updated_at = details.model_dump(mode="json"), details.updated_at
    session.add(row)
    audit.record(session, actor=actor, action="settings.payments_transfer", entity="shop_setting",
                 entity_id=TRANSFER_KEY, before=before, after=details.model_dump(mode="json", exclude={"updated_at"}))
    session.commit()
    return details
