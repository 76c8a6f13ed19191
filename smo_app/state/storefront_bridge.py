"""The Mini App's page scripts: Telegram's SDK, the bridge (``window.smoTg``) and the theme.

``PAGE_JS`` runs inline in the prerendered page (components/storefront.store_frame); ``BOOT_JS``
is what ``StoreState.open`` asks the page to run — the same scripts only if the inline one did not
run (a client-side navigation: React runs no inline scripts), then what Telegram gave for sign-in.
Plain strings, so the state and the components share them without importing each other.
"""
from __future__ import annotations

import json

TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"

# Telegram's SDK: inside Telegram (it opens the Mini App with ``#tgWebAppData=…`` in the address,
# which the SDK keeps in sessionStorage for reloads) it loads at once; in a plain browser, where it
# has nothing to read, only after the page has loaded, so telegram.org never holds the page up.
TELEGRAM_SDK = """
(function () {
  if (document.querySelector('script[data-tg-sdk]')) return;
  function add() {
    if (document.querySelector('script[data-tg-sdk]')) return;
    var s = document.createElement('script');
    s.src = '%s'; s.async = true; s.setAttribute('data-tg-sdk', '1');
    document.head.appendChild(s);
  }
  var inside = /[#&]tgWebAppData=/.test(location.hash);
  try { inside = inside || !!sessionStorage.getItem('__telegram__initParams'); } catch (e) {}
  if (inside || document.readyState === 'complete') add(); else window.addEventListener('load', add);
})();
""" % TELEGRAM_JS

