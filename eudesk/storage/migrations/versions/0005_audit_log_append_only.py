"""audit log append-only

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:00:00.000000

Triggers, which the models do not describe (so the drift check does not see them), refuse to
delete audit rows or to change what they say. Two changes stay possible, both needed by code
that already runs: `detail` may be completed (handlers/passports.py writes a lookup's row before
reading the record and then fills in the outcome), on PostgreSQL only by the transaction that
inserted the row; and `actor_user_id` may become NULL, which is what ON DELETE SET NULL does when
a user is deleted (`actor` still names them).
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column but `detail` and `actor_user_id` must keep its value through an UPDATE.
_FIXED = ('id', 'at', 'actor', 'platform', 'action', 'target_type', 'target_ref', 'allowed')

_POSTGRESQL = (
    # Whether the visible version of an audit row was written by the current transaction or one
    # of its savepoints, i.e. its writer is still "in progress" (a row another transaction wrote
    # is visible here only once that one committed). xmin has 32 bits and pg_xact_status wants
    # 64: take the full id nearest to this transaction's own. A frozen ancient xmin may come out
    # "in the future"; pg_xact_status then raises, and the answer is no.
    """
    CREATE FUNCTION audit_log_written_here(row_id integer) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
        own numeric := pg_current_xact_id()::text::numeric;
        low numeric;
    BEGIN
        SELECT xmin::text::numeric INTO low FROM audit_log WHERE id = row_id;
        RETURN coalesce(pg_xact_status((
            own + mod(low - mod(own, 4294967296) + 6442450944, 4294967296) - 2147483648
        )::text::xid8) = 'in progress', false);
    EXCEPTION WHEN invalid_parameter_value OR numeric_value_out_of_range
                   OR invalid_text_representation THEN
        RETURN false;
    END $$
    """,
    f"""
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND {' AND '.join(f'NEW.{c} IS NOT DISTINCT FROM OLD.{c}' for c in _FIXED)}
           AND (NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id
                OR NEW.actor_user_id IS NULL)
           AND (NEW.detail IS NOT DISTINCT FROM OLD.detail OR audit_log_written_here(OLD.id))
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit log is append-only (% refused)', TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
    """,
)

_SQLITE = (
    f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    WHEN NOT ({' AND '.join(f'NEW.{c} IS OLD.{c}' for c in _FIXED)}
              AND (NEW.actor_user_id IS OLD.actor_user_id OR NEW.actor_user_id IS NULL))
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only (DELETE refused)'); END
    """,
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL if dialect == 'postgresql' else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_log_no_truncate ON audit_log')
        op.execute('DROP TRIGGER audit_log_append_only ON audit_log')
        op.execute('DROP FUNCTION audit_log_append_only()')
        op.execute('DROP FUNCTION audit_log_written_here(integer)')
    else:
        op.execute('DROP TRIGGER audit_log_no_delete')
        op.execute('DROP TRIGGER audit_log_no_update')
