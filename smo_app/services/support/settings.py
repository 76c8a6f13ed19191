"""The owner's support settings: the FAQ the assistant answers from, the AI endpoint (base URL,
model, keys — the keys stored encrypted with the app's key, never shown back), the staff chat
where operators answer, and how many minutes an escalated ticket may wait before admins are alerted.
The environment (``SMO_AI_*``, ``SMO_SUPPORT_CHAT_ID``) wins over what is stored."""
from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.models.shop import ShopSetting
from smo_app.services.core import audit, secrets
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.support.ai_keys import RING
from smo_app.settings import get_settings

KEY = "support"  # one shop setting holding them all
DEFAULTS = {"faq": "", "ai_base_url": "", "ai_model": "", "ai_keys": None, "chat_id": None, "timeout_min": 15}
MAX_FAQ = 20_000


class SupportSettings(BaseModel):
    faq: str
    ai_base_url: str
    ai_model: str
    ai_keys_count: int  # how many keys are stored (never the keys)
    chat_id: int | None  # the staff supergroup with topics; None = operators' private chats
    timeout_min: int


def _stored(session: Session) -> dict:
    row = session.get(ShopSetting, KEY)
    return {**DEFAULTS, **(row.value if row is not None and isinstance(row.value, dict) else {})}


def ai_keys(session: Session, stored: dict | None = None) -> list[str]:
    """The AI endpoint's keys in clear, in order (services only): the environment's, else the owner's."""
    env = get_settings().ai_keys
    raw = env.get_secret_value() if env else (secrets.decrypt((stored or _stored(session))["ai_keys"]) or "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def current(session: Session) -> SupportSettings:
    s, env = _stored(session), get_settings()
    keys = ai_keys(session, s)
    chat = env.support_chat_id if env.support_chat_id is not None else s["chat_id"]
    return SupportSettings(faq=s["faq"] or "", ai_base_url=env.ai_base_url or s["ai_base_url"] or "",
                           ai_model=env.ai_model or s["ai_model"] or "", ai_keys_count=len(keys),
                           chat_id=int(chat) if chat not in (None, "") else None, timeout_min=int(s["timeout_min"]))


def read_settings(session: Session, *, actor: Actor) -> SupportSettings:
    require(actor, Perm.settings_manage)
    return current(session)


@atomic
def save_settings(session: Session, *, actor: Actor, faq: str, ai_base_url: str, ai_model: str, chat_id: str,
                  timeout_min: int | str, new_keys: str | None = None, remove_keys: bool = False) -> SupportSettings:
    """Save what the owner set; ``new_keys`` (comma-separated) None or "" keeps the stored ones.
    Audited without the keys."""
    require(actor, Perm.settings_manage)
    faq, url, model, chat = (faq or "").strip(), (ai_base_url or "").strip(), (ai_model or "").strip(), (chat_id or "").strip()
    errors = []
    if len(faq) > MAX_FAQ:
        errors.append({"field": "faq", "code": "support.faq_long", "params": {"max": MAX_FAQ}})
    if url and not url.startswith(("http://", "https://")):
        errors.append({"field": "ai_base_url", "code": "support.url_invalid"})
    if len(url) > 300 or len(model) > 100:
        errors.append({"field": "ai_base_url", "code": "support.url_invalid"})
    chat_value = None
    if chat:
        try:
            chat_value = int(chat)
        except ValueError:
            chat_value = 0
        if chat_value >= 0:
            errors.append({"field": "chat_id", "code": "support.chat_invalid"})
    try:
        minutes = int(str(timeout_min).strip())
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= 1440:
        errors.append({"field": "timeout_min", "code": "support.timeout_invalid"})
    if errors:
        first = errors[0]
        raise ValidationFailed(first["code"], "bad support settings", errors=errors, **first.get("params", {}))
    before = current(session)
    values = {"faq": faq, "ai_base_url": url, "ai_model": model, "chat_id": chat_value, "timeout_min": minutes}
    if new_keys and new_keys.strip():
        values["ai_keys"] = secrets.encrypt(",".join(k.strip() for k in new_keys.split(",") if k.strip()))
        RING.forget()  # new keys: each is worth trying (this process; the bot's follows on its next 401/429)
    elif remove_keys:
        values["ai_keys"] = None
    row = session.get(ShopSetting, KEY, with_for_update=True) or ShopSetting(key=KEY, value={})
    row.value = {**(row.value or {}), **values}  # a new dict: the JSON column sees the change
    session.add(row)
    session.flush()
    after = current(session)
    audit.record(session, actor=actor, action="support.settings_changed", entity="support_settings",
                 before=before.model_dump(exclude={"faq"}), after=after.model_dump(exclude={"faq"}),
                 note="keys changed" if new_keys else ("keys removed" if remove_keys else None))
    session.commit()
    return after
