"""Schema revisions (app.migrate, app/migrations) and `yizhan db` (app.cli.db): a database made
by the wave-2 release upgrades with every row kept; every model has a revision; backups and
restores of SQLite files; `yizhan serve` upgrades after a backup."""

from __future__ import annotations

import importlib
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

import app
from app import migrate
from app.cli import main
from geo.registry import Registry
from tests.conftest import empty_postgres

DATA = Path(__file__).parents[1] / "data"
WAVE2 = DATA / "wave2.sqlite"
#: The tables of the wave-2 release and the order their rows are compared in.
WAVE2_TABLES = {"stations": "id", "station_history": "seq", "staged_stations": "import_id, id",
                "staged_history": "import_id, ord", "users": "id", "sessions": "token_hash",
                "signin_failures": "key", "reports": "id"}


def _wave2_passwords() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("make_wave2_db", DATA / "make_wave2_db.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PASSWORDS


def rows(url: str) -> dict[str, list[tuple]]:
    """Every row of the wave-2 tables, the wave-2 columns only, in a fixed order, with times and
    JSON as text (as SQLite holds them) so two databases compare equal when they hold the same."""
    engine = create_engine(url)
    try:
        old = MetaData()
        old.reflect(create_engine(f"sqlite:///{WAVE2}"), only=list(WAVE2_TABLES))
        out = {}
        with engine.connect() as conn:
            for name, order in WAVE2_TABLES.items():
                columns = ", ".join(f'"{c.name}"' for c in old.tables[name].columns)
                out[name] = [tuple(_plain(v) for v in row) for row in conn.execute(
                    text(f"SELECT {columns} FROM {name} ORDER BY {order}"))]
        return out
    finally:
        engine.dispose()


def _plain(value):
    from datetime import datetime

    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(" ")
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


@pytest.fixture
def wave2(tmp_path) -> str:
    target = tmp_path / "yizhan.sqlite"
    shutil.copyfile(WAVE2, target)
    return f"sqlite:///{target}"


def test_the_fixture_is_a_wave2_database():
    """No revision, the wave-2 tables only, and what the script put in them."""
    with sqlite3.connect(WAVE2) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == set(WAVE2_TABLES)
        assert conn.execute("SELECT count(*) FROM stations WHERE deleted_at IS NULL").fetchone()
    before = rows(f"sqlite:///{WAVE2}")
    assert len(before["stations"]) == 101 and len(before["users"]) == 3
    assert len(before["sessions"]) == 2 and len(before["signin_failures"]) == 2
    assert len(before["reports"]) == 3 and len(before["station_history"]) > 101


def test_a_wave2_database_upgrades_and_keeps_every_row(runner, wave2, tmp_path):
    before = rows(wave2)
    result = runner.invoke(main, ["db", "upgrade", "--db", wave2])
    assert result.exit_code == 0, result.output
    assert f"upgraded from revision none to {migrate.head()}" in result.output
    backup = re.search(r"kept in (\S+)\.$", result.output.strip()).group(1)
    assert rows(f"sqlite:///{backup}") == before  # the backup is the database as it was
    assert rows(wave2) == before
    assert migrate.status(wave2).revision == migrate.head()
    _the_app_reads_it(wave2, before)
    again = runner.invoke(main, ["db", "upgrade", "--db", wave2])
    assert "nothing to do" in again.output and len(list(tmp_path.glob("*.sqlite"))) == 2


def _the_app_reads_it(url: str, before: dict[str, list[tuple]]) -> None:
    """The stations, versions, history, accounts, sessions and reports as this release reads
    them: the same ones, and sign-in with the old passwords works."""
    from app.accounts import Accounts
    from app.reports import Reports

    registry = Registry(url)
    try:
        assert len(registry.stations(include_deleted=True)) == len(before["stations"])
        versions = {r[0]: r[-1] for r in before["stations"]}
        assert {s.id: registry.get_versioned(s.id).version
                for s in registry.stations()} == {k: v for k, v in versions.items()
                                                  if k in {s.id for s in registry.stations()}}
        assert len(registry.history()) == len(before["station_history"])
        accounts = Accounts(registry)
        assert sorted(u.name for u in accounts.users()) == sorted(r[1] for r in before["users"])
        assert accounts.sessions("li.ming") == 1
        signed = accounts.sign_in("wang.admin", _wave2_passwords()["wang.admin"], client="t")
        assert signed.user.role == "admin"
        listed = Reports(registry).list()
        assert sorted(r["id"] for r in listed) == [r[0] for r in before["reports"]]
        assert {r["id"]: r["status"] for r in listed}[1] == "handled"
    finally:
        registry.engine.dispose()


def wave2_on_postgres() -> str:
    """The test PostgreSQL database at the baseline revision with the wave-2 file's rows (as
    the wave-2 release made them there), as a URL; skips the test when there is none."""
    url = empty_postgres()
    migrate.upgrade(url, to=migrate.BASELINE)
    source = create_engine(f"sqlite:///{WAVE2}")
    target = create_engine(url)
    try:
        old = MetaData()
        old.reflect(source, only=list(WAVE2_TABLES))
        with source.connect() as src, target.begin() as dst:
            for table in old.sorted_tables:
                data = [dict(r._mapping) for r in src.execute(select(table))]
                if data:
                    dst.execute(table.insert(), data)
            for name, column in (("users", "id"), ("reports", "id"),
                                 ("station_history", "seq")):
                dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                                 f"(SELECT max({column}) FROM {name}))"))
    finally:
        source.dispose()
        target.dispose()
    return url


