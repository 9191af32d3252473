"""Reference rows and canonical files for the transfer tests (invented data; real body codes)."""

# ruff: noqa: E501  (the canonical files are spreadsheet rows, one per line)

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from eudesk.storage.db import Database
from eudesk.storage.models import Body, BodyKind, Chapter, Cluster, Programme

BODIES = {
    "LSGU-80071": ("Bačka Topola", "Бачка Топола", "Topolya", BodyKind.MUNICIPALITY),
    "LSGU-80241": ("Mali Iđoš", "Мали Иђош", "Kishegyes", BodyKind.MUNICIPALITY),
    "PS-FIN": (
        "Pokrajinski sekretarijat za finansije",
        "Покрајински секретаријат за финансије",
        None,
        BodyKind.PROVINCIAL_SECRETARIAT,
    ),
}
PROGRAMMES = {
    "HUSRB": "Interreg VI-A IPA Hungary-Serbia",
    "ROSRB": "Interreg VI-A IPA Romania-Serbia",
}


async def ensure_reference(db: Database) -> None:
    """The few bodies, programmes, clusters and chapters the files point to (kept if present)."""
    async with db.transaction() as session:
        bodies = set(await session.scalars(select(Body.code)))
        for code, (latn, cyrl, hu, kind) in BODIES.items():
            if code not in bodies:
                session.add(
                    Body(code=code, kind=kind, name_sr_latn=latn, name_sr_cyrl=cyrl, name_hu=hu,
                         name_en=latn, country="Serbia")
                )  # fmt: skip
        programmes = set(await session.scalars(select(Programme.code)))
        for code, name in PROGRAMMES.items():
            if code not in programmes:
                session.add(Programme(code=code, name=name, kind="cross-border"))
        if await session.get(Cluster, 1) is None:
            session.add(Cluster(number=1, name_en="Fundamentals", name_sr_latn="Osnove"))
        await session.flush()
        if await session.get(Chapter, 23) is None:
            session.add(
                Chapter(number=23, cluster_number=1, title_en="Judiciary and fundamental rights",
                        title_sr_latn="Pravosuđe i osnovna prava", status="opened")
            )  # fmt: skip


# Canonical files: every cell written as export writes it, sorted by key, so that an export of
# what they import must read back as exactly these rows.
CANONICAL = {
    "projects": """\
code,acronym,title,programme,status,starts_on,ends_on,total_budget,eu_contribution,provincial_cofinancing,prefinancing,responsible_officer,lead_partner,partners
HUSRB/2301/11/001,GREEN-DANUBE,"Zeleni Dunav: Бачка Топола, Szeged",HUSRB,ongoing,2024-03-01,2026-02-28,812500.00,690625.00,60937.50,0.00,Jelena Petrović,LSGU-80071,Szegedi Tudományegyetem [HU]; LSGU-80241
ROSRB/00117,BANAT-WATER,Voda za Banat,ROSRB,planned,,,0.00,0.00,0.00,0.00,,,Consiliul Județean Timiș [RO]; Udruženje bez zemlje []
""",
    "deadlines": """\
ref,kind,title,due,project,programme,bodies,status,notes
D-001,report,Periodični izveštaj 3,2026-03-31 23:59,HUSRB/2301/11/001,HUSRB,LSGU-80071; LSGU-80241,open,"Dva reda:
drugi red"
D-002,call_for_proposals,"Poziv 3; kapitalni projekti",2026-06-15 14:00,,ROSRB,,open,
D-003,cofinancing_request,Захтев за суфинансирање,2026-01-20 09:30:15,HUSRB/2301/11/001,,PS-FIN,done,
""",
    "meetings": """\
ref,title,chapter,cluster,starts,ends,place,agenda,status
M-001,Pregovaračka grupa 23,23,1,2026-04-10 10:00,2026-04-10 13:30,"Beograd, Nemanjina 34","1. Izveštaj; 2. Razno",scheduled
M-002,Klaster 1: koordinacija,,1,2026-07-01 09:00,2026-07-01 11:00,Novi Sad,,held
""",
    "contacts": """\
ref,body,name,position,email,phone,locale,telegram_chat_id,slack_channel,active
C-001,LSGU-80071,Ана Ковач,Kancelarija za LER,ana.kovac@btopola.org.rs,+381 24 715 310,sr-Cyrl,123456789,C01ABCDEF,true
C-002,LSGU-80241,Kovács Péter,,,,hu,,,false
""",
    "passports": """\
reference,kind,holder_name,holder_position,body,passport_number,status,issued_on,valid_until,notes
P-2026-001,diplomatic,Marko Marković,pokrajinski sekretar,PS-FIN,D0012345,issued,2026-01-10,2031-01-09,
P-2026-002,official,Éva Szabó,,,,requested,,,"=hitno, za Brisel"
""",
}


def write_csv(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8", newline="")
    return path
