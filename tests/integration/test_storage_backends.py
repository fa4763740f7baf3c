"""The storage layer on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import shutil
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text

# Imported for their tables, which the migrations must build too.
import supportstation.storage.procedure_models
import supportstation.storage.run_models  # noqa: F401
from supportstation import demo
from supportstation.storage import DatabaseError, connect, schema, sqlite_url
from supportstation.storage.enums import TicketStatus
from supportstation.storage.models import Base, Client, Host, Site, Ticket, TimelineEvent


def test_a_new_database_gets_the_current_schema(database_url: str, tmp_path: Path) -> None:
    database = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    try:
        assert schema.current_revision(database) == schema.HEAD_REVISION
        assert not (tmp_path / "backups").exists(), "a new database needs no backup"
    finally:
        database.close()


def _not_the_queue_index(_object: object, name: str | None, _type: str, _reflected: bool, _compare_to: object) -> bool:
    return name != "ix_ticket_queue"


def test_the_migrations_build_exactly_the_models(database_url: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    database = connect(database_url, backups=tmp_path, create_missing=True)
    try:
        with database.engine.connect() as connection, warnings.catch_warnings():
            # SQLAlchemy does not reflect indexes on expressions, so Alembic cannot compare the queue's index: it is
            # checked by the next test, through the plan of the queue's query.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index ix_ticket_q")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            differences = compare_metadata(
                MigrationContext.configure(
                    connection, opts={"compare_type": True, "include_object": _not_the_queue_index}
                ),
                Base.metadata,
            )
        assert differences == []
    finally:
        database.close()


def test_the_queue_reads_open_tickets_from_its_index_without_sorting(database_url: str, tmp_path: Path) -> None:
    from supportstation.storage.models import queue_order, ticket_is_open

    database = connect(database_url, backups=tmp_path, create_missing=True)
    try:
        query = sa.select(Ticket.id).where(ticket_is_open()).order_by(*queue_order()).limit(60)
        with database.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
                plan = " ".join(str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
                assert "INDEX ix_ticket_queue" in plan and "TEMP B-TREE" not in plan, plan
            else:
                names = connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = 'ticket' AND indexname = 'ix_ticket_queue'"
                ).scalar_one()
                assert "WHERE" in names
    finally:
        database.close()


def test_the_whole_queue_is_read_from_its_index_alone_on_sqlite(tmp_path: Path) -> None:
    """The queue's columns are all in its index: SQLite reads the index front to back, never the table."""
    from sqlalchemy import event

    from supportstation.tickets.queue import load_queue

    database = connect(sqlite_url(tmp_path / "queue.sqlite"), backups=tmp_path, create_missing=True)
    statements: list[tuple[str, Any]] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append((args[2], args[3])))
    try:
        with database.session() as session:
            load_queue(session)
        queue_reads = [(sql, parameters) for sql, parameters in statements if "ORDER BY ticket.priority" in sql]
        assert len(queue_reads) == 1, statements
        with database.engine.connect() as connection:
            plan = " ".join(str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + queue_reads[0][0],
                                                                           queue_reads[0][1]))  # fmt: skip
        assert "USING COVERING INDEX ix_ticket_queue" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        database.close()


def test_known_revisions_follow_the_migration_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    history = [revision.revision for revision in scripts.walk_revisions()][::-1]
    assert tuple(history) == schema.KNOWN_REVISIONS
    assert scripts.get_current_head() == schema.HEAD_REVISION


def test_models_round_trip_with_utc_instants_and_relations(database_url: str, tmp_path: Path) -> None:
    database = connect(database_url, backups=tmp_path, create_missing=True)
    paris_morning = datetime(2026, 3, 29, 9, 30, tzinfo=UTC) + timedelta(hours=0)
    try:
        with database.session() as session:
            client = Client(name="Mairie de Test", time_zone="Europe/Paris")
            site = Site(client=client, name="Hôtel de ville")
            host = Host(client=client, site=site, name="srv-01", address="10.0.0.1", tags=["serveur", "cœur"])
            ticket = Ticket(
                reference="INC-1",
                title="Panne",
                client=client,
                site=site,
                priority=1,
                status=TicketStatus.IN_PROGRESS,
                resolve_deadline=paris_morning,
                hosts=[host],
            )
            ticket.timeline.append(TimelineEvent(kind="note", summary="Constat", data={"exit_code": 0}))
            session.add(ticket)
        with database.session() as session:
            loaded = session.scalars(select(Ticket)).one()
            assert loaded.resolve_deadline == paris_morning
            assert loaded.resolve_deadline.tzinfo is not None
            assert loaded.status is TicketStatus.IN_PROGRESS
            assert [h.name for h in loaded.hosts] == ["srv-01"]
            assert loaded.hosts[0].tags == ["serveur", "cœur"]
            assert loaded.timeline[0].data == {"exit_code": 0}
            # Stored as readable lowercase values, not Python names.
            assert session.execute(text("SELECT status FROM ticket")).scalar_one() == "in_progress"
    finally:
        database.close()


def test_priority_outside_p1_to_p4_is_refused(database_url: str, tmp_path: Path) -> None:
    from sqlalchemy.exc import IntegrityError

    database = connect(database_url, backups=tmp_path, create_missing=True)
    try:
        with pytest.raises(IntegrityError), database.session() as session:
            client = Client(name="C")
            session.add(Ticket(reference="X", title="t", client=client, priority=7))
    finally:
        database.close()


