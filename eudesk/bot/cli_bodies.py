"""`eudesk bodies list`: the bodies and the codes other commands accept for them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from eudesk.bot.cli_output import FORMAT_HELP, Cell, OutputFormat, emit
from eudesk.bot.runtime import with_database
from eudesk.storage.db import Database
from eudesk.storage.models import Body, BodyKind
from eudesk.storage.repositories import Repositories

app = typer.Typer(
    help="Bodies: the provincial bodies, cities and municipalities, and their codes.",
    no_args_is_help=True,
)

HEADERS = ("code", "sr-Latn", "sr-Cyrl", "hu", "kind", "district")


@app.command("list")
def list_command(
    text: Annotated[
        str | None,
        typer.Argument(help="only bodies whose name (any script) or code contains this"),
    ] = None,
    kind: Annotated[BodyKind | None, typer.Option(help="only bodies of this kind")] = None,
    shape: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = (
        OutputFormat.TABLE
    ),
) -> None:
    """List bodies with the code that other commands accept (a name in any script works too:
    "Бачка Топола" = "Backa Topola" = "Topolya"), names in sr-Latn, sr-Cyrl and hu, kind and
    district."""

    async def work(database: Database) -> list[Sequence[Cell]]:
        async with database.transaction() as session:
            bodies = Repositories(session).bodies
            found = await bodies.all() if text is None else await bodies.find(text, limit=1000)
            return [_row(body) for body in found if kind is None or body.kind is kind]

    emit(HEADERS, with_database(work), shape)


def _row(body: Body) -> Sequence[Cell]:
    return (
        body.code,
        body.name_sr_latn,
        body.name_sr_cyrl,
        body.name_hu,
        body.kind.value.replace("_", " "),
        body.district_sr_latn,
    )
