"""Going back to an older release (app.migrate.downgrade, `yizhan db downgrade`): the tables and
columns of the later revisions are dropped, every row of the tables the older release knows is
kept, and the database upgrades again."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, func, inspect, select, update

from app import migrate
from app.cli import main
from geo.errors import InputError
from tests.app.test_db_migrations import (
    WAVE2,
    WAVE2_TABLES,
    _the_app_reads_it,
    rows,
    wave2_on_postgres,
)

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
#: A row in each table the revisions after the baseline made (the wave-2 rows they refer to:
#: report 1, account 2).
NEW_ROWS = {
    "report_entries": {"report_id": 1, "text": "门锁坏了", "lon": 104.06, "lat": 30.65, "at": AT},
    "analysis_jobs": {"id": "job1", "owner": "li.ming", "analysis": "coverage", "worker": "w1",
                      "state": "done", "stage": "done", "progress": 1.0, "cancel": False,
                      "created_at": AT, "expires_at": AT, "result": b"{}"},
    "rate_limits": {"key": "report:1.2.3.4", "version": 1, "hits": "[]", "count": 1,
                    "expires_at": 1.0},
    "catalogue_entries": {"section": "kinds", "id": "bus_stop", "spec": {"zh": "公交驿站"},
                          "rev": 1, "changed_at": AT, "actor": "wang.admin"},
    "account_log": {"at": AT, "actor": "wang.admin", "action": "add", "target": "li.ming",
                    "detail": "{}"},
    "input_uploads": {"kind": "demand", "filename": "工人.csv", "size": 3, "sha256": "0" * 64,
                      "content": b"a,b", "summary": "{}", "uploaded_by": "li.ming",
                      "uploaded_at": AT, "used_by": "li.ming", "used_since": AT},
    "import_mappings": {"headers": "h" * 64, "columns": {"名称": "name"}, "actor": "li.ming",
                        "at": AT},
    "organisations": {"id": 1, "name": "成都市总工会", "parent_id": None, "level": "city",
                      "area": None, "created_at": AT, "updated_at": AT},
    "org_members": {"user_id": 2, "org_id": 1},
}
#: The columns the revisions after the baseline added to wave-2 tables.
NEW_COLUMNS = ["signin_failures.next_allowed_at", "users.must_change"]


@pytest.fixture
def wave2(tmp_path) -> str:
    target = tmp_path / "yizhan.sqlite"
    shutil.copyfile(WAVE2, target)
    return f"sqlite:///{target}"


def _add_rows(url: str) -> None:
    """A row in every table of the later revisions, and values in the columns they added."""
    engine = create_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.begin() as conn:
            for name, row in NEW_ROWS.items():
                conn.execute(tables.tables[name].insert(), [row])
            conn.execute(update(tables.tables["users"]).where(
                tables.tables["users"].c.id == 2).values(must_change=True))
            conn.execute(update(tables.tables["signin_failures"]).values(next_allowed_at=AT))
    finally:
        engine.dispose()


def _counts(url: str) -> dict[str, int]:
    """The rows of every table of the database, by table."""
    engine = create_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as conn:
            return {name: conn.scalar(select(func.count()).select_from(table))
                    for name, table in tables.tables.items()}
    finally:
        engine.dispose()


def _schema(url: str) -> dict[str, dict]:
    """Every table's columns (type, nullable, default), key, indexes, unique constraints and
    foreign keys, as the database reports them."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {name: {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"],
                               str(c["default"]).strip("'") if c["default"] else None)
                              for c in found.get_columns(name)),
            "key": found.get_pk_constraint(name)["constrained_columns"],
            "indexes": sorted((tuple(i["column_names"]), bool(i["unique"]))
                              for i in found.get_indexes(name)),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(name)),
            "foreign": sorted((tuple(f["constrained_columns"]), f["referred_table"])
                              for f in found.get_foreign_keys(name)),
        } for name in found.get_table_names()}
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_wave2_database_goes_back_to_the_baseline_with_every_row(runner, engine, wave2):
    """Upgraded, used (a row in every new table), taken back to the baseline: every station,
    version, history row, staged import, account, session, sign-in failure and report of the
    wave-2 database is as it was, the later tables are gone, and it upgrades again."""
    url = wave2 if engine == "sqlite" else wave2_on_postgres()
    original = rows(url)  # the wave-2 file's rows, as this database gives them back
    in_file = rows(f"sqlite:///{WAVE2}")
    assert original == in_file if engine == "sqlite" else (
        {k: len(v) for k, v in original.items()} == {k: len(v) for k, v in in_file.items()})
    migrate.upgrade(url)
    _add_rows(url)
    result = runner.invoke(main, ["db", "downgrade", migrate.BASELINE, "--db", url])
    assert result.exit_code == 0, result.output
    assert f"went back from schema revision {migrate.head()} to {migrate.BASELINE}" in result.output
    for name in NEW_ROWS:
        assert f"{name} (rows: 1)" in result.output
    assert "users.must_change" in result.output
    assert ("pg_dump" in result.output) == (engine == "postgresql")
    assert ("kept in" in result.output) == (engine == "sqlite")
    assert rows(url) == original
    assert set(_counts(url)) == {*WAVE2_TABLES, "alembic_version"}
    assert migrate.status(url).revision == migrate.BASELINE
    assert migrate.upgrade(url) == (migrate.BASELINE, migrate.head())
    assert rows(url) == original
    _the_app_reads_it(url, original)


