"""Errors a user can cause. UI, bot and API map ``code`` to translated text (smo_app.i18n)."""
from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Something a user did or asked for that the shop refuses, with a stable code.

    ``code`` is an i18n key (``auth.invalid_credentials``); ``params`` fill its placeholders;
    ``message`` is English for logs. ``code`` and ``message`` are positional, so a placeholder may
    itself be called ``code`` (``DomainError("tracking.code_taken", "...", code="flyer")``).
    """

    def __init__(self, code: str, message: str = "", /, **params: Any) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r}, {self.params!r})"


class NotFound(DomainError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__("common.not_found", f"{what} {ident} not found", what=what, id=ident)


class PermissionDenied(DomainError):
    def __init__(self, permission: str) -> None:
        super().__init__("common.forbidden", f"not allowed: {permission}", permission=permission)


class ValidationFailed(DomainError):
    """Bad input; ``errors`` lists (field or line, code, params) for row-level messages."""

    def __init__(self, code: str, message: str = "", /, errors: list[dict[str, Any]] | None = None, **params):
        super().__init__(code, message, **params)
        self.errors = errors or []


def get_or_not_found(session: Any, model: type[T], ident: object, what: str) -> T:
    """The ``model`` row with primary key ``ident`` (``session.get``), or :class:`NotFound` naming ``what``."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(what, ident)
    return row
