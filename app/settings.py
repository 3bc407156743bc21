"""The web application's defaults: password hashing, planner sessions, sign-in throttling and
workers' reports. Read at call time, like :mod:`geo.settings` (the analysis defaults), so tests
override them.

>>> from app import settings
>>> settings.session_idle_s = 1800.0

Times in seconds unless a name says otherwise.
"""

from __future__ import annotations

# --- planner accounts and sign-in (app.accounts) ----------------------------------------------

#: argon2id cost of a stored password: passes, memory (KiB) and lanes (argon2-cffi's RFC 9106
#: "low memory" defaults, about 0.15 s per hash on one core). A hash made with other values is
#: rehashed at the next successful sign-in.
argon2_time_cost: int = 3
argon2_memory_kib: int = 65536
argon2_parallelism: int = 4
#: Shortest password accepted, characters.
min_password_chars: int = 10
#: A planner session ends after this long without a request, seconds.
session_idle_s: float = 2 * 3600.0
#: A planner session ends this long after sign-in whatever happens, seconds.
session_absolute_s: float = 12 * 3600.0
#: Failed sign-ins allowed per account and client address before each next attempt must wait
#: ``signin_backoff_base_s`` doubled per further failure, up to ``signin_backoff_cap_s``.
signin_free_failures: int = 5
#: The same across all accounts from one client address (looser: a shared office address).
signin_client_free_failures: int = 20
#: First wait after the free failures, and the longest wait, seconds.
signin_backoff_base_s: float = 1.0
signin_backoff_cap_s: float = 300.0
#: Failures are forgotten this long after the last one, seconds.
signin_failure_memory_s: float = 3600.0
#: While the database cannot be written, each server process counts failed sign-ins in memory
#: (and writes them down once it can): at most this many keys (account and address, address),
#: the oldest forgotten first.
signin_memory_keys: int = 10_000

# --- workers' reports (app.reports) -------------------------------------------------------------

#: A worker's report of the same problem (kind) at the same station within this many hours of an
#: open report counts one more on that report instead of adding a row.
report_fold_hours: float = 24.0
#: Most workers' words (text and position) one report keeps, the first worker's included; a
#: worker whose report counts on a report holding this many is told their words were not kept.
report_entries_max: int = 50

# --- planner analyses as jobs (app.jobs) ----------------------------------------------------------

#: A finished job (done, failed or cancelled) and its result stay readable by the planner who
#: asked for this long, seconds; then they are deleted from the database.
job_keep_s: float = 1800.0
#: A job that never finishes (its server process ended) is forgotten this long after it was
#: asked for, seconds.
job_lost_s: float = 6 * 3600.0
#: Jobs that may wait per server process besides the one running; one more is refused with a
#: 503 and Retry-After.
job_queue_max: int = 3
#: Seconds a job pauses at each step of its analysis (0: none). For tests and demonstrations
#: that need to watch a short analysis; a cancel ends the pause at once.
job_step_delay_s: float = 0.0
