"""The core stays free of chat SDKs and the scheduler library; imports point down only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "eudesk"
LAYERS = ["storage", "handlers", "schedules", "bot"]  # each may import only those before it


def test_core_imports_no_chat_sdk_or_scheduler() -> None:
    probe = (
        "import sys, eudesk.storage.models, eudesk.storage.repositories, eudesk.storage.db, "
        "eudesk.handlers, eudesk.schedules\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'telegram', 'slack_bolt', 'slack_sdk', 'apscheduler', 'aiohttp'})\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "eudesk" and len(parts) > 1 and parts[1] in LAYERS:
                found.add(parts[1])
    return found


def test_imports_point_down_only() -> None:
    wrong: list[str] = []
    for rank, layer in enumerate(LAYERS):
        allowed = set(LAYERS[: rank + 1])
        for path in (PACKAGE / layer).rglob("*.py"):
            for target in _imported_layers(path) - allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports eudesk.{target}")
    assert wrong == []
