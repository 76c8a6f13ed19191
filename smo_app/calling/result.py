"""What every call through the seam returns: the service's value, or why not — in words."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from smo_app.services.core.errors import DomainError

T = TypeVar("T")


class Refusal(DomainError):
    """:meth:`Result.unwrap` of a refused call: the same code and parameters, and the text already
    translated (``text``), for code that prefers to raise (the bot's handlers)."""

    def __init__(self, result: "Result[Any]") -> None:
        super().__init__(result.code or "common.unexpected_error", result.error, **dict(result.params))
        self.text = result.error
        self.result = result


@dataclass(frozen=True)
class Result(Generic[T]):
    """``ok`` with ``value``; else ``error`` is the message to show, in the caller's language.

    ``code``/``params`` are the DomainError's (``""`` for an unexpected error); ``rows`` the
    per-row problems of a refused batch (``{"row"|"line"|"field", "code", "params"}``), already
    listed one line each under ``error``; ``signed_out`` says the caller's session is gone (the
    screen sends them to sign in); ``unexpected`` that something broke (logged and reported).
    """

    value: T | None = None
    error: str = ""
    code: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    rows: tuple[Mapping[str, Any], ...] = ()
    signed_out: bool = False
    unexpected: bool = False

    @property
    def ok(self) -> bool:
        return not self.error

    def unwrap(self) -> T:
        """The value, or :class:`Refusal` carrying this result."""
        if self.error:
            raise Refusal(self)
        return self.value  # type: ignore[return-value]

    def field(self) -> str:
        """The form field the refusal names first (a row's ``field``, else ``params["field"]``), or ``""``."""
        for row in self.rows:
            if row.get("field"):
                return str(row["field"])
        return str(self.params.get("field", "")) if self.params else ""
