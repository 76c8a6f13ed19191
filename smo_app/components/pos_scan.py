"""Barcode/QR input for the POS: the USB scanner (a keyboard wedge) and the tablet camera.

* Keyboard wedge: a scanner types the code as a fast burst of keys ending in Enter, wherever the
  focus is. A page-wide listener (capture phase) keeps the keys of a burst (≤ 40 ms apart, ≥ 4
  characters, timed by each key's own ``timeStamp`` so a page busy re-rendering does not split a
  burst); on Enter it hands the code to a hidden input (React sees a real input event, so the
  state's ``on_change`` runs) and takes the burst back out of whatever field had the focus.
  Typing by hand is slower than that and is left alone.
* Camera: ``@yudiel/react-qr-scanner`` (maintained, pinned) wrapped as a Reflex component; its
  ``onScan`` gives the first detected code's text.
"""
from __future__ import annotations

import reflex as rx

SINK_ID = "pos-scan-sink"
BURST_GAP_MS = 40
MIN_CODE = 4

WEDGE_JS = f"""
(function () {{
  if (window.__smoWedge) return;
  window.__smoWedge = true;
  let buf = "", last = 0, target = null;
  const setValue = (el, v) => {{
    const proto = el.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(el, v);
    el.dispatchEvent(new Event("input", {{ bubbles: true }}));
  }};
  window.addEventListener("keydown", (e) => {{
    // the key's own time: a busy page handles a scanner's queued keys late but back to back
    const now = e.timeStamp || performance.now();
    if (now - last > {BURST_GAP_MS}) {{ buf = ""; target = document.activeElement; }}
    last = now;
    if (e.key === "Enter") {{
      if (buf.length >= {MIN_CODE}) {{
        e.preventDefault(); e.stopPropagation();
        const code = buf; buf = "";
        const t = target;
        if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA") && t.id !== "{SINK_ID}"
            && t.value.endsWith(code)) {{
          setValue(t, t.value.slice(0, t.value.length - code.length));
        }}
        const sink = document.getElementById("{SINK_ID}");
        if (sink) {{ setValue(sink, code); setTimeout(() => setValue(sink, ""), 0); }}
      }}
      buf = "";
      return;
    }}
    if (e.key && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) buf += e.key;
  }}, true);
}})();
"""


def keyboard_wedge(on_code) -> rx.Component:
    """The hidden sink the listener writes to, and the listener itself (installed once per page)."""
    return rx.el.input(id=SINK_ID, type="text", tab_index=-1, aria_hidden="true",
                       on_change=lambda v: on_code(v), on_mount=rx.call_script(WEDGE_JS),
                       style={"position": "absolute", "left": "-9999px", "width": "1px", "height": "1px",
                              "opacity": 0})


def _first_code(codes: rx.Var) -> tuple[rx.Var[str]]:
    return (rx.Var(_js_expr=f"((({codes}) && ({codes})[0] && ({codes})[0].rawValue) || '')", _var_type=str),)


class CameraScanner(rx.Component):
    """``<Scanner onScan={codes => …}/>`` from @yudiel/react-qr-scanner."""

    library = "@yudiel/react-qr-scanner@2.6.0"
    tag = "Scanner"
    formats: rx.Var[list[str]]
    scan_delay: rx.Var[int]
    on_scan: rx.EventHandler[_first_code]


SCAN_FORMATS = ["qr_code", "ean_13", "ean_8", "upc_a", "upc_e", "code_128", "code_39"]


def camera_scanner(on_code) -> rx.Component:
    return rx.box(CameraScanner.create(formats=SCAN_FORMATS, scan_delay=800, on_scan=on_code),
                  width="20rem", height="20rem", id="pos-camera")
