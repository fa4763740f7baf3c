"""Alembic environment: always driven from code (`storage.schema`), on a connection it is given."""

from alembic import context

from supportstation.storage import procedure_models, report_models, run_models  # noqa: F401  (register their tables on Base.metadata)
from supportstation.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
