"""A failed statement's error carries no parameters: no passport number or name reaches a log."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from eudesk.storage.db import Database
from eudesk.storage.models import DocumentStatus, PassportKind, PassportRecord


async def test_a_failed_insert_does_not_quote_personal_data(db: Database) -> None:
    def record() -> PassportRecord:
        return PassportRecord(
            reference="PRIV-1", kind=PassportKind.OFFICIAL, holder_name="Jelena Privatnović",
            passport_number="007654321", status=DocumentStatus.SUBMITTED,
        )  # fmt: skip

    async with db.transaction() as session:
        session.add(record())
    with pytest.raises(IntegrityError) as caught:
        async with db.transaction() as session:
            session.add(record())  # the same reference: a unique violation
    text = str(caught.value)
    assert "PRIV-1" not in text
    assert "Privatnović" not in text
    assert "007654321" not in text
    assert "hidden due to hide_parameters" in text
