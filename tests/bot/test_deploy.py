"""deploy/: the nginx site passes `nginx -t` and routes every public path, the example
environment lists every setting, the units agree with the exit statuses, and every command
DEPLOY.md tells an operator to run exists with the options it uses."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import time
from enum import Enum
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from eudesk.bot.cli import app
from eudesk.bot.http import build_http_app
from eudesk.bot.lifecycle import TOKEN_REJECTED
from eudesk.bot.metrics import Metrics
from eudesk.bot.settings import Settings
from eudesk.storage.db import Database

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX_CONF = DEPLOY / "nginx.conf"
ENV_EXAMPLE = DEPLOY / "eudesk.env.example"
RUNBOOK = DEPLOY / "DEPLOY.md"
# The routes of the HTTP server that stay on loopback (see the comment atop nginx.conf).
INTERNAL = {"/healthz", "/metrics"}
CERT_PATHS = re.compile(r"^(\s*ssl_certificate(?:_key)?\s+)(\S+);", re.M)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and its key, valid for a day."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate for `nginx -t`")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=eudesk.example.rs", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_nginx_accepts_the_shipped_site(tmp_path: Path) -> None:
    """The site as shipped, inside a minimal nginx.conf (as Debian includes conf.d/ in http),
    with only the certificate and log paths pointed at throwaway files."""
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's); `nginx -t` not run")
    cert, key = throwaway_certificate(tmp_path)
    paths = iter([str(cert), str(key)])
    site = CERT_PATHS.sub(lambda m: f"{m.group(1)}{next(paths)};", NGINX_CONF.read_text())
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    assert str(key) in site, "nginx.conf has no ssl_certificate and ssl_certificate_key"
    (tmp_path / "eudesk.conf").write_text(site)
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"    access_log {tmp_path}/access.log;\n"
        f"    client_body_temp_path {temp['body']};\n    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n    uwsgi_temp_path {temp['uwsgi']};\n"
        f"    scgi_temp_path {temp['scgi']};\n    include {tmp_path}/eudesk.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def locations(config: str) -> list[tuple[str, str, str]]:
    """(modifier, path, body) of each `location` block in the https server."""
    https = config[config.index("listen 443") :]
    return [
        (m.group(1) or "", m.group(2), m.group(3))
        for m in re.finditer(r"location\s+(=\s*)?(\S+)\s*\{((?:[^{}]|\{[^{}]*\})*)\}", https)
    ]


def routed_block(path: str, blocks: list[tuple[str, str, str]]) -> str:
    """The body of the location nginx picks for `path` (exact match, else longest prefix)."""
    for modifier, location, body in blocks:
        if modifier.strip() == "=" and location == path:
            return body
    prefixes = [(loc, body) for mod, loc, body in blocks if not mod and path.startswith(loc)]
    assert prefixes, f"no location matches {path}"
    return max(prefixes, key=lambda pair: len(pair[0]))[1]


def public_paths() -> list[str]:
    """A sample path of every route the HTTP server has when everything is configured."""

    class Stub:
        async def handle_webhook(self, body: bytes, secret_header: str | None) -> int:
            return 200

        async def handle_http(self, request: object) -> object:
            return None

    async def no_feed(_token: str) -> bytes | None:
        return None

    web = build_http_app(
        Database.from_url("sqlite:///:memory:"),
        Metrics([]),
        telegram=Stub(),
        slack=Stub(),  # type: ignore[arg-type]
        feeds=no_feed,
        transports_up=dict,
    )
    samples = []
    for resource in web.router.resources():
        canonical = resource.canonical
        if canonical not in INTERNAL:
            samples.append(re.sub(r"\{[^}]+\}", "TOKEN.ics", canonical))
    return samples


def test_nginx_routes_every_public_path_and_keeps_the_rest_internal() -> None:
    blocks = locations(NGINX_CONF.read_text())
    paths = public_paths()
    assert {"/telegram/webhook", "/slack/events", "/ical/TOKEN.ics"} <= set(paths)
    for path in paths:
        assert "proxy_pass http://eudesk_web;" in routed_block(path, blocks), path
    for path in INTERNAL:
        assert "proxy_pass" not in routed_block(path, blocks), path
    assert not re.search(r"^\s*http2\s+on;", NGINX_CONF.read_text(), re.M)  # 1.25+ only


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """(set, commented) variables of the example environment file, name -> value."""
    set_: dict[str, str] = {}
    commented: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(#\s*)?(EUDESK_[A-Z0-9_]+)=(.*)$", line)
        if match:
            target = commented if match.group(1) else set_
            target.setdefault(match.group(2), match.group(3))
    return set_, commented


def test_the_example_environment_lists_every_setting() -> None:
    set_, commented = env_example()
    listed = set_.keys() | commented.keys()
    variables = {f"EUDESK_{name.upper()}" for name in Settings.model_fields}
    assert not variables - listed, f"eudesk.env.example lacks {sorted(variables - listed)}"
    assert not listed - variables, f"eudesk.env.example names unknown {sorted(listed - variables)}"


def _shown(default: object) -> str:
    if isinstance(default, Enum):
        return str(default.value)
    if isinstance(default, time):
        return default.strftime("%H:%M")
    return str(default)


def test_a_commented_line_shows_the_default() -> None:
    """`# EUDESK_X=value` means "the default is value": it must be."""
    set_, commented = env_example()
    for name, field in Settings.model_fields.items():
        variable = f"EUDESK_{name.upper()}"
        if variable in commented and field.default is not None and variable not in set_:
            assert commented[variable] == _shown(field.default), variable


def test_the_units_do_not_restart_on_what_a_restart_cannot_fix() -> None:
    """A bad setting (2) and a rejected token (TOKEN_REJECTED) stop the service for good."""
    units = sorted(DEPLOY.glob("eudesk-web*.service")) + sorted(DEPLOY.glob("eudesk-worker*"))
    assert len(units) == 3
    for unit in units:
        text = unit.read_text()
        line = re.search(r"^RestartPreventExitStatus=(.*)$", text, re.M)
        assert line, unit.name
        assert {"2", str(TOKEN_REJECTED)} <= set(line.group(1).split()), unit.name
        assert f"exits {TOKEN_REJECTED}" in text, f"{unit.name}: the comment names the status"


def test_backups_run_on_a_timer_and_are_private() -> None:
    service = (DEPLOY / "eudesk-backup.service").read_text()
    timer = (DEPLOY / "eudesk-backup.timer").read_text()
    assert re.search(r"^UMask=0077$", service, re.M)
    assert "eudesk backup" in service
    assert re.search(r"^OnCalendar=", timer, re.M)
    assert re.search(r"^Persistent=true$", timer, re.M)


def test_ci_installs_nginx_for_the_nginx_test() -> None:
    ci = (DEPLOY.parent / ".ci" / "run").read_text()
    assert "apt-get install -y --no-install-recommends nginx" in ci
    assert "nginx -v" in ci  # only when it is not installed yet


def runbook_commands() -> list[list[str]]:
    """Every `eudesk ...` command in DEPLOY.md's shell blocks and inline code, as words."""
    text = RUNBOOK.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    inline = re.sub(r"```.*?```", "", text, flags=re.S)
    snippets = blocks + [span.replace("\n", " ") for span in re.findall(r"`([^`]+)`", inline)]
    commands = []
    # `eudesk` where a shell runs it: a line's start, after sudo, ;, &&, | or a .../bin/.
    command = re.compile(r"(?:^|[;&|(]\s*|\bsudo\s+|/bin/)eudesk\s+([^;&|)'\n#]*)", re.M)
    for snippet in snippets:
        joined = snippet.replace("\\\n", " ")
        for match in command.finditer(joined.strip()):
            words = match.group(1).split()
            while words and (words[0].startswith("$") or re.match(r"EUDESK_\w+=", words[0])):
                words.pop(0)  # the wrapper's VAR=value overrides, or a variable holding one
            commands.append(words)
    return commands


