"""The README's tour of the commands runs as written: its commands are read from README.md (so
this fails when the README drifts), run in a folder of their own with a registry of their own,
on the example files shipped in data/tour."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd

from app.cli import main
from geo.registry import Registry

ROOT = Path(__file__).parents[2]


def tour_commands() -> list[list[str]]:
    """The commands of the README's tour: the first bash block under its heading, lines joined
    at a trailing backslash, comments dropped."""
    readme = ROOT.joinpath("README.md").read_text("utf-8")
    section = readme.split("## A tour of the commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line, comments=True)
            for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_tour_is_yizhan_commands_on_its_own_registry_and_shipped_files():
    commands = tour_commands()
    assert [c[1] for c in commands][:2] == ["import", "export"] and len(commands) >= 6
    for command in commands:
        assert command[0] == "yizhan", command
        if command[1] in ("import", "export", "nearest", "coverage", "plan"):
            assert command[command.index("--db") + 1] == "tour/tour.sqlite", command
        for arg in command:
            if arg.startswith("data/"):
                assert (ROOT / arg).is_file(), f"the tour reads {arg}, which is not shipped"


def test_the_tour_runs(runner, tmp_path, monkeypatch):
    """In a folder with the clone's data/ and geo/: every command succeeds, no station is left
    out, the GCJ-02 list lands where the WGS-84 workers are, and nothing is written outside
    tour/ (the default registry, here $YIZHAN_DB, is never made)."""
    for name in ("data", "geo"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    default = tmp_path / "default-registry.sqlite"
    monkeypatch.setenv("YIZHAN_DB", str(default))
    said = {}
    for command in tour_commands():
        result = runner.invoke(main, command[1:])
        assert result.exit_code == 0, (command, result.output)
        assert "left out" not in result.output, (command, result.output)
        said.setdefault(command[1], []).append(result.output)
    assert "Imported: 4 new, 0 updated, 0 unchanged." in said["import"][0]
    assert not default.exists()
    registry = Registry("tour/tour.sqlite")
    assert [s.id for s in registry.stations()] == ["TOUR-1", "TOUR-2", "TOUR-3", "TOUR-4"]
    registry.engine.dispose()
    assert "converted" not in said["coverage"][0] and "converted" not in said["plan"][0]
    assert re.search(r"covered \(\d+\.\d%\)", said["coverage"][0])
    proposal = pd.read_csv("tour/plan/proposal-gcj02.csv", encoding="utf-8-sig")
    assert len(proposal) == 2 and set(proposal["crs"]) == {"GCJ-02"}
    amap = pd.read_csv("tour/amap.csv", encoding="utf-8-sig")
    original = pd.read_csv("data/tour/stations-gcj02.csv", encoding="utf-8-sig")
    for ours, theirs in (("lon", "经度"), ("lat", "纬度")):  # back as Amap has them
        assert amap[ours].round(5).tolist() == original[theirs].round(5).tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "geo", "tour"]
