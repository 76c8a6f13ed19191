"""One page of a list query, on the server."""
from __future__ import annotations

MAX_PAGE_SIZE = 200


def page_of(query, page: int | None, page_size: int):
    """``query`` limited to page ``page`` (from 1) — with one row more, so the caller knows whether
    another page follows — or the whole query when ``page`` is None."""
    if page is None:
        return query
    size = min(max(1, int(page_size)), MAX_PAGE_SIZE)
    return query.offset((max(1, int(page)) - 1) * size).limit(size + 1)
