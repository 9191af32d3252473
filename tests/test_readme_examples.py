"""Every chat example in README.md works as written, on the demo data, through the dispatcher.

README.md is read when the test runs: the backticked /commands of the "What you can ask" table
(each in its shortest form, and with the first choice of each [optional part]), the quoted
plain-text examples, and the messages of the Quick start's printf line. Placeholders (REF, CODE,
ID, N, ...) are filled from the demo data. Each must answer with content: no error, no usage or
unknown-command reply, and a listing that lists something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming, Reply
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Contact,
    Deadline,
    DeadlineStatus,
    Guideline,
    Meeting,
    MeetingStatus,
    PassportRecord,
    Platform,
    Project,
    VisaRecord,
)
from tests.conftest import NOW

README = Path(__file__).resolve().parent.parent / "README.md"
# Answers that list things: an empty listing ("no meetings") is not an answer with content.
LISTINGS = {"deadlines", "projects", "meetings", "guidelines", "agreements", "ack_status"}
# Lower-case words in [optional parts] that stand for something typed, and what to type.
WORDS = {
    "programme": "HUSRB",
    "filter": "Subotica",
    "region or country": "Mađarska",
    "note": "predato lično",
    "text": "Subotica",
}
SKIPPED_WORDS = {"code"}  # /start [code]: an invite code is for a new chat, not the coordinator


@dataclass(frozen=True)
class Example:
    text: str
    where: str  # which part of the README it comes from
    sender: str = "demo"
    then: tuple[str, ...] = ()  # sent before it, in the same chat (the printf lines)


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def table_commands(text: str) -> list[str]:
    """The backticked /commands of the first column of the "What you can ask" table."""
    found = []
    for line in section(text, "What you can ask").splitlines():
        if not line.startswith("| `/"):
            continue
        first = re.split(r"(?<!\\)\|", line)[1]
        found += [c.replace("\\|", "|") for c in re.findall(r"`(/[^`]+)`", first)]
    return found


def quoted_examples(text: str) -> list[str]:
    """The quoted plain-text examples after "plain text works too"."""
    ask = " ".join(section(text, "What you can ask").split())
    sentence = ask[ask.index("plain text works too") :].split(")")[0]
    return re.findall(r'"([^"]+)"', sentence)


def printf_lines(text: str) -> list[str]:
    match = re.search(r"printf '([^']*)' \| make run", section(text, "Quick start"))
    assert match, "the Quick start has a printf line"
    return [line for line in match[1].split("\\n") if line]


def forms(command: str) -> list[str]:
    """The shortest form (no optional parts), then each optional part on its own, with its
    first choice."""

    def drop(text: str) -> str:
        return re.sub(r"\s*\[[^\]]*\]", "", text)

    found = [drop(command)]
    for part in re.findall(r"\[([^\]]*)\]", command):
        choice = part.split("|")[0].strip()
        if choice in SKIPPED_WORDS:
            continue
        found.append(drop(command.replace(f"[{part}]", WORDS.get(choice, choice), 1)))
    return [first_choices(form) for form in found]


def first_choices(form: str) -> str:
    """`/lang sr-Latn|sr-Cyrl|hu|en` is `/lang sr-Latn`; `ROLE|CONTACT` is ROLE."""
    return " ".join(word.split("|")[0] for word in form.split())


async def placeholders(db: Database) -> dict[str, dict[str, str]]:
    """Per command, the value of each placeholder, from the demo data."""
    async with db.transaction() as session:
        passport = await session.scalar(
            select(PassportRecord.reference).order_by(PassportRecord.id)
        )
        visa = await session.scalar(select(VisaRecord.reference).order_by(VisaRecord.id))
        guideline = await session.scalar(select(Guideline.ref).order_by(Guideline.id))
        meeting = await session.scalar(
            select(Meeting.id)
            .where(Meeting.status == MeetingStatus.SCHEDULED)
            .order_by(Meeting.starts_at)
        )
        deadline = await session.scalar(
            select(Deadline.id)
            .where(Deadline.status == DeadlineStatus.OPEN, Deadline.due_at > NOW)
            .order_by(Deadline.due_at)
        )
        chapter = await session.scalar(
            select(Meeting.chapter_number)
            .where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.chapter_number.is_not(None),
                Meeting.starts_at > NOW,
            )
            .order_by(Meeting.starts_at)
        )
        project = await session.scalar(select(Project.code).order_by(Project.code))
        contact = await session.scalar(select(Contact.ref).order_by(Contact.id))
    later = (NOW + timedelta(days=40)).date().isoformat()
    common = {
        "N": "2",
        "ROLE": "staff",
        "BODY": "Subotica",
        "TOPIC": "calls",
        "WHICH": "Subotica",
        "HH:MM": "10:00",
        "DATE": later,
        "STATUS": "submitted",
    }
    return {
        "passport": {**common, "REF": str(passport)},
        "passport_set": {**common, "REF": str(passport)},
        "visa": {**common, "REF": str(visa)},
        "ack": {**common, "REF": str(guideline)},
        "broadcast": {**common, "REF": str(guideline)},
        "ack_status": {**common, "REF": str(guideline)},
        "guidelines": {**common, "N": "3"},
        "meeting": {**common, "ID": str(meeting)},
        "meetings": {**common, "N": str(chapter)},
        "deadline_move": {**common, "ID": str(deadline)},
        "project": {**common, "CODE": str(project)},
        "invite": {**common, "CONTACT": str(contact)},
        "unsubscribe": {**common, "N": "1"},
        "": common,
    }


def fill(form: str, values: dict[str, dict[str, str]]) -> str:
    command = form.split()[0].lstrip("/")
    table = values.get(command, values[""])
    if "WHICH" in form.split():  # a topic that names what: a body; without it, all calls
        table = {**table, "TOPIC": "body"}
    return " ".join(table.get(word, word) for word in form.split())


def examples(text: str, values: dict[str, dict[str, str]]) -> list[Example]:
    found: list[Example] = []
    for command in table_commands(text):
        for form in forms(command):
            filled = fill(form, values)
            name = filled.split()[0].lstrip("/")
            sender = "demo-officer" if name in ("passport", "visa", "passport_set") else "demo"
            # /unsubscribe N needs a subscription to take back.
            then = ("/subscribe body Subotica",) if name == "unsubscribe" else ()
            found.append(Example(filled, "table", sender, then))
    found += [Example(quoted, "plain text") for quoted in quoted_examples(text)]
    lines = printf_lines(text)
    found += [Example(line, "printf", then=tuple(lines[:i])) for i, line in enumerate(lines)]
    return found


class Recorder:
    def __init__(self) -> None:
        self.outcomes: list[tuple[str, str]] = []

    def __call__(self, _platform: str, command: str, outcome: str, _seconds: float) -> None:
        self.outcomes.append((command, outcome))


def problem(reply: Reply, command: str, outcome: str) -> str | None:
    """Why this is not an answer with content, or None."""
    if outcome != "ok":
        return f"{outcome} ({command})"
    if command == "none":
        return "not understood as a command"
    if not reply.plain().strip():
        return "an empty answer"
    if command in LISTINGS and not reply.items and not reply.fields:
        return "a listing with nothing in it"
    return None


async def test_every_readme_example_answers_with_content(demo_db: Database) -> None:
    text = readme()
    values = await placeholders(demo_db)
    found = examples(text, values)
    assert len(found) >= 30, [e.text for e in found]
    assert "/projects p 2" in [e.text for e in found]
    assert "sastanci poglavlje 23" in [e.text for e in found]
    failures = []
    for example in found:
        recorder = Recorder()
        dispatcher = Dispatcher(
            demo_db, command_table(), HandlerConfig(), clock=lambda: NOW, observe=recorder
        )
        for message in (*example.then, example.text):
            reply = await dispatcher.handle(
                Incoming(
                    platform=Platform.CONSOLE,
                    chat_id=f"console:{example.sender}",
                    sender_id=example.sender,
                    sender_name=example.sender,
                    text=message,
                )
            )
        command, outcome = recorder.outcomes[-1]
        why = problem(reply, command, outcome)
        if why:
            failures.append(f"{example.where}: {example.text!r}: {why}: {reply.plain()[:160]!r}")
        # back to the default language for the next example
        await dispatcher.handle(
            Incoming(
                platform=Platform.CONSOLE,
                chat_id=f"console:{example.sender}",
                sender_id=example.sender,
                text="/lang sr-Latn",
            )
        )
    assert not failures, "\n".join(failures)