def test_a_wave2_database_upgrades_on_postgresql():
    """The wave-2 rows in a PostgreSQL database at the baseline revision (as the wave-2
    release made them there) are all there after the upgrade."""
    url = wave2_on_postgres()
    before = rows(url)
    assert migrate.upgrade(url) == (migrate.BASELINE, migrate.head())
    assert rows(url) == before
    assert {k: len(v) for k, v in before.items()} == {
        k: len(v) for k, v in rows(f"sqlite:///{WAVE2}").items()}
    _the_app_reads_it(url, before)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_every_model_has_a_revision(engine, tmp_path):
    """After the revisions alone, Alembic finds nothing the models have that the database lacks:
    a table or column added to a model without a revision fails here (docs/upgrades.md)."""
    url = f"sqlite:///{tmp_path / 'new.sqlite'}" if engine == "sqlite" else empty_postgres()
    migrate.upgrade(url)
    db = create_engine(url)
    try:
        with db.connect() as conn:
            assert migrate.differences(conn) == []
    finally:
        db.dispose()


def test_every_metadata_of_the_registry_database_is_migrated():
    """Each module of geo and app that declares tables (a module-level ``MetaData()``) is one
    of :func:`app.migrate.metadatas`, so its tables are compared above."""
    root = Path(app.__file__).parents[1]
    listed = {id(m) for m in migrate.metadatas()}
    declaring = []
    for package in ("geo", "app"):
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:  # the revisions' own copies of the tables
                continue
            if re.search(r"^\w+\s*=\s*MetaData\(\)", path.read_text("utf-8"), re.M):
                name = ".".join(path.relative_to(root).with_suffix("").parts)
                declaring.append(name)
                module = importlib.import_module(name)
                assert id(module.metadata) in listed, f"{name}.metadata has no revisions"
    assert "geo.registry" in declaring and "app.accounts" in declaring


