"""The storefront shell: the shop's name, the way to the shop's bot, and the Telegram Mini App glue."""
import reflex as rx

from smo_app.i18n import LANGUAGES
from smo_app.services.core.shop_config import get_config
from smo_app.settings import get_settings
from smo_app.state.session import SessionState

TELEGRAM_LANGUAGE = (
    "((window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initDataUnsafe"
    " && window.Telegram.WebApp.initDataUnsafe.user) || {}).language_code || ''"
)
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"

# Inside Telegram: tell it we are ready, take the full height, and copy its theme into the
# --tg-theme-* variables the styles read (telegram-web-app.js does it too; tests inject only
# window.Telegram.WebApp). In a plain browser nothing happens and the fallbacks apply.
TELEGRAM_INIT = """
(function () {
  function apply() {
    var wa = window.Telegram && window.Telegram.WebApp;
    if (!wa) return false;
    try { wa.ready && wa.ready(); wa.expand && wa.expand(); } catch (e) {}
    var p = wa.themeParams || {}, css = '';
    Object.keys(p).forEach(function (k) {
      if (/^#[0-9a-fA-F]{3,8}$/.test(p[k])) css += '--tg-theme-' + k.replace(/_/g, '-') + ':' + p[k] + ';';
    });
    var tag = document.getElementById('tg-theme') || document.head.appendChild(document.createElement('style'));
    tag.id = 'tg-theme';
    tag.textContent = ':root{' + css + '}';
    document.documentElement.dataset.telegram = '1';
    return true;
  }
  if (!apply()) { var n = 0, t = setInterval(function () { if (apply() || ++n > 20) clearInterval(t); }, 150); }
})();
"""


class StoreState(SessionState):
    shop_name: str = ""  # from the owner's settings; the UI text is the fallback
    bot_url: str = ""  # the shop's bot, where customers ask and order

    @rx.event
    async def open(self):
        """After hydration: pick up Telegram's theme (inline scripts may run before React takes
        over) and, if this browser has not chosen a language yet, the Telegram user's language."""
        out = await self.call(get_config, channel=None, readonly=True)
        if out.ok:
            self.shop_name = out.value.shop_name
        self.bot_url = f"https://t.me/{get_settings().bot_username}"
        events = [rx.call_script(TELEGRAM_INIT)]
        if not self.lang:
            events.append(rx.call_script(TELEGRAM_LANGUAGE, callback=StoreState.adopt_telegram_language))
        return events

    @rx.event
    def adopt_telegram_language(self, code: str | None):
        code = (code or "").lower()[:2]
        if not self.lang and code in LANGUAGES:
            self.lang = code
