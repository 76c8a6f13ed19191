"""MoySklad test wiring: a fake MoySklad, the ERP port pointed at it, the owner's connection saved."""
from __future__ import annotations

import uuid

import httpx
from sqlmodel import Session

from integrations.moysklad import MoyskladConnector
from integrations.moysklad.fake import AGENT_ID, ORG_ID, STORE_ID, FakeMoysklad
from smo_app import composition
from smo_app.models.erp import ErpConnection
from smo_app.services.core import secrets


def fake_moysklad(token_kind: str = "solution") -> FakeMoysklad:
    """A fake with a token of its own (each test gets its own limiter: no window carried over)."""
    return FakeMoysklad(token=f"token-{uuid.uuid4().hex}", token_kind=token_kind)


def connect(session: Session, fake: FakeMoysklad, *, enabled: bool = True, push: bool = True,
            token_kind: str = "solution", backoff: float = 0.5, **fields) -> MoyskladConnector:
    connector = MoyskladConnector(mode="live", default_base=fake.base, transport=httpx.MockTransport(fake.handle),
                                  backoff=backoff)
    composition.use(erp=connector)
    row = session.get(ErpConnection, "moysklad") or ErpConnection(provider="moysklad")
    row.enabled, row.token_encrypted, row.token_kind = enabled, secrets.encrypt(fake.token), token_kind
    row.store_id = STORE_ID
    if push:
        row.organization_id, row.agent_id = ORG_ID, AGENT_ID
    for key, value in fields.items():
        setattr(row, key, value)
    session.add(row)
    session.commit()
    return connector
