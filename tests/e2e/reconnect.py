"""A network blip the server does not notice, for the browser journeys, and which backend worker
holds a connection.

``DROPPABLE_SOCKETS`` (an init script) keeps every WebSocket the page opens. :func:`blip` then
drops the live one on the page's side only: the page's socket.io client is told its transport
closed (as when Wi-Fi drops) and reconnects at once on a new socket, while the old TCP connection
stays open, so the server still counts the old socket as connected until its ping timeout — the
window in which a reconnect used to be taken for a duplicated tab and given a new, empty session.
"""
from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

DROPPABLE_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  const all = [];
  class Kept extends Native {
    constructor(...args) {
      super(...args);
      this.events = 0;  // state updates received (socket.io "event" packets): the hydrate's answer is one
      this.addEventListener("message", (m) => { if (/^42[^\\[]*\\["event"/.test(String(m.data))) this.events++; });
      all.push(this);
    }
  }
  window.WebSocket = Kept;
  const live = () => all.filter((ws) => ws.readyState === Native.OPEN && !ws.dropped);
  window.__sockets = {
    live: () => live().length,
    // the newest live socket has received the server's answer to its hydrate
    hydrated: () => live().some((ws) => ws.events > 0),
    drop() {
      const gone = live();
      for (const ws of gone) {
        ws.dropped = true;
        const closed = ws.onclose;
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        ws.send = () => {};
        if (closed) closed({code: 1006, reason: "", wasClean: false});
      }
      return gone.length;
    },
  };
})();
"""


def session_token(page: Page) -> str:
    """The client token Reflex keys the tab's state by (sessionStorage)."""
    return page.evaluate("() => window.sessionStorage.getItem('token')")


def blip(page: Page) -> None:
    """Drop the page's live socket on its side only; return once the page has reconnected and the
    server has answered its hydrate on the new socket."""
    page.wait_for_function("() => window.__sockets.hydrated()")
    assert page.evaluate("() => window.__sockets.drop()") == 1
    page.wait_for_function("() => window.__sockets.live() === 1 && window.__sockets.hydrated()")


def _sockets(port: int, state: str) -> dict[int, int]:
    """Inode → client port of the TCP sockets on the server's ``port`` in ``state`` (0A listening,
    01 established)."""
    found: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == state and int(f[1].rsplit(":", 1)[1], 16) == port:
                found[int(f[9])] = int(f[2].rsplit(":", 1)[1], 16)
    return found


def _held(inodes) -> dict[int, set[int]]:
    """This user's processes holding some of ``inodes`` open: pid → those inodes."""
    held: dict[int, set[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        mine = {int(link[8:-1]) for link in links if link.startswith("socket:[")} & set(inodes)
        if mine:
            held[int(pid)] = mine
    return held


def worker_pids(port: int) -> list[int]:
    """The app's backend workers: each listens on the port with a socket of its own (SO_REUSEPORT;
    the kernel spreads new connections over them)."""
    return sorted(_held(_sockets(port, "0A")))


def connections(port: int) -> dict[int, set[int]]:
    """Worker pid → the client ports of the connections it holds."""
    open_ = _sockets(port, "01")
    return {pid: {open_[i] for i in inodes} for pid, inodes in _held(open_).items()}


def reconnect_to_the_other_worker(page: Page, port: int, check, tries: int = 10) -> list[int]:
    """Blip until one reconnect lands on another worker than the socket it replaces (the kernel
    picks a worker per new connection, so each reconnect goes to the other one half the time),
    ``check()`` after each; the workers the page's sockets landed on, in order."""
    workers = worker_pids(port)
    assert len(workers) == 2, f"expected two backend workers, found {workers}"
    landed: list[int | None] = []
    for _ in range(tries):
        before = connections(port)
        blip(page)
        check()
        new = {pid for pid, ports in connections(port).items() if ports - before.get(pid, set())}
        landed.append(new.pop() if len(new) == 1 else None)  # None: another connection opened meanwhile
        if len(landed) >= 2 and None not in landed[-2:] and landed[-2] != landed[-1]:
            return landed
    raise AssertionError(f"no reconnect landed on the other worker in {tries} tries: {landed}")
