"""Block Kit rendering: Slack's limits hold for any Reply, and mrkdwn is escaped."""

from __future__ import annotations

from typing import Any

from eudesk.bot.transports.slack_render import (
    MAX_ACTIONS,
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    MAX_FIELDS,
    MAX_SECTION_TEXT,
    chunks,
    render,
)
from eudesk.handlers.messages import Attachment, Button, Reply


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found.extend(
            element["text"]
            for element in block.get("elements", [])
            if "type" in element and element["type"] == "mrkdwn"
        )
    return found


def test_a_120_item_listing_stays_within_block_kit_limits() -> None:
    items = [f"{n:03d} " + "Interreg IPA Hungary–Serbia rok za izveštaj " * 4 for n in range(120)]
    reply = Reply.listing("Rokovi", items, footer="strana 1/3")
    reply.buttons = [Button("Sledeća", "/deadlines p2")]
    rendered = render(reply)
    assert len(rendered.blocks) <= MAX_BLOCKS
    for text in texts(rendered.blocks):
        assert len(text) <= MAX_SECTION_TEXT
    shown = "\n".join(texts(rendered.blocks))
    assert "• 000 " in shown
    assert "• 119 " in shown
    assert rendered.blocks[-1]["type"] == "actions"
    assert 0 < len(rendered.text) <= MAX_FALLBACK_TEXT + 100
    assert rendered.text.startswith("Rokovi")


def test_over_50_blocks_the_tail_is_cut_and_counted() -> None:
    items = [f"{n:04d} " + "x" * 2900 for n in range(120)]  # one section per item
    reply = Reply.listing("Huge", items)
    reply.buttons = [Button("Next", "/projects p2")]
    rendered = render(reply)
    blocks = rendered.blocks
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"  # paging survives the cut
    note = blocks[-2]
    assert note["type"] == "context"
    shown = sum(1 for b in blocks if b["type"] == "section")
    assert note["elements"][0]["text"] == f"… +{120 - shown}"
    assert all(len(t) <= MAX_SECTION_TEXT for t in texts(blocks))


def test_mrkdwn_is_escaped() -> None:
    reply = Reply(lines=["<!channel> & <https://evil|click>"], fields=[("A<b>", "c&d")])
    rendered = render(reply)
    text = rendered.blocks[0]["text"]["text"]
    assert text == "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"
    assert rendered.blocks[1]["fields"][0]["text"] == "*A&lt;b&gt;*\nc&amp;d"
    assert "<" not in rendered.text


def test_fields_and_buttons_are_split_at_slack_limits() -> None:
    reply = Reply(
        fields=[(f"f{n}", str(n)) for n in range(23)],
        buttons=[Button(f"b{n}", f"/x {n}") for n in range(30)],
    )
    blocks = render(reply).blocks
    field_counts = [len(b["fields"]) for b in blocks if "fields" in b]
    assert field_counts == [MAX_FIELDS, MAX_FIELDS, 3]
    actions = [b["elements"] for b in blocks if b["type"] == "actions"]
    assert [len(a) for a in actions] == [MAX_ACTIONS, 5]
    ids = [e["action_id"] for a in actions for e in a]
    assert len(set(ids)) == 30
    assert ids[0] == "eudesk_btn_0"
    assert actions[1][0]["value"] == "/x 25"


def test_attachments_are_named_and_title_is_a_header() -> None:
    reply = Reply(title="Sastanak", attachments=[Attachment("m.ics", b"x", "text/calendar")])
    blocks = render(reply).blocks
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Sastanak"}}
    assert "m.ics" in blocks[-1]["elements"][0]["text"]


def test_chunks_pack_lines_and_cut_a_giant_one() -> None:
    packed = chunks(["a" * 1500, "b" * 1499, "c", "d" * 5000])
    assert [count for _, count in packed] == [2, 1, 1]
    assert all(len(text) <= MAX_SECTION_TEXT for text, _ in packed)


def test_empty_reply_has_no_blocks_but_a_text() -> None:
    rendered = render(Reply())
    assert rendered.blocks == []
    assert rendered.text == " "
