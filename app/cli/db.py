"""``yizhan db``: the registry database's schema revision, upgrades, downgrades, backups and
restores."""

from __future__ import annotations

from pathlib import Path

import click

from app import migrate
from app.cli._common import cli_lang, db_option
from app.lang import say
from geo.registry import resolve_url


@click.group("db")
def db_group():
    """The registry database: its schema revision, upgrades, backups (数据库升级与备份)."""


def _shown(url: str | None) -> str:
    from sqlalchemy.engine import make_url

    return make_url(resolve_url(url)).render_as_string(hide_password=True)


@db_group.command("current")
@db_option
def current_cmd(db_url):
    """The database's schema revision and the newest this release knows."""
    found = migrate.status(db_url)
    state = ("empty" if found.empty else "up to date" if not found.behind
             else "behind: run `yizhan db upgrade`")
    click.echo(f"{_shown(db_url)}: revision {found.revision or 'none'} "
               f"(newest {found.head}; {state})")


@db_group.command("upgrade")
@db_option
@click.option("--backup/--no-backup", default=True, show_default=True,
              help="Back up an SQLite file first (beside it) when there is anything to do.")
def upgrade_cmd(db_url, backup):
    """Bring the database's schema to this release's (adds tables and columns, keeps every row).

    A database made before schema revisions is checked and then given them. PostgreSQL: take a
    pg_dump first (docs/upgrades.md).
    """
    done = upgrade_with_backup(db_url, backup=backup)
    click.echo(done or f"{_shown(db_url)}: revision {migrate.head()} is the newest; "
                       "nothing to do.")


def upgrade_with_backup(db_url: str | None, *, backup: bool = True) -> str | None:
    """Upgrade the database when behind, after an online backup of an SQLite file; the line that
    says what was done (what ``yizhan db upgrade`` and ``yizhan serve`` print), None when it was
    up to date."""
    migrate.check_intact(db_url)
    found = migrate.status(db_url)
    if not found.behind:
        return None
    kept = None
    if (backup and not found.empty and resolve_url(db_url).startswith("sqlite:///")
            and not (found.revision is None and migrate.matches_models(db_url))):
        kept = migrate.backup(db_url)  # (a database this release made is only stamped)
    before, after = migrate.upgrade(db_url)
    line = f"{_shown(db_url)}: upgraded from revision {before or 'none'} to {after}"
    return line + (f"; the database before is kept in {kept}." if kept else ".")


@db_group.command("downgrade")
@click.argument("revision")
@db_option
@click.option("--backup/--no-backup", default=True, show_default=True,
              help="Back up an SQLite file first (beside it) when there is anything to do.")
def downgrade_cmd(revision, db_url, backup):
    """Take the database's schema back to REVISION, the newest of the older release to install.

    Drops the tables and columns the later revisions added, with their rows; every row of the
    tables the older release knows is kept. REVISION is an id that `yizhan db current` shows,
    or its start (0004). PostgreSQL: take a pg_dump first (docs/upgrades.md).
    """
    lang, shown = cli_lang(), _shown(db_url)
    migrate.check_intact(db_url)
    before, target = migrate.check_downgrade(db_url, to=revision)
    if before == target:
        click.echo(say(lang, "db_downgrade_nothing", db=shown, revision=before))
        return
    kept = None
    if not resolve_url(db_url).startswith("sqlite:///"):
        click.echo(say(lang, "db_downgrade_pg"))
    elif backup:
        kept = migrate.backup(db_url)
    done = migrate.downgrade(db_url, to=target)
    click.echo(say(lang, "db_downgraded", db=shown, before=done.before, after=done.after))
    if done.tables:
        click.echo(say(lang, "db_downgrade_tables", tables=("、" if lang == "zh" else ", ").join(
            say(lang, "db_downgrade_table", table=name, rows=rows)
            for name, rows in sorted(done.tables.items()))))
    if done.columns:
        click.echo(say(lang, "db_downgrade_columns", columns=", ".join(done.columns)))
    if done.tables.get("org_members"):
        click.echo(say(lang, "db_downgrade_members", n=done.tables["org_members"]))
    if kept:
        click.echo(say(lang, "db_downgrade_kept", backup=kept))
    click.echo(say(lang, "db_downgrade_next", after=done.after))


@db_group.command("backup")
@db_option
@click.argument("target", required=False, type=click.Path(path_type=Path))
def backup_cmd(db_url, target):
    """Copy the SQLite registry to TARGET (default: beside it, dated), safely while it is served.

    PostgreSQL: `pg_dump -Fc -f yizhan.dump DBNAME` (docs/upgrades.md).
    """
    written = migrate.backup(db_url, target)
    click.echo(f"Backed up {_shown(db_url)} to {written}.")


@db_group.command("restore")
@db_option
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_cmd(db_url, source, yes):
    """Put the backup SOURCE in place of the SQLite registry (the one replaced is kept beside it).

    Stop `yizhan serve` first, or restart it after. PostgreSQL: `pg_restore` (docs/upgrades.md).
    """
    migrate.sqlite_file(db_url)  # PostgreSQL: said before asking
    migrate.check_backup(source)
    if not yes:
        click.confirm(f"Replace {_shown(db_url)} by {source}?", abort=True)
    kept = migrate.restore(source, db_url)
    click.echo(f"Restored {_shown(db_url)} from {source}"
               + (f"; the database it replaced is kept in {kept}." if kept else "."))
    status = migrate.status(db_url)
    if status.behind:
        click.echo("The backup's schema is older than this release's: run `yizhan db upgrade`.")
