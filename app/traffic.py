"""The reads a server process is answering, and work that gives way to them.

A save's follow-up (the next station snapshot and its finders, :meth:`app.state.AppState._follow`)
is a few milliseconds of the interpreter, which the lookups answered meanwhile by the same process
share (one GIL): run at once, it makes each lookup under way wait for its turns. Made in steps,
each step after the reads under way have been answered (:meth:`Traffic.give_way`), it fills the
gaps between lookups instead; the wait is bounded, so a saturated process still follows within
:data:`GIVE_WAY_S`.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, g, request

#: The longest a follow-up waits for reads, over all its steps, seconds.
GIVE_WAY_S = 0.05
#: How often a waiting step looks again, seconds.
_POLL_S = 0.0002


class Traffic:
    """How many reads (GET and HEAD requests) this process is answering."""

    def __init__(self) -> None:
        self._under_way = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self._under_way += 1

    def leave(self) -> None:
        with self._lock:
            self._under_way -= 1

    @property
    def under_way(self) -> int:
        return self._under_way

    def give_way(self, until: float) -> None:
        """Return when no read is under way, or at ``until`` (:func:`time.monotonic`)."""
        while self._under_way > 0 and time.monotonic() < until:
            time.sleep(_POLL_S)


#: The process's reads.
TRAFFIC = Traffic()


def give_way() -> None:
    """Wait for a gap between this process's reads (at most :data:`GIVE_WAY_S`): a step of a
    write's own work."""
    TRAFFIC.give_way(time.monotonic() + GIVE_WAY_S)


def count_reads(app: Flask) -> None:
    """Count ``app``'s reads in :data:`TRAFFIC`."""

    def entered() -> None:
        if request.method in ("GET", "HEAD"):
            TRAFFIC.enter()
            g.yizhan_read = True
        else:  # a write: its own work waits for a gap between reads too
            give_way()

    def left(_error=None) -> None:
        if g.pop("yizhan_read", False):
            TRAFFIC.leave()

    app.before_request(entered)
    app.teardown_request(left)
