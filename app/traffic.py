"""The reads a server process is answering, and work that gives way to them.

A save's follow-up (the next station snapshot and its finders, :meth:`app.state.AppState._follow`)
is a few milliseconds of the interpreter, which the lookups answered meanwhile by the same process
share (one GIL): run at once, it makes each lookup under way wait for its turns. Made in steps,
each step after the reads under way have been answered (:meth:`Traffic.give_way`), it fills the
gaps between lookups instead; the wait is bounded, so a saturated process still follows within
:data:`GIVE_WAY_S`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager

from flask import Flask, g, request

#: The longest a write's follow-up waits for reads, over all its steps, seconds (the write's
#: answer waits for it).
GIVE_WAY_S = 0.05
#: The same for following a change another process made, in a thread of its own: nothing waits
#: for it but the change showing here (a few dozen steps, each waiting for a gap between the
#: lookups, on a busy worker).
FOLLOW_GIVE_WAY_S = 0.25


class Traffic:
    """How many reads (GET and HEAD requests) this process is answering."""

    def __init__(self) -> None:
        self._under_way = 0
        self._none = threading.Condition(threading.Lock())  # notified when the last one leaves

    def enter(self) -> None:
        with self._none:
            self._under_way += 1

    def leave(self) -> None:
        with self._none:
            self._under_way -= 1
            if self._under_way == 0:
                self._none.notify_all()

    @property
    def under_way(self) -> int:
        return self._under_way

    def give_way(self, until: float) -> None:
        """Return when no read is under way, or at ``until`` (:func:`time.monotonic`).

        The waiting thread sleeps on a condition the last read leaving wakes, so it takes no
        turn of the interpreter from the reads meanwhile (polling would, once per switch
        interval)."""
        if self._under_way == 0:
            return
        with self._none:
            while self._under_way > 0:
                left = until - time.monotonic()
                if left <= 0:
                    return
                self._none.wait(left)


#: The interpreter's switch interval while a write or a follow-up runs, seconds: a lookup that
#: arrives during one of its steps waits at most this long for its first turn (and for each turn
#: until the step ends) rather than the server's interval (:data:`app.SWITCH_INTERVAL_S`).
QUICK_SWITCH_S = 0.0002
_quick = 0
_quick_lock = threading.Lock()
_interval_before = 0.0


@contextmanager
def quick_turns():
    """While inside (in any thread), the interpreter hands the GIL over every
    :data:`QUICK_SWITCH_S`; the interval before is back when the last thread inside leaves."""
    global _quick, _interval_before
    with _quick_lock:
        if _quick == 0:
            _interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval_before, QUICK_SWITCH_S))
        _quick += 1
    try:
        yield
    finally:
        with _quick_lock:
            _quick -= 1
            if _quick == 0:
                sys.setswitchinterval(_interval_before)


#: How much less of a core the system gives the work that follows the lookups (a nice value,
#: added to this thread's or process's own).
BEHIND_NICE = 10


def behind_the_lookups(whole_process: bool = False) -> None:
    """Have the operating system run this thread (or the whole process) behind the lookups:
    when it and a lookup both want a core, the lookup gets it (a lower priority, ``nice``).
    Where the system cannot, nothing changes."""
    try:
        if whole_process:
            os.nice(BEHIND_NICE)
        else:  # on Linux, the nice value of one thread
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
                           + BEHIND_NICE)
    except (AttributeError, OSError):  # not on Linux, or not allowed
        pass


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
