"""GET /: the Mini App's page with its first screen already in the HTML.

The page is the prerendered one from the production build; the server fills its two empty slots
(smo_app/components/storefront.py, FIRST_DATA_SLOT and FIRST_SCREEN_SLOT):

* the first-paint data — the same fields the websocket would send — as a script that runs before
  anything else on the page, so the page neither asks for them again nor waits for them;
* for a signed-in customer, the catalog's first page as plain HTML where the spinner would be, so
  the products show as soon as the HTML arrives, before the JS has loaded. It is a picture of the
  screen, not the screen: once the JS has hydrated the page and put the data into its state, the
  real catalog replaces it (React never touches what is inside the slot; the slot goes with the
  spinner when the page leaves its ``boot`` phase). The tab bar is drawn with it.

It also writes the shop's name into the header (React keeps that text at hydration). The data is
read (a few milliseconds) before the page is sent, whole (sending the head ahead of it showed no
gain in bench/storefront_load.py). The answer depends on the session cookie: never cached.
Without a production build (development, where the frontend server serves the page) the route
answers 404 and nothing else changes; a build whose page lacks the slots is served as built.

The data comes from the first-screen service through the calling seam (``deps.VisitorCalls``) and
is put in the page's state-store terms by the ``FirstPaintView`` the web app hands to
``create_api`` (smo_app/api/storefront.py says how); this module imports no Reflex state.
"""
from __future__ import annotations

import functools
import gzip
import html
import json
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response

from smo_app.api.deps import FirstPaint, VisitorCalls
from smo_app.api.storefront import read_first_screen
from smo_app.components.storefront_markup import FIRST_DATA_SLOT, FIRST_SCREEN_SLOT, SHOP_NAME_ID, TABS, icon_svg
from smo_app.cookies import CUSTOMER_LANG
from smo_app.i18n import t

router = APIRouter(tags=["storefront"])
log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the built page

def built_page_path() -> Path:
    from reflex import constants
    from reflex.config import get_config
    from reflex.utils import prerequisites

    static = prerequisites.get_web_dir() / constants.Dirs.STATIC / get_config().frontend_path.strip("/")
    return static / "index.html"


class PageTemplate:
    """The prerendered page cut at its two slots and the shop's name, to be filled (:meth:`render`)."""

    def __init__(self, page: str) -> None:
        data_at, screen_at = _slot_content_at(page, FIRST_DATA_SLOT), _slot_content_at(page, FIRST_SCREEN_SLOT)
        name = re.compile(r'<h1(?=[^>]*\bid="%s")[^>]*>([^<]*)</h1>' % SHOP_NAME_ID).search(page, data_at, screen_at)
        if not data_at < screen_at or name is None:
            raise ValueError("the page must have its data slot, then the shop's name, then its first-screen slot")
        self.head, self.tail = page[:data_at], page[screen_at:]
        self.to_name, self.after_name = page[data_at:name.start(1)], page[name.end(1):screen_at]

    def render(self, data_script: str, shop_name: str, screen: str) -> str:
        """The page with the slots filled and the shop's name in its header."""
        return (self.head + data_script + self.to_name + html.escape(shop_name, quote=False) + self.after_name
                + screen + self.tail)


def _slot_content_at(page: str, slot_id: str) -> int:
    """Where an empty slot element's content goes (just after its opening tag)."""
    found = re.search(r'<div(?=[^>]*\bid="%s")[^>]*></div>' % re.escape(slot_id), page)
    if found is None:
        raise ValueError(f"no empty #{slot_id} in the page")
    return found.end() - len("</div>")


@functools.lru_cache(maxsize=2)
def _template(path: str, mtime_ns: int) -> PageTemplate:  # noqa: ARG001 - the key: a new build is read again
    return PageTemplate(Path(path).read_text(encoding="utf-8"))


