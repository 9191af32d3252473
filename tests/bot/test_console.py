"""The console transport and `eudesk run` with no chat platform: a scripted conversation."""

from __future__ import annotations

import io
import re
from pathlib import Path

from eudesk.bot.transports.console import ConsoleTransport
from eudesk.handlers.dispatch import Dispatcher
from tests.cli import run_cli


async def test_console_reads_one_message_per_line(dispatcher: Dispatcher) -> None:
    stdin = io.StringIO("/whoami\n\n/lang en\n/whoami\n")
    stdout = io.StringIO()
    answered = await ConsoleTransport(dispatcher, "demo").run(stdin, stdout)
    assert answered == 3  # the blank line is skipped
    out = stdout.getvalue()
    assert "Vaš nalog" in out
    assert "Your account" in out


def test_run_without_tokens_opens_the_console_on_demo_data(tmp_path: Path) -> None:
    """What `printf '...' | make run` does on a fresh clone, minus the venv set-up."""
    script = "/help\n/deadlines month\n/lang sr-Cyrl\nрокови месец\n"
    result = run_cli(
        "run",
        "--init-demo",
        database_url=f"sqlite:///{tmp_path}/eudesk.db",
        cwd=tmp_path,
        stdin=script,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    replies = result.stdout.split("\n> ")
    assert len(replies) == 4
    help_reply, deadlines_reply, _lang_reply, cyrillic_reply = replies
    assert "/deadlines" in help_reply
    dated = re.compile(r"\d{2}\.\d{2}\.\d{4}\.")
    assert dated.search(deadlines_reply)
    assert dated.search(cyrillic_reply)
    assert re.search("[а-яА-ЯђјљњћџЂЈЉЊЋЏ]{4,}", cyrillic_reply)
