"""The `eudesk` command: one place that gathers the sub-commands and turns errors into one line."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from eudesk.bot import (
    cli_audit,
    cli_backup,
    cli_bodies,
    cli_broadcast,
    cli_data,
    cli_db,
    cli_ical,
    cli_reminders,
    cli_run,
    cli_users,
)
from eudesk.bot.cli_output import reader_left, silence_stdout
from eudesk.bot.settings import SettingsError
from eudesk.storage.errors import DatabaseUnavailable, StorageError

app = typer.Typer(
    name="eudesk",
    help="Chat-ops bot and notification service of the Sector for Interregional Cooperation "
    "and European Integration, AP Vojvodina.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(cli_db.app, name="db")
app.add_typer(cli_users.app, name="users")
app.add_typer(cli_bodies.app, name="bodies")
app.add_typer(cli_data.seed_app, name="seed")
app.add_typer(cli_reminders.outbox_app, name="outbox")
app.add_typer(cli_reminders.subscriptions_app, name="subscriptions")
app.add_typer(cli_reminders.reminders_app, name="reminders")
app.command("import")(cli_data.import_command)
app.command("export")(cli_data.export_command)
app.command("broadcast")(cli_broadcast.broadcast_command)
app.command("ack-status")(cli_broadcast.ack_status_command)
app.command("backup")(cli_backup.backup_command)
app.command("restore")(cli_backup.restore_command)
app.command("audit")(cli_audit.audit_command)
app.add_typer(cli_audit.retention_app, name="retention")
app.add_typer(cli_ical.ical_app, name="ical")
app.command("run")(cli_run.run_command)
app.command("console")(cli_run.console_command)

_errors = Console(stderr=True, highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point: expected failures end with one readable line and a non-zero exit; a reader
    that leaves early (`eudesk audit --format csv | head`) ends any command quietly, status 0."""
    try:
        try:
            app()
        except BaseException as exc:
            # typer exits 1 on a broken pipe, rich's Console too, and a transaction around the
            # writing reports the database unreachable: all of them are the reader leaving.
            if not isinstance(exc, KeyboardInterrupt) and reader_left(exc):
                silence_stdout()
                sys.exit(0)
            raise
    except SettingsError as exc:
        _errors.print(f"eudesk: bad configuration: {exc}", markup=False)
        sys.exit(2)
    except DatabaseUnavailable as exc:
        _errors.print(f"eudesk: {exc}", markup=False)
        sys.exit(3)
    except StorageError as exc:
        _errors.print(f"eudesk: {exc}", markup=False)
        sys.exit(1)