def test_a_database_this_release_made_is_only_stamped(runner, tmp_path):
    """Tables made by the stores' create_all (no revision yet) get the revision recorded, with
    no backup: nothing in them changes."""
    url = f"sqlite:///{tmp_path / 'made.sqlite'}"
    engine = create_engine(url)
    for meta in migrate.metadatas():
        meta.create_all(engine)
    engine.dispose()
    result = runner.invoke(main, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0 and "kept in" not in result.output, result.output
    assert migrate.status(url).revision == migrate.head()
    assert [p.name for p in tmp_path.iterdir()] == ["made.sqlite"]


def test_an_older_database_gets_the_new_columns(tmp_path):
    """A registry file written before history had an actor keeps its history after the
    upgrade and records actors from then on (moved from tests/geo/test_registry.py)."""
    from tests.geo.test_registry import station

    path = tmp_path / "old.sqlite"
    Registry(f"sqlite:///{path}").upsert([station(1)], source="import a.csv", actor="ops")
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE station_history DROP COLUMN actor")
        conn.execute("ALTER TABLE stations DROP COLUMN version")  # before stations had versions
    migrate.upgrade(f"sqlite:///{path}")
    reopened = Registry(f"sqlite:///{path}")
    assert reopened.get_versioned("s1").version == 1
    reopened.upsert([station(1, capacity=9)], actor="li.ming")
    assert [h["actor"] for h in reopened.history("s1")] == ["", "li.ming"]
    reopened.engine.dispose()


def test_another_database_is_not_taken_for_a_registry(runner, tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    result = runner.invoke(main, ["db", "upgrade", "--db", str(path)])
    assert result.exit_code == 2 and "not a yizhan registry" in result.output
    assert migrate.status(str(path)).revision is None


def test_current_says_where_the_database_stands(runner, wave2):
    result = runner.invoke(main, ["db", "current", "--db", wave2])
    assert result.exit_code == 0 and "revision none" in result.output
    assert "behind: run `yizhan db upgrade`" in result.output


def test_backup_and_restore(runner, wave2, tmp_path):
    copy = tmp_path / "copy.sqlite"
    result = runner.invoke(main, ["db", "backup", "--db", wave2, str(copy)])
    assert result.exit_code == 0, result.output
    assert rows(f"sqlite:///{copy}") == rows(wave2)
    again = runner.invoke(main, ["db", "backup", "--db", wave2, str(copy)])
    assert again.exit_code == 2 and "never overwrites" in again.output
    registry = Registry(wave2)  # a change after the backup …
    registry.delete(registry.stations()[0].id, actor="t")
    registry.engine.dispose()
    assert rows(wave2) != rows(f"sqlite:///{copy}")
    result = runner.invoke(main, ["db", "restore", "--db", wave2, str(copy)], input="y\n")
    assert result.exit_code == 0, result.output
    assert rows(wave2) == rows(f"sqlite:///{copy}")  # … is gone, and kept aside
    kept = re.search(r"kept in (\S+)\.", result.output).group(1)
    assert rows(f"sqlite:///{kept}") != rows(wave2)
    assert "run `yizhan db upgrade`" in result.output  # the backup predates revisions


def test_restore_refuses_what_is_not_a_registry(runner, wave2, tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    before = rows(wave2)
    result = runner.invoke(main, ["db", "restore", "--db", wave2, str(other), "--yes"])
    assert result.exit_code == 2 and "not a yizhan registry backup" in result.output
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    result = runner.invoke(main, ["db", "restore", "--db", wave2,
                                  str(tmp_path / "junk.sqlite"), "--yes"])
    assert result.exit_code == 2 and "not an SQLite database" in result.output
    assert rows(wave2) == before


def test_postgresql_backups_are_pg_dump(runner):
    url = "postgresql+psycopg://yizhan@127.0.0.1/none"
    for args in (["backup"], ["restore", "x.sqlite", "--yes"]):
        result = runner.invoke(main, ["db", *args, "--db", url])
        assert result.exit_code == 2 and "pg_dump" in result.output


def test_serve_backs_up_and_upgrades_a_database_behind(runner, wave2, tmp_path, monkeypatch):
    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    monkeypatch.delenv("YIZHAN_DB", raising=False)
    monkeypatch.delenv("YIZHAN_DB_URL", raising=False)
    before = rows(wave2)
    result = runner.invoke(main, ["serve", "--db", wave2, "--port", "5098"])
    assert result.exit_code == 0, result.output
    assert served["db_url"] == wave2 and migrate.status(wave2).revision == migrate.head()
    assert "upgraded from revision none" in result.stderr
    backups = list(tmp_path.glob("yizhan.backup-*.sqlite"))
    assert len(backups) == 1 and rows(f"sqlite:///{backups[0]}") == before == rows(wave2)
    result = runner.invoke(main, ["serve", "--db", wave2, "--port", "5098"])
    assert result.exit_code == 0 and "upgraded" not in result.stderr  # up to date: said nothing
    assert len(list(tmp_path.glob("yizhan.backup-*.sqlite"))) == 1


# --- commands on a database behind ---------------------------------------------------------------

@pytest.mark.parametrize("command", [["export", "{tmp}/out.csv"], ["user", "list"],
                                     ["import", "{tmp}/list.csv", "--dry-run"],
                                     ["poster", "{tmp}/posters.pdf", "--url", "https://x.cn"]])
def test_a_command_on_a_database_behind_says_run_db_upgrade(runner, wave2, tmp_path, command):
    (tmp_path / "list.csv").write_text("名称,类型,经度,纬度\n甲,司机之家,104.06,30.65\n",
                                       encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    file = Path(wave2.removeprefix("sqlite:///"))
    before = file.read_bytes()
    result = runner.invoke(main, [*args, "--db", wave2])
    assert result.exit_code == 2, result.output
    assert "run `yizhan db upgrade --db sqlite:///" in result.stderr
    assert "Traceback" not in result.output
    said = runner.invoke(main, ["--lang", "zh", *args, "--db", wave2])
    assert said.exit_code == 2 and "结构版本是 无" in said.stderr
    assert "请先运行 `yizhan db upgrade --db" in said.stderr
    assert file.read_bytes() == before  # nothing written, no table made
    assert runner.invoke(main, ["db", "upgrade", "--db", wave2]).exit_code == 0
    assert runner.invoke(main, [*args, "--db", wave2]).exit_code in (0, 1)  # the command ran


def test_a_database_at_an_older_revision_is_refused_too(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'older.sqlite'}"
    migrate.upgrade(url, to="0004_accounts_uploads_mappings")
    result = runner.invoke(main, ["export", str(tmp_path / "out.csv"), "--db", url])
    assert result.exit_code == 2
    assert "at schema revision 0004_accounts_uploads_mappings but this release needs " \
           f"{migrate.head()}" in result.stderr


def test_a_database_this_release_made_needs_no_upgrade(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    Registry(url).engine.dispose()  # the stations' tables, no revision recorded
    result = runner.invoke(main, ["export", str(tmp_path / "out.csv"), "--db", url])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["user", "list", "--db", url]).exit_code == 0


def test_the_quick_check_knows_the_newest_revision(runner, wave2):
    """app.schema_head.HEAD is the newest revision; a command on a current database starts
    without loading Alembic, and one behind is still refused by the full check."""
    import subprocess
    import sys

    from app.schema_head import HEAD, is_current

    assert migrate.head() == HEAD
    assert not is_current(wave2)  # made before revisions
    listing = runner.invoke(main, ["user", "list", "--db", wave2])
    assert listing.exit_code == 2 and "yizhan db upgrade" in listing.output
    assert runner.invoke(main, ["db", "upgrade", "--db", wave2]).exit_code == 0
    assert is_current(wave2)
    code = ("import sys; from app.cli import main; "
            f"main(['user', 'list', '--db', {wave2!r}], standalone_mode=False); "
            "assert 'alembic' not in sys.modules, 'alembic loaded'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
