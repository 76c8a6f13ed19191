"""The offline queue of the POS page (assets/pos_offline.js), run in Node: money typed as a seller
types it, a sale made from the cart on screen, the queue sent once, a refusal kept with its reason."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "assets" / "pos_offline.js"
NODE = shutil.which("node")

HARNESS = r"""
const q = require(process.argv[2]);
const store = () => { const m = {}; return { getItem: k => (k in m ? m[k] : null), setItem: (k, v) => { m[k] = v; } }; };
const out = {};
out.money = ["1000", "1 000,50", "0.5", "", "abc", "-5", "12.345"].map(q.parseMoney);
const cart = { register_id: 1, device_id: 7, total_minor: 60000, needs_approval: false, customer_id: null,
               bonus_minor: 0, signature: "7:x:1", lines: [{ variant_id: 3, qty: 2, discount_pct: 0 }] };
out.short = q.makeSale(cart, "", "500").error;
out.overCard = q.makeSale(cart, "700", "").error;
out.approval = q.makeSale({ ...cart, needs_approval: true }, "", "600").error;
const made = q.makeSale(cart, "100", "600", "off-fixed-0001").sale;
out.made = { id: made.client_id, card: made.card_minor, cash: made.tendered_minor, change: made.change_minor };
(async () => {
  const s = store();
  q.enqueue(s, made);
  q.enqueue(s, { ...made, client_id: "off-fixed-0002" });
  q.enqueue(s, { ...made, client_id: "off-fixed-0003" });
  const posted = [];
  // the network is down: nothing is lost
  out.down = await q.flush(s, () => Promise.reject(new Error("offline")));
  out.afterDown = q.load(s).length;
  // back: the first goes through, the second is refused (shift closed), the third goes through
  const answer = { "off-fixed-0001": [200, { ok: true, sale_id: 1 }], "off-fixed-0002": [409, { ok: false, error: "Смена закрыта." }],
                   "off-fixed-0003": [200, { ok: true, sale_id: 2 }] };
  const post = sale => { posted.push(sale.client_id); const [status, body] = answer[sale.client_id]; return Promise.resolve({ status, body }); };
  out.up = await q.flush(s, post);
  out.left = q.load(s).map(x => [x.client_id, x.status, x.error]);
  // sending again does not resend what went through, nor the refused one until the seller retries it
  out.again = await q.flush(s, post);
  answer["off-fixed-0002"] = [200, { ok: true, sale_id: 3 }];
  out.retry = await q.flush(s, post, "off-fixed-0002");
  out.posted = posted;
  out.finally = q.load(s).length;
  console.log(JSON.stringify(out));
})();
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_offline_queue_sends_each_sale_once_and_keeps_a_refused_one(tmp_path):
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS, encoding="utf-8")
    out = json.loads(subprocess.run([NODE, str(harness), str(SCRIPT)], capture_output=True, text=True, check=True,
                                    timeout=60).stdout)
    assert out["money"] == [100000, 100050, 50, 0, None, None, None]
    assert (out["short"], out["overCard"], out["approval"]) == ("cash_short", "amount", "approval")
    assert out["made"] == {"id": "off-fixed-0001", "card": 10000, "cash": 60000, "change": 10000}
    assert out["down"]["stopped"] and out["afterDown"] == 3
    assert out["up"] == {"sent": 2, "refused": 1}
    assert out["left"] == [["off-fixed-0002", "refused", "Смена закрыта."]]
    assert out["again"] == {"sent": 0, "refused": 0} and out["retry"] == {"sent": 1, "refused": 0}
    assert out["posted"] == ["off-fixed-0001", "off-fixed-0002", "off-fixed-0003", "off-fixed-0002"]
    assert out["finally"] == 0
