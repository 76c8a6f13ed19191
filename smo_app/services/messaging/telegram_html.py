"""Telegram's HTML subset (Bot API "HTML style"): checked before a message is queued, so a typo
in a broadcast is refused at once instead of failing for every recipient."""
from __future__ import annotations

import re

ALLOWED_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
    "blockquote", "tg-emoji",
})
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


def html_problem(text: str) -> str | None:
    """None if ``text`` is valid Telegram HTML, else a short description of the first problem
    (shown to staff, so it names the tag or character)."""
    stack: list[str] = []
    pos = 0
    for match in _TAG.finditer(text):
        problem = _bare_characters(text[pos:match.start()])
        if problem:
            return problem
        closing, name, _attrs, self_closing = match.group(1), match.group(2).lower(), match.group(3), match.group(4)
        if name not in ALLOWED_TAGS:
            return f"<{name}>"
        if self_closing:
            return f"<{name}/>"
        if closing:
            if not stack or stack[-1] != name:
                return f"</{name}>"
            stack.pop()
        else:
            stack.append(name)
        pos = match.end()
    problem = _bare_characters(text[pos:])
    if problem:
        return problem
    if stack:
        return f"<{stack[-1]}>"
    return None


def _bare_characters(chunk: str) -> str | None:
    if "<" in chunk:
        return "<"
    if ">" in chunk:
        return ">"
    for amp in re.finditer("&", chunk):
        if not _ENTITY.match(chunk, amp.start()):
            return "&"
    return None