def current_template(path: Path) -> PageTemplate | None:
    """The built page's template; None without a build, or for a build whose page lacks the slots
    (then it is served as built, and its own script asks for the first screen)."""
    try:
        return _template(str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
    except ValueError:
        log.error("the built storefront page has no first-screen slots: served as built", exc_info=True)
        return None


# --------------------------------------------------------------------------- what goes into the slots

def data_script(delta: dict[str, Any]) -> str:
    """The first-paint data for the page's script (storefront.FIRST_PAINT_APPLY takes it from there)."""
    body = json.dumps({"delta": delta}, ensure_ascii=False, separators=(",", ":"))
    # inside <script>: no "</script>", no "<!--", and the two line separators JS strings refuse
    body = body.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return ("<script>window.__smoFirstPaintBody=%s;"
            "window.__smoFirstPaint=Promise.resolve(window.__smoFirstPaintBody);</script>" % body)


def first_screen(fields: dict[str, Any], lang: str) -> str:
    """The catalog's first page as plain HTML with the page's own classes (storefront_catalog's
    catalog_screen and product_tile): nothing for a visitor who is not signed in."""
    if fields.get("phase") != "ready" or fields.get("screen") != "catalog":
        return ""
    e = functools.partial(html.escape, quote=True)
    parts = ['<div class="rt-Flex rt-r-fd-column rt-r-gap-2" style="width:100%" aria-busy="true">']
    if fields.get("vacation"):
        parts.append(_callout("amber", f'{e(t("ui.sf.vacation", lang))} {e(fields.get("vacation_message") or "")}'))
    elif fields.get("preorder"):
        parts.append(_callout("blue", e(t("ui.sf.preorder", lang))))
    placeholder = e(t("ui.sf.search", lang))
    parts.append('<div class="rt-TextFieldRoot rt-r-size-2 rt-variant-surface" style="width:100%">'
                 f'<input type="search" class="rt-reset rt-TextFieldInput" placeholder="{placeholder}" '
                 f'aria-label="{placeholder}" readonly tabindex="-1"></div>')
    chips = [f'<button type="button" class="sf-cat" data-on="1" disabled>{e(t("ui.sf.all", lang))}</button>']
    chips += [f'<button type="button" class="sf-cat" data-on="0" data-depth="{e(c["depth"])}" disabled>{e(c["name"])}</button>'
              for c in fields.get("categories") or []]
    parts.append(f'<div class="sf-cats">{"".join(chips)}</div>')
    tiles = fields.get("tiles") or []
    if tiles:
        parts.append('<div class="rt-Grid rt-r-gtc-2 rt-r-gap-3" style="width:100%">')
        parts += [_tile(tile, lang) for tile in tiles]
        parts.append("</div>")
    else:
        parts.append(f'<p class="rt-Text" style="padding:2rem 0">{e(t("ui.sf.nothing_found", lang))}</p>')
    parts.append("</div>")
    parts.append(_tab_bar(int(fields.get("cart_count") or 0), lang))
    return "".join(parts)


def _tab_bar(cart_count: int, lang: str) -> str:
    """storefront.tab_bar as HTML, the catalog's tab active."""
    tabs = []
    for key, icon, screens in TABS:
        badge = (f'<span class="sf-chip sf-chip-accent">{cart_count}</span>' if key == "cart" and cart_count > 0
                 else "")
        tabs.append(f'<button type="button" class="sf-tab" data-active="{"1" if "catalog" in screens else "0"}" disabled>'
                    f'<span class="sf-tab-icon">{icon_svg(icon, 18)}{badge}</span>'
                    f'<span>{html.escape(t(f"ui.sf.tab_{key}", lang))}</span></button>')
    return f'<nav class="sf-tabs">{"".join(tabs)}</nav>'


def _callout(color: str, text: str) -> str:
    return (f'<div class="rt-CalloutRoot rt-r-size-2 rt-variant-soft" data-accent-color="{color}" '
            f'style="margin:0.5rem 0"><p class="rt-Text rt-r-size-2 rt-CalloutText">{text}</p></div>')


def _tile(tile: dict[str, str], lang: str) -> str:
    e = functools.partial(html.escape, quote=True)
    name = e(tile["name"])
    photo = (f'<img src="{e(tile["photo"])}" alt="{name}" loading="lazy" class="sf-tile-photo">' if tile.get("photo")
             else '<div class="sf-tile-photo"></div>')
    discount = (f'<span class="sf-chip sf-chip-red sf-tile-discount">{e(tile["discount"])}</span>'
                if tile.get("discount") else "")
    old = f'<s class="sf-old-price">{e(tile["old_price"])}</s>' if tile.get("old_price") else ""
    stock = ""
    if tile.get("stock") == "out":
        stock = f'<span class="sf-chip sf-chip-gray">{e(t("ui.sf.out_of_stock", lang))}</span>'
    elif tile.get("stock") == "low":
        stock = f'<span class="sf-chip sf-chip-orange">{e(t("ui.sf.only_left", lang))} {e(tile.get("only_left", ""))}</span>'
    return (f'<div class="sf-tile" data-preview-product="{e(tile["id"])}" data-stock="{e(tile.get("stock", ""))}" '
            f'aria-label="{name}">{photo}{discount}<p class="sf-tile-name">{name}</p>'
            f'<p class="sf-tile-price"><b>{e(tile["price"])}</b>{old}</p>{stock}</div>')


# --------------------------------------------------------------------------- the route

@router.get("/", include_in_schema=False)
async def storefront_page(request: Request, calls: VisitorCalls, view: FirstPaint) -> Response:
    path = built_page_path()
    template = current_template(path)
    if template is None:
        if path.is_file():
            return FileResponse(path, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})
        return PlainTextResponse("not built", status_code=404)
    first = await read_first_screen(calls, view, request.cookies.get(CUSTOMER_LANG))
    shop_name = first.shop_name or t("ui.shop_name", first.lang)
    page = template.render(data_script(first.delta), shop_name, first_screen(first.fields, first.lang))
    headers = {"Cache-Control": "no-store", "Vary": "Cookie, Accept-Encoding"}
    body = page.encode()
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = gzip.compress(body, 6), "gzip"
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)
