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