def test_each_revision_goes_back_one_step(wave2, tmp_path):
    """From the newest revision back one at a time: at each, the schema is the one an upgrade
    to that revision makes, the later tables' rows are dropped and the others' kept."""
    original = rows(f"sqlite:///{WAVE2}")
    migrate.upgrade(wave2)
    _add_rows(wave2)
    known = migrate.revisions()
    assert known[0] == migrate.BASELINE and known[-1] == migrate.head()
    for n, revision in reversed(list(enumerate(known[:-1]))):
        reference = tmp_path / f"{revision}.sqlite"
        shutil.copyfile(WAVE2, reference)
        migrate.upgrade(f"sqlite:///{reference}", to=revision)
        done = migrate.downgrade(wave2, to=revision)
        assert (done.before, done.after) == (known[n + 1], revision)
        assert _schema(wave2) == _schema(f"sqlite:///{reference}")
        counts = _counts(wave2)
        assert {t: r for t, r in done.tables.items()} == {
            t: 1 for t in done.tables}, "each dropped table held its row"
        assert all(counts[t] == 1 for t in NEW_ROWS if t in counts)  # the rows of tables kept
        assert rows(wave2) == original
    assert migrate.status(wave2).revision == migrate.BASELINE
    assert set(_counts(wave2)) == {*WAVE2_TABLES, "alembic_version"}


def test_going_back_drops_each_later_table_and_column_once(wave2):
    """What the downgrades together report dropping is every table and column the later
    revisions added, each once."""
    migrate.upgrade(wave2)
    _add_rows(wave2)
    tables, columns = {}, []
    for revision in reversed(migrate.revisions()[:-1]):
        done = migrate.downgrade(wave2, to=revision)
        assert not set(done.tables) & set(tables)
        tables.update(done.tables)
        columns += done.columns
    assert set(NEW_ROWS) <= set(tables) and set(NEW_COLUMNS) <= set(columns)


def test_a_downgrade_that_fails_changes_nothing(wave2, monkeypatch):
    """All or nothing: a downgrade that fails half-way (here, when 0004 drops ``users``'
    column, after 0005 and 0004 dropped their tables) leaves every table, row and the
    revision as they were."""
    migrate.upgrade(wave2)
    _add_rows(wave2)
    before = _counts(wave2)
    drop_columns = migrate.drop_columns

    def fail(table, *names):
        if table.name == "users":
            raise RuntimeError("the disk is full")
        return drop_columns(table, *names)

    monkeypatch.setattr(migrate, "drop_columns", fail)  # the revisions import it when loaded
    with pytest.raises(RuntimeError, match="disk is full"):
        migrate.downgrade(wave2, to="0003_catalogue")
    assert _counts(wave2) == before
    assert migrate.status(wave2).revision == migrate.head()


