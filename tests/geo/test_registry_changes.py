"""What changed in the registry since a version (geo.registry_changes)."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from geo.registry import history_table
from geo.registry_changes import Changes, changes_since
from geo.stations import Station


def station(i, **kw):
    base = dict(id=f"s{i}", name=f"驿站{i}", kind="outdoor_rest_point", lon=116.4 + i / 1000,
                lat=39.9, services=frozenset({"rest"}), hours="24/7", capacity=4)
    return Station(**{**base, **kw})


def test_nothing_changed_is_no_change(registry):
    registry.upsert([station(1), station(2)], source="test")
    version = registry.version()
    assert changes_since(registry, version) == Changes(version, [], [])


def test_creates_edits_and_deletes_since_a_version(registry):
    registry.upsert([station(1), station(2), station(3)], source="test")
    version = registry.version()
    registry.update(station(2, name="改名"), version=1, source="test")
    registry.create(station(4), source="test")
    registry.delete("s3", source="test")
    registry.update(station(2, name="再改"), version=2, source="test")
    changes = changes_since(registry, version)
    assert changes.version == registry.version()
    assert [(s.id, s.name) for s in changes.changed] == [("s2", "再改"), ("s4", "驿站4")]
    assert changes.removed == ["s3"]
    assert changes_since(registry, changes.version).changed == []


def test_more_than_the_limit_is_none(registry):
    registry.upsert([station(1)], source="test")
    version = registry.version()
    registry.upsert([station(2), station(3)], source="test")
    assert changes_since(registry, version, limit=1) is None
    assert len(changes_since(registry, version, limit=2).changed) == 2


def test_a_history_that_did_not_only_grow_is_none(registry):
    registry.upsert([station(1), station(2)], source="test")
    version = registry.version()
    registry.create(station(3), source="test")
    with registry.engine.begin() as conn:  # an entry went missing
        first = conn.execute(select(func.min(history_table.c.seq))).scalar()
        conn.execute(delete(history_table).where(history_table.c.seq == first))
    assert changes_since(registry, version) is None


def between_statements(registry, write):
    """Make ``write()`` (by another connection) right before each statement that reads the
    history on ``registry``'s engine, once per statement; returns the listener's remover."""
    from sqlalchemy import event

    def before(conn, cursor, statement, parameters, context, executemany):
        if "FROM station_history" in statement and statement.lstrip().upper().startswith("SELECT"):
            write()

    event.listen(registry.engine, "before_cursor_execute", before)
    return lambda: event.remove(registry.engine, "before_cursor_execute", before)


def test_a_write_between_the_reads_is_never_taken_for_a_rewritten_history(registry):
    """A save committed by another process while the changes are read, between any two of the
    statements: the answer is the changes up to some version (never None, which would make
    every server process read every station again), and reading on from that version gives the
    rest."""
    from geo.registry import Registry

    registry.upsert([station(i) for i in range(1, 4)], source="test")
    version = registry.version()
    registry.update(station(1, name="先改"), version=1, source="test")
    other = Registry(registry.url)
    made = iter(range(10, 20))

    def write():
        i = next(made, None)
        if i is not None:
            other.create(station(i), source="other")

    remove = between_statements(registry, write)
    try:
        changes = changes_since(registry, version)
        assert changes is not None and registry.version() != changes.version  # more written
    finally:
        remove()
        other.engine.dispose()
    assert changes is not None and "s1" in [s.id for s in changes.changed]
    rest = changes_since(registry, changes.version)
    assert rest is not None and rest.version == registry.version()
    seen = {s.id for s in changes.changed} | {s.id for s in rest.changed}
    assert seen == {s.id for s in registry.stations()} - {"s2", "s3"}  # s1 and every new one


def test_the_version_is_never_a_mix_of_before_and_after_a_write(registry):
    from geo.registry import Registry

    registry.upsert([station(1)], source="test")
    other = Registry(registry.url)
    versions = [registry.version()]
    remove = between_statements(registry, lambda: other.create(
        station(100 + len(versions)), source="other"))
    try:
        for _ in range(3):
            versions.append(registry.version())
    finally:
        remove()
        other.engine.dispose()
    for last, count in versions:  # each a state the history was in: its last entry is the count-th
        with registry.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(history_table)
                                .where(history_table.c.seq <= last)).scalar() == count


def test_stations_at_a_time_are_the_stations_then(registry):
    """Brute force: the stations read at each moment equal those worked back from the end."""
    import time
    from datetime import UTC, datetime

    from geo.registry_changes import stations_at

    seen = []

    def moment():
        time.sleep(0.002)
        seen.append((datetime.now(UTC), registry.stations()))
        time.sleep(0.002)

    moment()  # empty
    registry.upsert([station(1), station(2), station(3)], source="test")
    moment()
    registry.update(station(2, name="改名", hours="08:00-18:00"), version=1, source="test")
    registry.create(station(4), source="test")
    moment()
    registry.delete("s3", source="test")
    registry.delete("s1", source="test")
    moment()
    registry.create(station(3, name="重开"), source="test")  # a closed id: reopened
    registry.update(station(2, name="再改"), version=2, source="test")
    moment()
    now, history = registry.stations(), registry.history()
    for when, then in seen:
        assert stations_at(now, history, when) == sorted(then, key=lambda s: s.id), when
