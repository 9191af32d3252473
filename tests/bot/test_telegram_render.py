"""Telegram rendering without the SDK: escaping, splitting under the limit, keyboards, menus."""

from __future__ import annotations

from html import unescape

from hypothesis import given
from hypothesis import strategies as st

from eudesk.bot.transports.telegram_render import (
    MAX_MESSAGE,
    addressed,
    file_url,
    menus,
    render,
    split_plain,
    units,
)
from eudesk.handlers import command_table
from eudesk.handlers.messages import Button, Reply
from eudesk.storage.models import Locale
from tests.bot.fake_telegram import well_formed


def test_everything_is_escaped_and_marked_up() -> None:
    reply = Reply(
        title="Projects <&> all",
        lines=["a < b", "two\nlines"],
        fields=[("Budget <EUR>", "1 & 2")],
        items=["<script>"],
        footer="page 1/3",
    )
    [text] = render(reply).texts
    assert text.split("\n") == [
        "<b>Projects &lt;&amp;&gt; all</b>",
        "a &lt; b",
        "two",
        "lines",
        "<b>Budget &lt;EUR&gt;</b>: 1 &amp; 2",
        "• &lt;script&gt;",
        "<i>page 1/3</i>",
    ]


def test_a_title_over_two_lines_keeps_each_line_well_formed() -> None:
    texts = render(Reply(title="one\ntwo", footer="x\ny"), limit=12).texts
    assert all(well_formed(t) for t in texts)
    assert "\n".join(texts) == "<b>one</b>\n<b>two</b>\n<i>x</i>\n<i>y</i>"


def test_a_long_listing_splits_at_line_boundaries() -> None:
    items = [f"item {n:03d} & more " + "y" * 40 for n in range(100)]
    texts = render(Reply(title="All", items=items)).texts
    assert len(texts) == 2
    assert all(units(t) <= MAX_MESSAGE for t in texts)
    assert all(well_formed(t) for t in texts)
    lines = "\n".join(texts).split("\n")
    assert lines[0] == "<b>All</b>"
    assert [unescape(line.removeprefix("• ")) for line in lines[1:]] == items


def test_a_line_over_the_limit_is_split_as_plain_text() -> None:
    line = ("word & <b> " * 1000).strip()
    texts = render(Reply(title=line), limit=500).texts
    assert len(texts) > 1
    assert all(units(t) <= 500 for t in texts)
    assert all("<b>" not in t for t in texts)  # its tags are dropped, not cut
    assert "".join(unescape(t) for t in texts) == line


def test_split_plain_never_cuts_an_entity() -> None:
    pieces = split_plain("&" * 30, 12)
    assert pieces == ["&amp;&amp;", "&amp;&amp;"] * 7 + ["&amp;&amp;"]


def test_an_emoji_counts_twice() -> None:
    assert units("😀a") == 3
    texts = render(Reply(lines=["😀" * 6]), limit=10).texts
    assert texts == ["😀" * 5, "😀"]


@given(
    st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=80), max_size=30),
    st.integers(min_value=20, max_value=300),
)
def test_any_reply_renders_to_well_formed_chunks_within_the_limit(
    lines: list[str], limit: int
) -> None:
    texts = render(Reply(title="T&", lines=lines, items=lines[:3], footer="f"), limit).texts
    assert texts
    for text in texts:
        assert units(text) <= limit
        assert text.strip()
        assert well_formed(text)


def test_buttons_in_rows_of_three_and_never_without_a_message() -> None:
    buttons = [Button(str(n), f"/projects p{n}") for n in range(5)]
    rendered = render(Reply(buttons=buttons))
    assert [len(row) for row in rendered.keyboard] == [3, 2]
    assert rendered.texts == ["…"]


def test_commands_addressed_to_another_bot_are_not_ours() -> None:
    assert addressed("/deadlines@Eudesk_Bot week", "eudesk_bot") == "/deadlines week"
    assert addressed("/deadlines@other_bot week", "eudesk_bot") is None
    assert addressed("/help", "eudesk_bot") == "/help"
    assert addressed("rokovi ove nedelje", "eudesk_bot") == "rokovi ove nedelje"


def test_menus_per_language_with_everyday_commands() -> None:
    found = menus(command_table(), Locale.SR_LATN)
    assert set(found) == {None, "sr", "hu", "en"}
    names = [name for name, _ in found["en"]]
    assert "deadlines" in names
    assert "help" in names
    assert "passport_set" not in names  # for passport officers: in their /help, not the menu
    assert dict(found["hu"])["deadlines"] == "közelgő határidők"
    assert found[None] == found["sr"]
    assert all(0 < len(d) <= 256 for pairs in found.values() for _, d in pairs)


def test_the_file_url_follows_the_api_url() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
