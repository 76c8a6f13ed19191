"""Broadcast text is checked against Telegram's HTML subset before anything is queued."""
import pytest

from smo_app.services.messaging.telegram_html import html_problem


@pytest.mark.parametrize("text", [
    "Plain text",
    "<b>Неделя лаванды</b>: −15% на масла",
    '<a href="https://example.com/?a=1&amp;b=2">link</a> and <i><b>nested</b></i>',
    "5 &lt; 7 &amp; 8 &gt; 2 &#128512;",
    '<span class="tg-spoiler">secret</span><pre><code class="language-python">x</code></pre>',
])
def test_valid_telegram_html_passes(text):
    assert html_problem(text) is None


@pytest.mark.parametrize("text, near", [
    ("<b>bold", "<b>"),
    ("<b>bold</i>", "</i>"),
    ("<div>block</div>", "<div>"),
    ("<br/>", "<br>"),
    ("price < 100", "<"),
    ("a > b", ">"),
    ("Tom & Jerry", "&"),
    ("<i><b>crossed</i></b>", "</i>"),
])
def test_invalid_html_names_the_problem(text, near):
    assert html_problem(text) == near