def test_foreign_keys_are_enforced(database_url: str, tmp_path: Path) -> None:
    from sqlalchemy.exc import IntegrityError

    database = connect(database_url, backups=tmp_path, create_missing=True)
    try:
        with pytest.raises(IntegrityError), database.session() as session:
            session.add(Site(client_id=999, name="orphan"))
    finally:
        database.close()


def test_the_demo_covers_every_priority_and_status(database_url: str, tmp_path: Path) -> None:
    database = connect(database_url, backups=tmp_path, create_missing=True)
    try:
        assert demo.is_empty(database)
        demo.populate(database)
        assert not demo.is_empty(database)
        with database.session() as session:
            tickets = session.scalars(select(Ticket)).all()
            assert {t.priority for t in tickets} == {1, 2, 3, 4}
            assert {t.status for t in tickets} == set(TicketStatus)
            assert all(t.client.time_zone == "Europe/Paris" for t in tickets)
    finally:
        database.close()


def test_a_database_from_a_newer_version_is_refused_and_left_alone(database_url: str, tmp_path: Path) -> None:
    database = connect(database_url, backups=tmp_path, create_missing=True)
    with database.session() as session:
        session.add(Client(name="Garder"))
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    database.close()
    with pytest.raises(DatabaseError, match=r"newer version of SupportStation.*9999"):
        connect(database_url, backups=tmp_path, create_missing=False)
    database = connect_raw(database_url)
    try:
        with database.session() as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999"
            assert session.scalars(select(Client.name)).all() == ["Garder"]
    finally:
        database.close()


def test_a_database_of_another_application_is_refused(database_url: str, tmp_path: Path) -> None:
    database = connect_raw(database_url)
    with database.session() as session:
        session.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    database.close()
    with pytest.raises(DatabaseError, match=r"not a SupportStation database.*invoices"):
        connect(database_url, backups=tmp_path, create_missing=False)


def connect_raw(url: str):  # type: ignore[no-untyped-def]
    from supportstation.storage.database import open_database

    return open_database(url, create_missing=True)


# -- upgrading an older database, with a second revision written for the test --------------------------------------

SECOND_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "9000"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("client") as batch:
        batch.add_column(sa.Column("vat_number", sa.String(32), nullable=False, server_default=""))
    {failure}


def downgrade():
    with op.batch_alter_table("client") as batch:
        batch.drop_column("vat_number")
"""


@pytest.fixture
def newer_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Pretends this version knows a revision 9000 after the real head; returns a function writing it."""
    migrations = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, migrations)

    def write(failure: str = "") -> None:
        script = SECOND_REVISION.format(failure=failure, head=schema.HEAD_REVISION)
        (migrations / "versions" / "9000_vat.py").write_text(script)
        monkeypatch.setattr(schema, "MIGRATIONS", migrations)
        monkeypatch.setattr(schema, "KNOWN_REVISIONS", (*schema.KNOWN_REVISIONS, "9000"))
        monkeypatch.setattr(schema, "HEAD_REVISION", "9000")

    return write


def test_an_older_database_is_backed_up_then_upgraded(newer_code, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "old.sqlite3"
    database = connect(f"sqlite:///{path}", backups=tmp_path / "backups", create_missing=True)
    with database.session() as session:
        session.add(Client(name="Ancien client"))
    database.close()

    current_head = schema.HEAD_REVISION
    newer_code()
    database = connect_raw(f"sqlite:///{path}")
    report = schema.prepare(database, tmp_path / "backups")
    try:
        assert (report.before, report.after) == (current_head, "9000")
        assert report.backup is not None and report.backup.exists()
        with database.session() as session:
            assert session.execute(text("SELECT name, vat_number FROM client")).one() == ("Ancien client", "")
    finally:
        database.close()
    backup = connect_raw(f"sqlite:///{report.backup}")
    try:
        with backup.session() as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == current_head
            assert session.execute(text("SELECT name FROM client")).scalar_one() == "Ancien client"
    finally:
        backup.close()


def test_a_failing_migration_leaves_the_database_as_it_was(newer_code, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    database = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    with database.session() as session:
        session.add(Client(name="Intact"))
    database.close()

    current_head = schema.HEAD_REVISION
    newer_code(failure='op.execute("SELECT * FROM table_that_does_not_exist")')
    with pytest.raises(DatabaseError):
        connect(database_url, backups=tmp_path / "backups", create_missing=False)
    database = connect_raw(database_url)
    try:
        with database.session() as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == current_head
            columns = set(session.execute(text("SELECT * FROM client")).keys())
            assert "vat_number" not in columns
            assert session.scalars(select(Client.name)).all() == ["Intact"]
    finally:
        database.close()


def test_upgrading_from_the_first_schema_keeps_data_and_seeds_sla_policies(database_url: str, tmp_path: Path) -> None:
    """A database made by the first release upgrades in place: rows kept, new columns defaulted."""
    from alembic import command
    from alembic.config import Config

    database = connect_raw(database_url)
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO client (name, time_zone, contract, notes) "
                "VALUES ('Ancien', 'Europe/Paris', 'standard', '')"
            )
        )
    database.close()
    database = connect(database_url, backups=tmp_path / "backups", create_missing=False)
    try:
        assert schema.current_revision(database) == schema.HEAD_REVISION
        with database.session() as session:
            client = session.scalars(select(Client)).one()
            assert (client.name, client.working_days, client.opens_minute, client.holiday_country) == (
                "Ancien",
                [0, 1, 2, 3, 4],
                480,
                "FR",
            )
            from supportstation.storage.models import SlaPolicy

            assert session.query(SlaPolicy).count() == 8
    finally:
        database.close()
