
import pytest

from geo.errors import InputError, NotFoundError
from geo.registry import Registry, resolve_url
from geo.stations import Station


def station(i, **kw):
    base = dict(id=f"s{i}", name=f"驿站{i}", kind="outdoor_rest_point", lon=116.4 + i / 1000,
                lat=39.9, services=frozenset({"rest"}), hours="24/7", capacity=4)
    return Station(**{**base, **kw})


def test_upsert_creates_updates_and_keeps_unchanged(registry):
    first = registry.upsert([station(1), station(2)], source="import a.csv")
    assert (len(first.created), len(first.updated), len(first.unchanged)) == (2, 0, 0)
    again = registry.upsert([station(1), station(2, capacity=8), station(3)], source="import b")
    assert again.created == ["s3"] and again.updated == ["s2"] and again.unchanged == ["s1"]
    assert [s.id for s in registry.stations()] == ["s1", "s2", "s3"]
    assert registry.get("s2").capacity == 8
    assert registry.get("s1") == station(1)


def test_history_keeps_before_and_after(registry):
    registry.upsert([station(1)], source="import a.csv")
    registry.upsert([station(1, name="新名字")], source="planner li")
    registry.delete("s1", source="planner li")
    history = registry.history("s1")
    assert [h["action"] for h in history] == ["create", "update", "delete"]
    assert history[1]["before"]["name"] == "驿站1" and history[1]["after"]["name"] == "新名字"
    assert history[2]["after"] is None and history[1]["source"] == "planner li"


def test_soft_delete_and_restore(registry):
    registry.upsert([station(1), station(2)])
    registry.delete("s1")
    assert [s.id for s in registry.stations()] == ["s2"]
    assert [s.id for s in registry.stations(include_deleted=True)] == ["s1", "s2"]
    with pytest.raises(NotFoundError, match="s1"):
        registry.get("s1")
    with pytest.raises(NotFoundError):
        registry.delete("s1")
    summary = registry.upsert([station(1)])
    assert summary.updated == ["s1"] and registry.history("s1")[-1]["action"] == "restore"


def test_a_failed_write_writes_nothing(registry, monkeypatch):
    registry.upsert([station(1)])
    calls = {"n": 0}
    original = Registry._log

    def failing_log(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(*args)

    monkeypatch.setattr(Registry, "_log", staticmethod(failing_log))
    with pytest.raises(RuntimeError):
        registry.upsert([station(2), station(3)])
    assert [s.id for s in registry.stations()] == ["s1"]


def test_filter_by_kind(registry):
    registry.upsert([station(1), station(2, kind="driver_home")])
    assert [s.id for s in registry.stations(kinds=["driver_home"])] == ["s2"]
    with pytest.raises(InputError, match="kind"):
        registry.stations(kinds=["petrol"])


def test_version_changes_with_every_write(registry):
    v0 = registry.version()
    registry.upsert([station(1)])
    v1 = registry.version()
    registry.upsert([station(1)])
    assert registry.version() == v1 != v0


def test_url_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("YIZHAN_DB", str(tmp_path / "env.sqlite"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'env.sqlite'}"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("YIZHAN_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_url().endswith("yizhan/yizhan.sqlite")


def test_reopening_the_file_keeps_the_stations(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    Registry(url).upsert([station(1)])
    assert Registry(url).get("s1") == station(1)


def test_history_records_who_wrote(registry, monkeypatch):
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    registry.upsert([station(1)], source="import a.csv")
    registry.upsert([station(1, name="新名字")], source="planner", actor="li.ming")
    registry.delete("s1", source="planner", actor="wang")
    assert [h["actor"] for h in registry.history("s1")] == ["ops", "li.ming", "wang"]


def test_versions_count_every_change(registry):
    from geo.errors import ConflictError, StaleVersionError

    assert registry.create(station(1), source="planner") == 1
    with pytest.raises(ConflictError, match="s1"):
        registry.create(station(1), source="planner")
    registry.upsert([station(1, capacity=9)], source="import b.csv", actor="ops")  # imports too
    assert registry.get_versioned("s1").version == 2
    with pytest.raises(StaleVersionError, match="version 1") as stale:
        registry.update(station(1, name="迟到"), version=1, source="planner")
    assert (stale.value.version, stale.value.changed_by) == (2, "ops")
    assert registry.update(station(1, name="新"), version=2, source="planner") == 3
    with pytest.raises(StaleVersionError):
        registry.delete("s1", version=2)
    registry.delete("s1", version=3)
    assert registry.create(station(1), source="planner") == 5  # brought back


def test_a_staged_write_moves_in_at_once(registry, monkeypatch):
    """More stations than one batch: staged, then moved in with their history in order."""
    from geo import settings

    registry.upsert([station(1)])
    monkeypatch.setattr(settings, "import_batch_rows", 3)
    summary = registry.upsert([station(i, name=f"新{i}" if i == 1 else f"驿站{i}")
                               for i in range(1, 11)], source="import")
    assert summary.as_dict() == {"created": 9, "updated": 1, "unchanged": 0}
    assert [s.id for s in registry.stations()] == sorted(f"s{i}" for i in range(1, 11))
    assert registry.get("s1").name == "新1"
    history = registry.history()
    assert [(h["station_id"], h["action"]) for h in history] == [
        ("s1", "create"), ("s1", "update"), *((f"s{i}", "create") for i in range(2, 11))]
    assert registry.get_versioned("s1").version == 2
