"""Listing commands: --format table|csv|json, tables that wrap at 80 columns, bodies by name."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from eudesk.bot.cli_output import OutputFormat, emit
from tests.cli import run_cli

NARROW = {"COLUMNS": "80"}


class Cli:
    def __init__(self, url: str, cwd: Path) -> None:
        self.url, self.cwd = url, cwd

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=self.url, cwd=self.cwd, extra_env=env)
        return result.returncode, result.stdout, result.stderr

    def ok(self, *args: str, env: dict[str, str] | None = None) -> str:
        code, out, err = self(*args, env=env)
        assert code == 0, err
        return out

    def json(self, *args: str) -> list[dict[str, Any]]:
        records = json.loads(self.ok(*args, "--format", "json"))
        assert isinstance(records, list)
        return records


def columns_of_table(out: str) -> list[str]:
    """Each column's text, all its lines joined, without whitespace (where wrapping breaks)."""
    body = [line for line in out.splitlines() if line.startswith("│")]
    assert body, out
    cells = [line.strip().strip("│").split("│") for line in body]
    return ["".join(re.sub(r"\s", "", row[i]) for row in cells) for i in range(len(cells[0]))]


def assert_nothing_cut(out: str, records: list[dict[str, Any]], headers: list[str]) -> None:
    """Every line fits 80 columns, nothing ends in "…", and every cell's text is there in full,
    in order, in its column."""
    assert all(cell_len(line) <= 80 for line in out.splitlines()), out
    assert "…" not in out
    shown = columns_of_table(out)
    for i, header in enumerate(headers):
        expected = "".join(re.sub(r"\s", "", _shown(r[header])) for r in records)
        assert shown[i] == expected, header


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def test_bodies_list_users_by_body_name_and_narrow_tables(
    empty_database_url: str, tmp_path: Path
) -> None:
    cli = Cli(empty_database_url, tmp_path)
    cli.ok("db", "upgrade")
    cli.ok("seed", "reference")

    # bodies list: the codes other commands accept, names in three scripts, kind, district
    bodies = cli.json("bodies", "list")
    topola = next(b for b in bodies if b["code"] == "LSGU-80071")
    assert topola == {
        "code": "LSGU-80071", "sr-Latn": "Bačka Topola", "sr-Cyrl": "Бачка Топола",
        "hu": "Topolya", "kind": "municipality", "district": "Severnobački upravni okrug",
    }  # fmt: skip
    assert len(bodies) >= 60
    rows = list(csv.reader(io.StringIO(cli.ok("bodies", "list", "--format", "csv"))))
    assert rows[0] == ["code", "sr-Latn", "sr-Cyrl", "hu", "kind", "district"]
    assert len(rows) == len(bodies) + 1
    assert [b["code"] for b in cli.json("bodies", "list", "Бачка Топ")] == ["LSGU-80071"]
    assert {b["kind"] for b in cli.json("bodies", "list", "--kind", "city")} == {"city"}
    narrow = cli.ok("bodies", "list", env=NARROW)
    assert_nothing_cut(narrow, bodies, ["code", "sr-Latn", "sr-Cyrl", "hu", "kind", "district"])

    # users add --body: a code, or a name in any script
    assert "added" in cli.ok(
        "users", "add", "[bold]x[/]", "--role", "staff", "--body", "Бачка Топола"
    )
    cli.ok("users", "add", "ana", "--role", "staff", "--body", "Topolya")
    cli.ok("users", "add", "mile", "--role", "staff", "--body", "lsgu-80438")
    code, _out, err = cli("users", "add", "nobody", "--role", "staff", "--body", "Atlantida")
    assert code == 1
    assert "no body 'Atlantida'" in err
    assert "eudesk bodies list" in err
    code, _out, err = cli("users", "add", "nobody", "--role", "staff", "--body", "sekretarijat")
    assert code == 1
    assert "several bodies" in err
    assert "Traceback" not in err

    users = cli.json("users", "list")
    assert [(u["name"], u["body"]) for u in users] == [
        ("[bold]x[/]", "LSGU-80071"), ("ana", "LSGU-80071"), ("mile", "LSGU-80438"),
    ]  # fmt: skip
    table = cli.ok("users", "list", env=NARROW)
    assert "[bold]x[/]" in table  # a name is text, not rich markup
    assert_nothing_cut(table, users, ["name", "roles", "lang", "body", "chats"])
    rows = list(csv.reader(io.StringIO(cli.ok("users", "list", "--format", "csv"))))
    assert rows[0] == ["name", "roles", "lang", "body", "chats"]
    assert rows[1][0] == "[bold]x[/]"

    # audit: a long detail wraps at 80 columns; json has every column
    records = cli.json("audit")
    assert {r["action"] for r in records} >= {"user.add"}
    assert set(records[0]) == {"id", "at", "actor", "user", "platform", "action",
                               "target_type", "target_ref", "allowed", "detail"}  # fmt: skip
    out = cli.ok("audit", env=NARROW)
    assert all(cell_len(line) <= 80 for line in out.splitlines()), out
    assert "…" not in out
    assert "user.add" in columns_of_table(out)[3]


def test_csv_output_neutralises_text_but_not_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [('=HYPERLINK("http://x","klik")', Decimal("-12.50"), -3, "-12.50", None, True)]
    assert emit(("name", "amount", "count", "typed", "empty", "flag"), rows, OutputFormat.CSV) == 1
    written = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert written[1] == ["'=HYPERLINK(\"http://x\",\"klik\")", "-12.50", "-3", "'-12.50", "",
                          "true"]  # fmt: skip
    assert emit(("name", "amount"), [("[bold]x[/]", Decimal("-12.50"))], OutputFormat.JSON) == 1
    assert json.loads(capsys.readouterr().out) == [{"name": "[bold]x[/]", "amount": "-12.50"}]
    assert emit(("name",), [], OutputFormat.JSON) == 0
    assert json.loads(capsys.readouterr().out) == []
