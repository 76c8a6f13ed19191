/* The POS tablet without a connection (smo: components/pos_offline.py loads this on /pos).
 *
 * - The moment the browser goes offline a banner says so; it stays while sales wait to be sent
 *   ("Не отправлено (3)").
 * - "Оплатить" tapped offline sells the cart as it is on screen (the page keeps a copy of it in
 *   #pos-offline-cart): the sale gets a client id and is queued in localStorage (never dropped).
 * - Back online, each queued sale is POSTed once to /api/pos/offline-sales; the server's unique
 *   client id makes a resend the same sale. A refused sale (the shift closed meanwhile) stays in the
 *   queue, shown with the reason and a "send again" button.
 * The queue logic is plain functions (exported for tests/unit/test_pos_offline_js.py).
 */
(function (root) {
  "use strict";
  var KEY = "smo_pos_offline_queue";

  function load(storage) {
    try { var q = JSON.parse(storage.getItem(KEY) || "[]"); return Array.isArray(q) ? q : []; }
    catch (e) { return []; }
  }
  function save(storage, q) { storage.setItem(KEY, JSON.stringify(q)); }
  function newId() {
    return "off-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  /* "1 000,50" / "1000.5" / "" → kopecks; null for anything else */
  function parseMoney(text) {
    var t = String(text || "").replace(/[\s\u00a0₽]/g, "").replace(",", ".");
    if (t === "") return 0;
    if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
    var parts = t.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }
  /* The sale to queue from the cart on screen and the payment typed, or {error: key}. */
  function makeSale(cart, cardText, cashText, clientId) {
    if (!cart || !cart.lines || !cart.lines.length) return { error: "empty" };
    if (cart.needs_approval) return { error: "approval" };
    var card = parseMoney(cardText), cash = parseMoney(cashText);
    if (card === null || cash === null) return { error: "amount" };
    if (card > cart.total_minor) return { error: "amount" };
    var due = cart.total_minor - card;
    if (cash < due) return { error: "cash_short" };
    return { sale: {
      client_id: clientId || newId(), register_id: cart.register_id, device_id: cart.device_id,
      lines: cart.lines.map(function (l) { return { variant_id: l.variant_id, qty: l.qty, discount_pct: l.discount_pct || 0 }; }),
      customer_id: cart.customer_id, bonus_minor: cart.bonus_minor || 0, card_minor: card, tendered_minor: cash,
      total_minor: cart.total_minor, change_minor: cash - due, signature: cart.signature, status: "pending", error: ""
    } };
  }
  function enqueue(storage, sale) { var q = load(storage); q.push(sale); save(storage, q); return q; }
  /* Send what waits, oldest first. post(sale) resolves {status, body} or rejects (no network).
   * Sent → removed; refused (4xx) → kept, marked with the reason; no network / 5xx → stop, kept. */
  function flush(storage, post, onlyId) {
    var q = load(storage), sent = 0, refused = 0, i = 0;
    function next() {
      if (i >= q.length) return Promise.resolve();
      var item = q[i];
      if (onlyId ? item.client_id !== onlyId : item.status === "refused") { i++; return next(); }
      return post(item).then(function (res) {
        var fresh = load(storage);  // another tab may have changed it; act on this item only
        var at = fresh.findIndex(function (x) { return x.client_id === item.client_id; });
        if (res.status === 200 && res.body && res.body.ok) {
          if (at >= 0) fresh.splice(at, 1);
          sent++;
        } else if (res.status === 409 || res.status === 401) {
          if (at >= 0) { fresh[at].status = "refused"; fresh[at].error = (res.body && res.body.error) || ""; }
          refused++;
        } else { save(storage, fresh); return Promise.reject(new Error("server " + res.status)); }
        save(storage, fresh);
        i++;
        return next();
      });
    }
    return next().then(function () { return { sent: sent, refused: refused }; },
                       function () { return { sent: sent, refused: refused, stopped: true }; });
  }
  var api = { KEY: KEY, load: load, save: save, parseMoney: parseMoney, makeSale: makeSale, enqueue: enqueue,
              flush: flush, newId: newId };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; return; }
  root.smoPosOffline = api;
  if (root.__smoPosOffline) return;
  root.__smoPosOffline = true;

  /* ---------------------------------------------------------------- the page */
  var doc = root.document, storage = root.localStorage, flushing = false, serverDown = false, misses = 0;
  /* offline: the browser says so, or the server has not answered two pings in a row (Wi-Fi up, no route) */
  function isOffline() { return root.navigator.onLine === false || serverDown; }
  function texts() {
    var el = doc.getElementById("pos-offline-texts");
    return el ? el.dataset : {};
  }
  function fill(tpl, params) {
    return String(tpl || "").replace(/\{(\w+)\}/g, function (_, k) { return params[k] !== undefined ? params[k] : ""; });
  }
  function money(minor) {
    var lang = (doc.documentElement.lang || "ru").slice(0, 2) === "en" ? "en-GB" : "ru-RU";
    return (minor / 100).toLocaleString(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " ₽";
  }
  function cart() {
    var el = doc.getElementById("pos-offline-cart");
    try { return el ? JSON.parse(el.dataset.cart || "null") : null; } catch (e) { return null; }
  }
  function banner() {
    var b = doc.getElementById("pos-offline-banner");
    if (!b) {
      b = doc.createElement("div");
      b.id = "pos-offline-banner";
      b.setAttribute("role", "status");
      // bottom left, over the catalog: never over the cart, the total or "Оплатить"
      b.style.cssText = "position:fixed;left:1rem;bottom:1rem;z-index:1000;max-width:44vw;" +
        "background:#fff4d6;color:#4a3500;border:1px solid #e0b84c;border-radius:10px;padding:.75rem 1rem;" +
        "font:500 15px/1.4 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.15);display:none";
      doc.body.appendChild(b);
    }
    return b;
  }
  var style = doc.createElement("style");
  style.textContent = "html.smo-offline section[aria-label^='Notifications'] { display: none !important; }";
  doc.head.appendChild(style);
  var lastNote = "";
  function render() {
    var t = texts(), q = load(storage), b = banner(), offline = isOffline();
    // offline, the framework's "cannot connect" toasts would cover the pay button: this banner says it
    doc.documentElement.classList.toggle("smo-offline", offline);
    b.textContent = "";
    if (!offline && !q.length && !lastNote) { b.style.display = "none"; return; }
    b.style.display = "block";
    function line(text, id) {
      var p = doc.createElement("div"); p.textContent = text; if (id) p.id = id; b.appendChild(p); return p;
    }
    if (offline) line(t.offline || "Offline", "pos-offline-state");
    if (q.length) {
      var u = line(fill(t.unsent, { n: q.length }), "pos-unsent");
      u.style.fontWeight = "700";
    }
    q.filter(function (x) { return x.status === "refused"; }).forEach(function (x) {
      var row = line(fill(t.refused, { total: money(x.total_minor), reason: x.error }));
      row.className = "pos-offline-refused";
      var btn = doc.createElement("button");
      btn.type = "button"; btn.textContent = t.retry || "Retry"; btn.className = "pos-offline-retry";
      btn.style.cssText = "margin-left:.5rem;padding:.3rem .8rem;border-radius:6px;border:1px solid #b08a20;background:#fff";
      btn.onclick = function () { retry(x.client_id); };
      row.appendChild(btn);
    });
    if (lastNote) line(lastNote, "pos-offline-note");
  }
  function post(sale) {
    var body = {};
    ["client_id", "register_id", "device_id", "lines", "customer_id", "bonus_minor", "card_minor", "tendered_minor"]
      .forEach(function (k) { body[k] = sale[k]; });
    return root.fetch("/api/pos/offline-sales", {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-Smo-Request": "1" }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }
  function synced(result) {
    if (result.sent) {
      var note = lastNote = fill(texts().sent, { n: result.sent });
      root.setTimeout(function () { if (lastNote === note) { lastNote = ""; render(); } }, 10000);
    }
    var sink = doc.getElementById("pos-offline-sink");
    if (sink && result.sent) {  // the sale screen reloads its cart (React sees a real input event)
      var setter = Object.getOwnPropertyDescriptor(root.HTMLInputElement.prototype, "value").set;
      setter.call(sink, String(Date.now()));
      sink.dispatchEvent(new Event("input", { bubbles: true }));
    }
    render();
  }
  function send(onlyId) {
    if (flushing || isOffline() || !load(storage).length) return;
    flushing = true;
    flush(storage, post, onlyId).then(function (res) { flushing = false; synced(res); });
  }
  function retry(clientId) { lastNote = ""; send(clientId); }

  function payOffline(e) {
    var t = texts(), c = cart();
    e.preventDefault(); e.stopPropagation(); e.stopImmediatePropagation();
    var pending = load(storage).some(function (x) { return c && x.signature === c.signature && x.status === "pending"; });
    if (pending) { lastNote = t.saved; render(); return; }  // this cart is already kept: not twice
    var cardEl = doc.getElementById("pos-card"), cashEl = doc.getElementById("pos-tendered");
    var made = makeSale(c, cardEl ? cardEl.value : "", cashEl ? cashEl.value : "");
    if (made.error) { lastNote = made.error === "cash_short" ? t.cashShort : (t.offline || ""); render(); return; }
    enqueue(storage, made.sale);
    lastNote = t.saved + (made.sale.change_minor ? " " + fill(t.change, { change: money(made.sale.change_minor) }) : "");
    render();
  }
  doc.addEventListener("click", function (e) {
    var pay = e.target && e.target.closest && e.target.closest("#pos-pay");
    if (pay && isOffline() && !pay.disabled) payOffline(e);
  }, true);
  root.addEventListener("offline", function () { lastNote = ""; render(); });
  root.addEventListener("online", function () { render(); send(); });
  function ping() {  // any answer means the server is reachable; only a network error or a timeout is not
    if (root.navigator.onLine === false) return;
    var ctl = new AbortController(), timer = root.setTimeout(function () { ctl.abort(); }, 4000);
    root.fetch("/ping", { cache: "no-store", signal: ctl.signal }).then(function () {
      root.clearTimeout(timer); misses = 0;
      if (serverDown) { serverDown = false; render(); send(); }
    }, function () {
      root.clearTimeout(timer);
      if (++misses >= 2 && !serverDown) { serverDown = true; lastNote = ""; render(); }
    });
  }
  root.setInterval(ping, 5000);
  root.setInterval(send, 15000);  // a refusal retried by hand aside, what waits goes when it can
  render();
  send();
})(typeof window !== "undefined" ? window : globalThis);