# Inside Telegram: tell it we are ready, take the full height, and copy its theme and safe areas
# into the --tg-theme-* / --tg-safe-* variables the styles read (telegram-web-app.js does it too;
# tests inject only window.Telegram.WebApp). In a plain browser nothing happens, fallbacks apply.
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
    var inset = wa.safeAreaInset || {}, content = wa.contentSafeAreaInset || {};
    ['top', 'bottom', 'left', 'right'].forEach(function (side) {
      css += '--tg-safe-' + side + ':' + ((inset[side] || 0) + (content[side] || 0)) + 'px;';
    });
    var tag = document.getElementById('tg-theme') || document.head.appendChild(document.createElement('style'));
    tag.id = 'tg-theme';
    tag.textContent = ':root{' + css + '}';
    document.documentElement.dataset.telegram = '1';
    return true;
  }
  if (!apply()) { var n = 0, t = setInterval(function () { if (apply() || ++n > 60) clearInterval(t); }, 150); }
})();
"""

# The Telegram bridge (``window.smoTg``): see smo_app/components/storefront.py.
BRIDGE_JS = r"""
(function () {
  if (window.smoTg) return;
  function wa() { return window.Telegram && window.Telegram.WebApp; }
  function tg() { var w = wa(); return w && w.initData ? w : null; }
  var S = {
    boot: function () {
      var w = wa() || {}, u = ((w.initDataUnsafe || {}).user) || {};
      return {initData: w.initData || '', lang: u.language_code || ''};
    },
    haptic: function (kind) {
      try {
        var h = tg() && tg().HapticFeedback; if (!h) return;
        if (kind === 'error' || kind === 'success' || kind === 'warning') h.notificationOccurred(kind);
        else if (kind === 'select') h.selectionChanged(); else h.impactOccurred('light');
      } catch (e) {}
    },
    share: function (url, text) {
      var w = tg();
      if (w && w.openTelegramLink) {
        w.openTelegramLink('https://t.me/share/url?url=' + encodeURIComponent(url) + '&text=' + encodeURIComponent(text || ''));
        return 'telegram';
      }
      try { navigator.clipboard.writeText(url); return 'copied'; } catch (e) { return 'shown'; }
    },
    openChat: function (url) {
      var w = tg();
      if (w && w.openTelegramLink) { w.openTelegramLink(url); return 'telegram'; }
      window.open(url, '_blank');
      return 'window';
    },
    uploadFile: function (path, inputId) {
      var input = document.getElementById(inputId), file = input && input.files && input.files[0];
      if (!file) return Promise.resolve({ok: false, message: ''});
      var form = new FormData();
      form.append('file', file, file.name);
      input.value = '';
      return fetch(path, {method: 'POST', body: form, credentials: 'same-origin', headers: {'X-Smo-Request': '1'}})
        .then(function (r) { return r.json(); })
        .catch(function () { return {ok: false, message: ''}; });
    },
    uploadProof: function (orderId, inputId) {
      return window.smoTg.uploadFile('/api/storefront/orders/' + encodeURIComponent(orderId) + '/payment-proof', inputId);
    },
    uploadDepositProof: function (bookingId, inputId) {
      return window.smoTg.uploadFile('/api/storefront/bookings/' + encodeURIComponent(bookingId) + '/deposit-proof',
                                     inputId);
    },
    requestContact: function () {
      return new Promise(function (resolve) {
        var w = tg();
        if (!w || !w.requestContact) { resolve(''); return; }
        try {
          w.requestContact(function (ok, r) {
            var c = ok && r && r.responseUnsafe && r.responseUnsafe.contact;
            resolve(c ? String(c.phone_number || '') : '');
          });
        } catch (e) { resolve(''); }
      });
    },
    knownLocation: function () {
      // the customer's location only where they already allowed it (never a prompt): Telegram's
      // LocationManager with access granted, or the browser's geolocation permission granted
      return new Promise(function (resolve) {
        var w = tg(), lm = w && w.LocationManager;
        function browser() {
          if (!navigator.permissions || !navigator.geolocation) { resolve(null); return; }
          navigator.permissions.query({name: 'geolocation'}).then(function (st) {
            if (st.state !== 'granted') { resolve(null); return; }
            navigator.geolocation.getCurrentPosition(function (p) { resolve({lat: p.coords.latitude, lon: p.coords.longitude}); },
              function () { resolve(null); }, {timeout: 8000});
          }, function () { resolve(null); });
        }
        if (!lm) { browser(); return; }
        var go = function () {
          if (!lm.isLocationAvailable || !lm.isAccessGranted) { resolve(null); return; }
          lm.getLocation(function (d) { resolve(d ? {lat: d.latitude, lon: d.longitude} : null); });
        };
        try { lm.isInited ? go() : lm.init(go); } catch (e) { resolve(null); }
      });
    },
    location: function () {
      return new Promise(function (resolve) {
        function browser() {
          if (!navigator.geolocation) { resolve(null); return; }
          navigator.geolocation.getCurrentPosition(function (p) { resolve({lat: p.coords.latitude, lon: p.coords.longitude}); },
            function () { resolve(null); }, {timeout: 8000});
        }
        var w = tg(), lm = w && w.LocationManager;
        if (!lm) { browser(); return; }
        var go = function () {
          if (!lm.isLocationAvailable) { browser(); return; }
          lm.getLocation(function (d) { resolve(d ? {lat: d.latitude, lon: d.longitude} : null); });
        };
        try { lm.isInited ? go() : lm.init(go); } catch (e) { browser(); }
      });
    }
  };
  var last = {}, bound = {};
  function mirror(name, selector, back) {
    var w = tg(), b = w && w[name]; if (!b) return;
    if (!bound[name]) {
      bound[name] = true;
      b.onClick(function () { var el = document.querySelector(selector); if (el && !el.disabled) el.click(); });
    }
    var el = document.querySelector(selector), state;
    if (!el) state = 'hidden';
    else if (back) state = 'shown';
    else state = [(el.getAttribute('data-tg-text') || el.textContent || '').trim(), !el.disabled, el.getAttribute('data-busy') === '1'].join('|');
    if (state === last[name]) return;
    last[name] = state;
    try {
      if (!el) { b.hide(); return; }
      if (back) { b.show(); return; }
      b.setParams({text: state.split('|')[0], is_visible: true, is_active: !el.disabled});
      if (el.getAttribute('data-busy') === '1') { b.showProgress && b.showProgress(false); } else { b.hideProgress && b.hideProgress(); }
    } catch (e) {}
  }
  // The screens' stack in the browser's history: one entry per screen the server's ``history``
  // holds (#sf-nav's data-depth), so the browser's Back (and Telegram's, through the page's back
  // button: S.back) walks back through the screens instead of leaving the app. A reload keeps the
  // screen: it lives in the server's state, which the page's token finds again.
  var navPending = 0;
  function navDepth() { var el = document.getElementById('sf-nav'); return el ? parseInt(el.getAttribute('data-depth') || '0', 10) : null; }
  function entryDepth() { return (history.state && history.state.smoDepth) || 0; }
  function serverBack(times) {
    var b = document.getElementById('sf-history-back');
    for (var i = 0; i < times && b; i++) b.click();
  }
  S.back = function () {
    if (navPending) return;  // a step back is on its way
    if (navDepth() && entryDepth() > 0) history.back(); else serverBack(1);
  };
  window.addEventListener('popstate', function (e) {
    var depth = navDepth(), to = (e.state && e.state.smoDepth) || 0;
    if (depth !== null && to < depth) { navPending = depth - to; serverBack(depth - to); }
  });
  setInterval(function () {
    var depth = navDepth(); if (depth === null) return;
    var at = entryDepth();
    if (navPending) { if (depth <= at) navPending = 0; else return; }
    try {
      if (depth > at) history.pushState(Object.assign({}, history.state, {smoDepth: depth}), '');
      else if (depth < at) history.replaceState(Object.assign({}, history.state, {smoDepth: depth}), '');
    } catch (e) {}
  }, 150);
  var closing = false;
  setInterval(function () {
    var w = tg(); if (!w) return;
    document.documentElement.setAttribute('data-tg-buttons', '1');
    mirror('MainButton', '[data-tg="main"]');
    mirror('SecondaryButton', '[data-tg="secondary"]');
    mirror('BackButton', '[data-tg="back"]', true);
    var want = !!document.querySelector('[data-tg-closing="1"]');
    if (want !== closing) {
      closing = want;
      try { want ? w.enableClosingConfirmation() : w.disableClosingConfirmation(); } catch (e) {}
    }
  }, 200);
  window.smoTg = S;
})();
"""

# What ``open`` runs in the page: the SDK, the bridge and the theme only if the prerendered page's
# inline script did not (a client-side navigation: React runs no inline scripts) — kept in a
# string, so the usual case compiles none of it — then what Telegram gave for sign-in (boot).
PAGE_JS = TELEGRAM_SDK + BRIDGE_JS + TELEGRAM_INIT
BOOT_JS = "(window.smoTg || new Function(%s)(), window.smoTg.boot())" % json.dumps(PAGE_JS)
REQUEST_CONTACT_JS = "window.smoTg ? window.smoTg.requestContact() : ''"  # resolves to the shared phone, or ''


def shared_phone(raw: str | None) -> str:
    """The phone Telegram's ``requestContact`` shared, as a form shows it (``+`` and digits), or ''."""
    phone = str(raw or "").strip()[:32]
    return (phone if phone.startswith("+") else f"+{phone}") if phone else ""
