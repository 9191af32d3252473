"""Settings: defaults, one readable line per bad variable, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from eudesk.bot.settings import Settings, SettingsError, load_settings
from tests.cli import run_cli


def test_defaults_describe_an_embedded_demo_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EUDESK_DATABASE_URL", "EUDESK_TELEGRAM_TOKEN", "EUDESK_SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.timezone == "Europe/Belgrade"
    assert settings.default_locale == "sr-Latn"
    assert not settings.telegram_enabled
    assert not settings.slack_enabled


def test_bad_values_are_named_by_their_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(http_port="eighty", timezone="Mars/Olympus", _env_file=None)
    message = str(caught.value)
    assert "EUDESK_HTTP_PORT" in message
    assert "EUDESK_TIMEZONE" in message
    assert "unknown time zone" in message


def test_secrets_do_not_appear_in_repr() -> None:
    settings = load_settings(
        telegram_token="123456:SECRET-TOKEN", slack_signing_secret="shh-signing", _env_file=None
    )
    assert settings.telegram_enabled
    assert "SECRET-TOKEN" not in repr(settings)
    assert "shh-signing" not in repr(settings)


def test_a_bad_variable_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "db",
        "current",
        database_url=f"sqlite:///{tmp_path}/x.db",
        cwd=tmp_path,
        extra_env={"EUDESK_HTTP_PORT": "99999"},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "EUDESK_HTTP_PORT" in lines[0]


def test_an_unknown_database_kind_is_refused(tmp_path: Path) -> None:
    result = run_cli("db", "current", database_url="mysql://root@127.0.0.1/x", cwd=tmp_path)
    assert result.returncode == 2
    assert "EUDESK_DATABASE_URL" in result.stderr
