"""Make ``wave2.sqlite``: a registry database as the wave-2 release (commit 14b825e) wrote it.

Run it with that release's code, from a checkout of it, so that every table, column and value is
what that release stored::

    git worktree add /tmp/wave2 14b825e
    cd /tmp/wave2 && PYTHONPATH=. python /path/to/tests/data/make_wave2_db.py \\
        /path/to/tests/data/wave2.sqlite

It imports the Chengdu example list through that release's ``yizhan import`` (``--skip-invalid``
off: every row is good), edits stations (a new version and history row each), closes two and
restores one, adds a planner and an admin (``yizhan user add --password-file``), signs in (a
session each) and fails to sign in (rows of the sign-in throttle), disables one account, and
files reports (one handled, one repeated). The passwords are in :data:`PASSWORDS` so a test can
sign in with them after an upgrade.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import tempfile
from pathlib import Path

PASSWORDS = {"li.ming": "wave2-planner-pw", "wang.admin": "wave2-admin-pw",
             "old.planner": "wave2-disabled-pw"}


def main(out: Path) -> None:
    import geo
    from app.cli import main as cli
    from geo.accounts import Accounts, SignInError
    from geo.feedback import Reports
    from geo.registry import Registry

    release = Path(geo.__file__).resolve().parent.parent
    stations_csv = release / "data" / "regions-example" / "chengdu-stations.csv"
    out.unlink(missing_ok=True)
    url = str(out)
    cli(["import", str(stations_csv), "--db", url], standalone_mode=False)
    with tempfile.TemporaryDirectory() as tmp:
        for name, password in PASSWORDS.items():
            pw = Path(tmp) / "pw"
            pw.write_text(password + "\n", encoding="utf-8")
            role = "admin" if name == "wang.admin" else "planner"
            cli(["user", "add", name, "--role", role, "--display-name", name.upper(),
                 "--password-file", str(pw), "--db", url], standalone_mode=False)
    registry = Registry(url)
    ids = [s.id for s in registry.stations()]
    # edits: a renamed station (version 2), one changed twice (version 3)
    first = registry.get_versioned(ids[0])
    registry.update(dataclasses.replace(first.station, name=first.station.name + "（已更名）"),
                    version=first.version, source="planner view", actor="li.ming")
    second = registry.get_versioned(ids[1])
    version = registry.update(dataclasses.replace(second.station, capacity=25),
                              version=second.version, source="planner view", actor="li.ming")
    registry.update(dataclasses.replace(second.station, capacity=25, hours="24/7"),
                    version=version, source="planner view", actor="wang.admin")
    # closed: one stays closed, one is closed and imported again (restored)
    registry.delete(ids[2], source="planner view", actor="wang.admin")
    registry.delete(ids[3], source="planner view", actor="li.ming")
    registry.upsert([s for s in registry.stations(include_deleted=True) if s.id == ids[3]],
                    source="import restore.csv", actor="cli")
    accounts = Accounts(registry)
    accounts.sign_in("li.ming", PASSWORDS["li.ming"], client="10.0.0.5")
    accounts.sign_in("wang.admin", PASSWORDS["wang.admin"], client="10.0.0.6")
    for _ in range(3):
        with contextlib.suppress(SignInError):
            accounts.sign_in("li.ming", "not the password", client="10.0.0.9")
    accounts.set_disabled("old.planner", True)
    reports = Reports(registry)
    handled = reports.add(ids[4], "closed", "门锁着", lon=104.07, lat=30.67)
    reports.set_status(handled["id"], "handled")
    reports.add(ids[5], "missing_service", "没有热水")
    reports.add(ids[5], "missing_service", "没有热水")  # the same again: counted on the first
    reports.add(ids[6], "other", "")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("wave2.sqlite"))
