"""Run the real `eudesk` command in a subprocess, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str,
    database_url: str,
    cwd: Path,
    extra_env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EUDESK_")}
    env["EUDESK_DATABASE_URL"] = database_url
    env["COLUMNS"] = "200"  # rich wraps lines at the terminal width
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "eudesk", *args],
        cwd=cwd,  # no stray .env is read from the repository
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
