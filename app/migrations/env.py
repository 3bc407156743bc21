"""The migration environment: runs the revisions on the connection :mod:`app.migrate` hands
over (``config.attributes["connection"]``), comparing against every model of the registry
database (:func:`app.migrate.metadatas`)."""

from __future__ import annotations

from alembic import context

from app.migrate import metadatas

connection = context.config.attributes.get("connection")
if connection is None:  # the environment is run by app.migrate only, never on its own
    raise RuntimeError("run migrations with `yizhan db upgrade` (app.migrate.upgrade)")
context.configure(connection=connection, target_metadata=metadatas(),
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
