"""The newest schema revision of this release, and a check that reads only the revision a
database records: a command whose database is current starts without loading Alembic (about
0.15 s of every command line with ``--db``). :func:`app.migrate.require_current` decides every
other case."""

from __future__ import annotations

from pathlib import Path

#: The newest revision in ``app/migrations/versions`` (a test keeps the two equal).
HEAD = "0006_upload_regions"


def is_current(url: str | None) -> bool:
    """Whether the database at ``url`` records :data:`HEAD`; False when it records another, none,
    or cannot be read (then the full check says what is wrong)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from geo.registry import resolve_url

    resolved = resolve_url(url)
    if resolved.startswith("sqlite:///") and not Path(
            resolved.removeprefix("sqlite:///")).is_file():
        return False
    engine = create_engine(resolved)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return found == [HEAD]
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