def resolve(words: list[str]) -> tuple[str, object, list[str]]:
    """The sub-command the words name, and the rest of the words."""
    command: object = typer.main.get_command(app)
    path: list[str] = []
    rest = list(words)
    while isinstance(command, TyperGroup) and rest and rest[0] in command.commands:
        path.append(rest[0])
        command = command.commands[rest.pop(0)]
    return " ".join(path), command, rest


def test_every_command_in_the_runbook_exists_with_its_options() -> None:
    commands = runbook_commands()
    assert len(commands) >= 15, commands
    problems = []
    for words in commands:
        path, command, rest = resolve(words)
        if isinstance(command, TyperGroup):
            if rest and not rest[0].startswith(("-", "<")) and rest[0] != "...":
                problems.append(f"eudesk {' '.join(words)}: no command {rest[0]!r} in {path!r}")
            continue
        params = command.params  # type: ignore[attr-defined]
        known = {opt for param in params for opt in [*param.opts, *param.secondary_opts]}
        known.add("--help")
        for word in rest:
            option = word.split("=")[0]
            if option.startswith("--") and option not in known:
                problems.append(f"eudesk {' '.join(words)}: {path} has no option {option}")
    assert not problems, "\n".join(problems)


def test_the_runbook_covers_an_operators_first_week() -> None:
    text = RUNBOOK.read_text()
    steps = {
        "the first admin": r"eudesk users add \S+ --role admin",
        "importing contacts": r"eudesk import contacts ",
        "importing projects": r"eudesk import projects ",
        "the import columns": r"\| `contacts` \| `ref`, `body`",
        "staff": r"eudesk users add \"\$name\"",
        "linking chats with invite codes": r"/invite .*\n(.*\n)*.*/start CODE",
        "health": r"curl -s http://127\.0\.0\.1:8080/healthz",
        "logs": r"journalctl -u eudesk-web",
        "the backup timer": r"enable --now .*eudesk-backup\.timer",
        "private backups": r"mode 0600",
        "a restore drill": r"eudesk \$drill restore",
        "upgrades": r"eudesk db upgrade",
        "the exit statuses": rf"\| {TOKEN_REJECTED} \| Telegram or Slack rejected a token",
    }
    missing = [step for step, pattern in steps.items() if not re.search(pattern, text)]
    assert not missing, f"DEPLOY.md lacks {missing}"
    assert "being added" not in text