@pytest.mark.parametrize("wanted", ["nonsense", "0", "base", "", "0001_wave2x"])
def test_a_revision_not_in_the_history_is_refused(runner, wave2, wanted):
    migrate.upgrade(wave2)
    file = Path(wave2.removeprefix("sqlite:///"))
    content = file.read_bytes()
    result = runner.invoke(main, ["db", "downgrade", wanted, "--db", wave2])
    assert result.exit_code == 2, result.output
    assert f"`revision` {wanted!r} is not a schema revision of this release" in result.stderr
    assert f"`yizhan db current --db {wave2}`" in result.stderr
    assert migrate.BASELINE in result.stderr and migrate.head() in result.stderr
    said = runner.invoke(main, ["--lang", "zh", "db", "downgrade", wanted, "--db", wave2])
    assert said.exit_code == 2 and "不是本版本的数据库结构版本" in said.stderr
    assert "yizhan db current" in said.stderr
    assert file.read_bytes() == content and list(file.parent.iterdir()) == [file]  # no backup
    with pytest.raises(InputError, match="is not a schema revision") as caught:
        migrate.downgrade(wave2, to=wanted)
    assert caught.value.parameter == "revision"


def test_downgrade_in_chinese_with_a_backup(runner, wave2):
    migrate.upgrade(wave2)
    _add_rows(wave2)
    result = runner.invoke(main, ["--lang", "zh", "db", "downgrade", "0004", "--db", wave2])
    assert result.exit_code == 0, result.output
    assert f"已从 {migrate.head()} 退回到 0004_accounts_uploads_mappings" in result.output
    assert "org_members（1 行）、organisations（1 行）" in result.output
    backup = re.search(r"降级前的数据库保存在 (\S+)。", result.output).group(1)
    assert migrate.status(f"sqlite:///{backup}").revision == migrate.head()  # as it was
    assert _counts(f"sqlite:///{backup}")["organisations"] == 1
    assert "现在请安装最新结构版本为 0004_accounts_uploads_mappings 的旧版本" in result.output
    assert "有 1 个账号原属某个工会组织，现在可以管理整个部署的站点" in result.output
    assert _counts(wave2)["account_log"] == 1  # 0004's own table is kept
    # this release now refuses the database until it is upgraded again
    refused = runner.invoke(main, ["user", "list", "--db", wave2])
    assert refused.exit_code == 2 and "run `yizhan db upgrade" in refused.stderr


def test_downgrade_refusals_and_nothing_to_do(runner, wave2, tmp_path):
    file = Path(wave2.removeprefix("sqlite:///"))
    absent = tmp_path / "absent.sqlite"
    result = runner.invoke(main, ["db", "downgrade", "0001", "--db", str(absent)])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not absent.exists()  # not made by looking
    result = runner.invoke(main, ["db", "downgrade", migrate.BASELINE, "--db", wave2])
    assert result.exit_code == 2 and "has no schema revision recorded" in result.stderr
    migrate.upgrade(wave2, to="0003_catalogue")
    result = runner.invoke(main, ["db", "downgrade", "0004", "--db", wave2])
    assert result.exit_code == 2, result.output
    assert "0004_accounts_uploads_mappings is newer than the database's revision " \
           "0003_catalogue" in result.stderr and "yizhan db upgrade" in result.stderr
    result = runner.invoke(main, ["db", "downgrade", "0003", "--db", wave2])
    assert result.exit_code == 0 and "nothing to do" in result.output
    result = runner.invoke(main, ["db", "downgrade", "0002", "--db", wave2, "--no-backup"])
    assert result.exit_code == 0 and "kept in" not in result.output, result.output
    assert list(tmp_path.iterdir()) == [file]
    assert migrate.status(wave2).revision == "0002_jobs_limits_entries"
