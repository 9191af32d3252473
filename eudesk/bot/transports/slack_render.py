"""A Reply as Slack Block Kit: blocks within Slack's limits plus a plain-text fallback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eudesk.handlers.messages import Reply

# Slack's published limits (api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_FALLBACK_TEXT = 3000  # the notification text; the blocks carry the whole reply

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rendered:
    """What chat.postMessage takes: blocks and the text shown in notifications."""

    blocks: list[Block]
    text: str


def escape(text: str) -> str:
    """Slack's mrkdwn control characters; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(lines: list[str], limit: int = MAX_SECTION_TEXT) -> list[tuple[str, int]]:
    """Lines packed into texts under `limit`, each with how many lines it holds; a line longer
    than the limit is cut (it still counts as one line)."""
    packed: list[tuple[str, int]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, limit)
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            packed.append(("\n".join(current), len(current)))
            current, size = [], 0
            added = len(line)
        current.append(line)
        size += added
    if current:
        packed.append(("\n".join(current), len(current)))
    return packed


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _head(reply: Reply) -> list[Block]:
    blocks: list[Block] = []
    if reply.title:
        header_text = {"type": "plain_text", "text": clip(reply.title, MAX_HEADER_TEXT)}
        blocks.append({"type": "header", "text": header_text})
    blocks.extend(section(text) for text, _ in chunks([escape(line) for line in reply.lines]))
    fields = [
        {"type": "mrkdwn", "text": clip(f"*{escape(name)}*\n{escape(value)}", MAX_FIELD_TEXT)}
        for name, value in reply.fields
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    return blocks


def _tail(reply: Reply) -> list[Block]:
    blocks: list[Block] = []
    if reply.footer:
        blocks.append(context(clip(escape(reply.footer), MAX_SECTION_TEXT)))
    if reply.attachments:
        # Files are uploaded after the message (files_upload_v2); the message names them.
        names = ", ".join(escape(a.filename) for a in reply.attachments)
        blocks.append(context(clip(f"📎 {names}", MAX_SECTION_TEXT)))
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": clip(button.label, MAX_BUTTON_TEXT)},
            "value": button.callback,
            "action_id": f"eudesk_btn_{index}",
        }
        for index, button in enumerate(reply.buttons)
    ]
    for start in range(0, len(buttons), MAX_ACTIONS):
        blocks.append({"type": "actions", "elements": buttons[start : start + MAX_ACTIONS]})
    return blocks


def render(reply: Reply) -> Rendered:
    """Title, lines, fields, items, then footer, files and buttons; over 50 blocks, the items'
    tail is cut and a context block after the last shown item says how many were left out."""
    head = _head(reply)
    items = chunks([f"• {escape(item)}" for item in reply.items])
    tail = _tail(reply)[: MAX_BLOCKS - 1]  # buttons (paging) are kept whatever else is cut
    blocks = head + [section(text) for text, _ in items]
    if len(blocks) + len(tail) > MAX_BLOCKS:
        room = MAX_BLOCKS - len(tail) - 1  # one block for the note
        left_out = sum(count for _, count in items[max(room - len(head), 0) :])
        left_out += max(len(head) - room, 0)  # in a pathological reply, head blocks go too
        blocks = [*blocks[:room], context(f"… +{left_out}")]
    blocks += tail
    text = escape(clip(reply.plain(), MAX_FALLBACK_TEXT)) or " "
    return Rendered(blocks, text)
