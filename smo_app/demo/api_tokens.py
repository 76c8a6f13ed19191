"""The demo owner's staff API token (IN7), so a newcomer can curl /api/v1 at once. Its secret is a
fixed, printed demo value (a real shop's tokens are random and shown once): demo mode only."""
from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.demo.credentials import DEMO_API_TOKEN
from smo_app.models.api_tokens import ApiToken
from smo_app.models.staff import Staff
from smo_app.services.staff import api_tokens
from smo_app.services.staff.dto import StaffOut

DEMO_TOKEN_NAME = "Демо: бухгалтерия"


def seed(session: Session) -> None:
    owner = session.exec(select(Staff).where(Staff.username == "owner")).first()
    if owner is None or session.exec(select(ApiToken.id).where(ApiToken.name == DEMO_TOKEN_NAME)).first() is not None:
        return
    issued = api_tokens.create_token(session, actor=StaffOut.of(owner).actor(), name=DEMO_TOKEN_NAME, staff_id=owner.id,
                                     scopes=sorted(api_tokens.SCOPES), days=365)
    session.execute(update(ApiToken).where(ApiToken.id == issued.token.id)
                    .values(token_hash=api_tokens.hash_secret(DEMO_API_TOKEN), prefix=DEMO_API_TOKEN[:10]))
    session.commit()
