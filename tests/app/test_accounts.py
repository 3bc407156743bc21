"""Planner accounts: argon2 hashes, revocable sessions, expiry, roles and sign-in throttling."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import InternalError, OperationalError

from app import accounts as accounts_module
from app import settings
from app.accounts import (
    Accounts,
    backoff_s,
    failures_table,
    sessions_table,
    token_hash,
    users_table,
)
from app.errors import AccountDisabledError, SignInError, ThrottledError
from geo.errors import InputError, NotFoundError
from geo.registry import Registry

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(registry):
    """Accounts on the registry fixture (SQLite, and PostgreSQL when
    YIZHAN_TEST_POSTGRES is set)."""
    return Accounts(registry)


def age(accounts, table, column, seconds: float) -> None:
    """Move every row's ``column`` of ``table`` ``seconds`` into the past."""
    with accounts.engine.begin() as conn:
        for row in conn.execute(select(table)).all():
            key = table.primary_key.columns.values()[0]
            if getattr(row, column) is not None:
                conn.execute(update(table).where(key == getattr(row, key.name)).values(
                    {column: getattr(row, column) - timedelta(seconds=seconds)}))


def age_failures(accounts, seconds: float) -> None:
    """Move the failed sign-ins ``seconds`` into the past, as if that long had passed."""
    for column in ("last_at", "next_allowed_at"):
        if column in failures_table.c:
            age(accounts, failures_table, column, seconds)


def test_the_database_keeps_an_argon2_hash_never_the_password(accounts):
    accounts.add("li.ming", PASSWORD, display_name="李明")
    with accounts.engine.connect() as conn:
        rows = [tuple(str(v) for v in r) for r in conn.execute(text("SELECT * FROM users"))]
    assert len(rows) == 1
    assert not any(PASSWORD in value for value in rows[0])
    stored = rows[0][[c.name for c in users_table.columns].index("password_hash")]
    assert stored.startswith("$argon2id$")


def test_a_session_token_is_kept_only_as_its_hash(accounts):
    accounts.add("li.ming", PASSWORD)
    signed = accounts.sign_in("li.ming", PASSWORD, client="10.0.0.1")
    assert len(signed.token) >= 40
    with accounts.engine.connect() as conn:
        stored = conn.execute(select(sessions_table.c.token_hash)).scalars().all()
    assert stored == [token_hash(signed.token)] and signed.token not in stored
    assert accounts.session_user(signed.token).name == "li.ming"
    assert accounts.session_user(token_hash(signed.token)) is None  # the hash is no token


def test_accounts_roles_and_listing(accounts):
    accounts.add("wang", PASSWORD, role="admin", display_name="王芳 ")
    accounts.add("li.ming", PASSWORD)
    assert [(u.name, u.role, u.display_name) for u in accounts.users()] == [
        ("li.ming", "planner", ""), ("wang", "admin", "王芳")]
    assert accounts.get("wang").is_admin and not accounts.get("li.ming").is_admin
    with pytest.raises(NotFoundError, match="no user named 'zhao'"):
        accounts.get("zhao")


@pytest.mark.parametrize("name, role, password, parameter, match", [
    ("li ming", "planner", PASSWORD, "name", "space"),
    ("", "planner", PASSWORD, "name", "1 to 64"),
    ("x" * 65, "planner", PASSWORD, "name", "1 to 64"),
    ("li", "boss", PASSWORD, "role", r"must be one of \['viewer', 'planner', 'admin'\]"),
    ("li", "planner", "short", "password", "needs at least 10"),
])
def test_bad_accounts_are_refused(accounts, name, role, password, parameter, match):
    with pytest.raises(InputError, match=match) as caught:
        accounts.add(name, password, role=role)
    assert caught.value.parameter == parameter


def test_a_name_is_taken_once(accounts):
    accounts.add("li.ming", PASSWORD)
    with pytest.raises(InputError, match=r"already a user named 'li\.ming'"):
        accounts.add("li.ming", PASSWORD + "!")


def test_wrong_password_and_unknown_user_say_the_same(accounts):
    accounts.add("li.ming", PASSWORD)
    with pytest.raises(SignInError) as wrong:
        accounts.sign_in("li.ming", "not the password", client="a")
    with pytest.raises(SignInError) as unknown:
        accounts.sign_in("nobody", PASSWORD, client="a")
    assert str(wrong.value) == str(unknown.value) == "wrong user name or password"


def test_sign_out_revokes_the_session(accounts):
    accounts.add("li.ming", PASSWORD)
    first = accounts.sign_in("li.ming", PASSWORD, client="a")
    second = accounts.sign_in("li.ming", PASSWORD, client="b")
    assert accounts.sign_out(first.token)
    assert accounts.session_user(first.token) is None
    assert accounts.session_user(second.token).name == "li.ming"
    assert not accounts.sign_out(first.token)


def test_a_password_change_ends_every_session_of_the_user(accounts):
    accounts.add("li.ming", PASSWORD)
    accounts.add("wang", PASSWORD)
    mine = [accounts.sign_in("li.ming", PASSWORD, client=c).token for c in ("a", "b")]
    other = accounts.sign_in("wang", PASSWORD, client="a").token
    assert accounts.set_password("li.ming", "a new passphrase") == 2
    assert [accounts.session_user(t) for t in mine] == [None, None]
    assert accounts.session_user(other).name == "wang"
    with pytest.raises(SignInError):
        accounts.sign_in("li.ming", PASSWORD, client="a")
    assert accounts.sign_in("li.ming", "a new passphrase", client="a").user.name == "li.ming"


def test_a_disabled_account_cannot_sign_in_and_loses_its_sessions(accounts):
    accounts.add("li.ming", PASSWORD)
    token = accounts.sign_in("li.ming", PASSWORD, client="a").token
    assert accounts.any_active()
    assert accounts.set_disabled("li.ming") == 1
    assert accounts.session_user(token) is None and not accounts.any_active()
    with pytest.raises(AccountDisabledError, match="disabled"):
        accounts.sign_in("li.ming", PASSWORD, client="a")
    with pytest.raises(SignInError, match="wrong user name or password"):
        accounts.sign_in("li.ming", "a wrong password", client="a")  # says nothing more
    accounts.set_disabled("li.ming", False)
    assert accounts.sign_in("li.ming", PASSWORD, client="a").user.name == "li.ming"


def test_a_session_ends_when_idle_and_at_its_absolute_end(accounts):
    accounts.add("li.ming", PASSWORD)
    token = accounts.sign_in("li.ming", PASSWORD, client="a").token
    age(accounts, sessions_table, "last_seen_at", settings.session_idle_s - 120)
    assert accounts.session_user(token) is not None  # in use: touched again
    age(accounts, sessions_table, "last_seen_at", settings.session_idle_s - 120)
    assert accounts.session_user(token) is not None
    age(accounts, sessions_table, "last_seen_at", settings.session_idle_s + 1)
    assert accounts.session_user(token) is None
    assert accounts.sessions("li.ming") == 0  # an ended session is deleted

    token = accounts.sign_in("li.ming", PASSWORD, client="a").token
    age(accounts, sessions_table, "expires_at", settings.session_absolute_s)
    assert accounts.session_user(token) is None  # in use, but past its absolute end


def test_a_hash_made_with_another_cost_is_replaced_at_sign_in(accounts, monkeypatch):
    accounts.add("li.ming", PASSWORD)
    with accounts.engine.connect() as conn:
        before = conn.execute(select(users_table.c.password_hash)).scalar_one()
    assert "t=1," in before
    monkeypatch.setattr(settings, "argon2_time_cost", 2)
    accounts.sign_in("li.ming", PASSWORD, client="a")
    with accounts.engine.connect() as conn:
        after = conn.execute(select(users_table.c.password_hash)).scalar_one()
    assert "t=2," in after and after != before
    assert accounts.sign_in("li.ming", PASSWORD, client="a")  # the new hash holds


def test_backoff_doubles_after_the_free_failures_up_to_the_cap():
    assert [backoff_s(n, 5) for n in range(4, 10)] == [0, 1, 2, 4, 8, 16]
    assert backoff_s(10_000, 5) == settings.signin_backoff_cap_s


def test_failures_make_the_next_attempt_wait_but_lock_no_one_out(accounts):
    accounts.add("li.ming", PASSWORD)
    for _ in range(settings.signin_free_failures):
        with pytest.raises(SignInError) as caught:
            accounts.sign_in("li.ming", "guess guess", client="10.0.0.66")
        assert not isinstance(caught.value, ThrottledError)
    with pytest.raises(ThrottledError) as throttled:
        accounts.sign_in("li.ming", PASSWORD, client="10.0.0.66")  # not even tried
    assert 0 < throttled.value.retry_after_s <= settings.signin_backoff_base_s
    # the planner at another address signs in at once
    assert accounts.sign_in("li.ming", PASSWORD, client="10.0.0.7").user.name == "li.ming"
    # once the wait is over, the right password from the first address works and clears it
    age_failures(accounts, settings.signin_backoff_base_s)
    accounts.sign_in("li.ming", PASSWORD, client="10.0.0.66")
    for _ in range(settings.signin_free_failures - 1):  # counting starts again
        with pytest.raises(SignInError) as caught:
            accounts.sign_in("li.ming", "guess guess", client="10.0.0.66")
        assert not isinstance(caught.value, ThrottledError)


def test_each_failure_after_the_free_ones_doubles_the_wait(accounts):
    accounts.add("li.ming", PASSWORD)
    waits = []
    for _ in range(settings.signin_free_failures + 3):
        try:
            accounts.sign_in("li.ming", "guess guess", client="c")
        except ThrottledError as exc:
            waits.append(round(exc.retry_after_s))
            age_failures(accounts, exc.retry_after_s)
            with pytest.raises(SignInError):
                accounts.sign_in("li.ming", "guess guess", client="c")
        except SignInError:
            pass
    assert waits == [1, 2, 4]


def test_one_address_trying_many_accounts_is_slowed_too(accounts):
    accounts.add("li.ming", PASSWORD)
    for i in range(settings.signin_client_free_failures):
        with pytest.raises(SignInError):
            accounts.sign_in(f"user{i}", "guess guess", client="10.0.0.66")
    with pytest.raises(ThrottledError):
        accounts.sign_in("li.ming", PASSWORD, client="10.0.0.66")
    assert accounts.sign_in("li.ming", PASSWORD, client="10.0.0.7")


def test_failures_are_shared_by_every_process_on_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    one, two = Accounts(Registry(url)), Accounts(Registry(url))
    one.add("li.ming", PASSWORD)
    for i in range(settings.signin_free_failures):
        with pytest.raises(SignInError):
            (one, two)[i % 2].sign_in("li.ming", "guess guess", client="c")
    with pytest.raises(ThrottledError):
        two.sign_in("li.ming", PASSWORD, client="c")
    with pytest.raises(ThrottledError):
        one.sign_in("li.ming", PASSWORD, client="c")


def test_old_failures_and_ended_sessions_are_purged(accounts):
    accounts.add("li.ming", PASSWORD)
    with pytest.raises(SignInError):
        accounts.sign_in("li.ming", "guess guess", client="c")
    accounts.sign_in("li.ming", PASSWORD, client="d")
    age_failures(accounts, settings.signin_failure_memory_s + 1)
    age(accounts, sessions_table, "expires_at", settings.session_absolute_s + 1)
    accounts.purge()
    with accounts.engine.connect() as conn:
        assert conn.execute(select(failures_table)).all() == []
        assert conn.execute(select(sessions_table)).all() == []


# --- a burst when a wait ends ---------------------------------------------------------------------

class CountingHasher:
    """The argon2 hasher, counting its password checks (each made to take ``cost_s``, about
    what a real check costs, so that attempts in flight overlap)."""

    def __init__(self, inner, counter, cost_s: float = 0.05):
        self.inner, self.counter, self.cost_s = inner, counter, cost_s

    def verify(self, stored, password):
        with self.counter.get_lock():
            self.counter.value += 1
        time.sleep(self.cost_s)
        return self.inner.verify(stored, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def count_checks(monkeypatch, counter) -> None:
    real = accounts_module.hasher
    monkeypatch.setattr(accounts_module, "hasher", lambda: CountingHasher(real(), counter))


def wait_over(accounts) -> None:
    """Five failures from address ``c``, then the wait they earned moved into the past."""
    accounts.add("li.ming", PASSWORD)
    for _ in range(settings.signin_free_failures):
        with pytest.raises(SignInError):
            accounts.sign_in("li.ming", "guess guess", client="c")
    with pytest.raises(ThrottledError):
        accounts.sign_in("li.ming", "guess guess", client="c")
    age_failures(accounts, settings.signin_backoff_base_s + 0.1)


def burst(accounts, threads: int, start) -> list[str]:
    """``threads`` wrong guesses at once from address ``c``: what each was told."""
    def guess(_):
        start.wait()
        try:
            accounts.sign_in("li.ming", "guess guess", client="c")
        except ThrottledError:
            return "throttled"
        except SignInError:
            return "wrong"
        return "signed in"

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(guess, range(threads)))


def test_a_burst_when_the_wait_ends_gets_one_password_check(accounts, monkeypatch):
    """Eight threads guessing the moment a wait ends: the throttle decides and records in one
    step, so exactly one of them has its password checked; the others must wait."""
    wait_over(accounts)
    checks = multiprocessing.Value("i", 0)
    count_checks(monkeypatch, checks)
    answers = burst(accounts, 8, threading.Barrier(8))
    assert checks.value == 1
    assert sorted(answers) == ["throttled"] * 7 + ["wrong"]


def _guessing_process(url, start, checks, answers) -> None:
    accounts = Accounts(Registry(url))
    real = accounts_module.hasher
    accounts_module.hasher = lambda: CountingHasher(real(), checks)
    answers.put(burst(accounts, 4, start))
    accounts.engine.dispose()


def test_two_processes_bursting_get_one_password_check(registry):
    """Two processes of four threads each on one database (SQLite file or PostgreSQL), as two
    server workers: still one password check for the wait that ended."""
    accounts = Accounts(registry)
    wait_over(accounts)
    registry.engine.dispose()
    context = multiprocessing.get_context("fork")
    start, checks, answers = context.Barrier(8), context.Value("i", 0), context.Queue()
    workers = [context.Process(target=_guessing_process,
                               args=(registry.url, start, checks, answers)) for _ in range(2)]
    for worker in workers:
        worker.start()
    told = answers.get(timeout=60) + answers.get(timeout=60)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert checks.value == 1
    assert sorted(told) == ["throttled"] * 7 + ["wrong"]


# --- a database that cannot be written ------------------------------------------------------------

@contextlib.contextmanager
def read_only(engine):
    """While inside, every connection of ``engine`` refuses writes as a read-only database does
    (SQLite's ``query_only``, PostgreSQL's read-only transactions); writable again after."""
    def refuse_writes(dbapi_connection, _record, _proxy):
        if engine.dialect.name == "sqlite":
            dbapi_connection.execute("PRAGMA query_only = ON")
        else:
            dbapi_connection.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()

    engine.dispose()
    event.listen(engine, "checkout", refuse_writes)
    try:
        yield
    finally:
        event.remove(engine, "checkout", refuse_writes)
        engine.dispose()


def stored_failures(accounts) -> list[int]:
    with accounts.engine.connect() as conn:
        return sorted(conn.execute(select(failures_table.c.failures)).scalars())


def test_failures_while_the_database_is_read_only_count_and_are_written_later(accounts):
    accounts.add("li.ming", PASSWORD)
    with read_only(accounts.engine):
        with pytest.raises((OperationalError, InternalError)):  # it really is read-only
            accounts.add("wang", PASSWORD)
        for _ in range(settings.signin_free_failures):
            with pytest.raises(SignInError) as caught:
                accounts.sign_in("li.ming", "guess guess", client="c")
            assert not isinstance(caught.value, ThrottledError)
        with pytest.raises(ThrottledError) as throttled:  # counted in memory meanwhile
            accounts.sign_in("li.ming", PASSWORD, client="c")
        assert 0 < throttled.value.retry_after_s <= settings.signin_backoff_base_s
        assert stored_failures(accounts) == []
    # writable again: the next attempt writes them down first, and still has to wait
    with pytest.raises(ThrottledError):
        accounts.sign_in("li.ming", PASSWORD, client="c")
    assert stored_failures(accounts) == [settings.signin_free_failures] * 2
    age_failures(accounts, settings.signin_backoff_base_s + 0.1)
    assert accounts.sign_in("li.ming", PASSWORD, client="c").user.name == "li.ming"
    assert stored_failures(accounts) == [settings.signin_free_failures]  # the address's


def test_failures_kept_in_memory_are_bounded(accounts, monkeypatch):
    monkeypatch.setattr(settings, "signin_memory_keys", 4)
    with read_only(accounts.engine):
        for i in range(5):  # two keys each: the account at the address, and the address
            with pytest.raises(SignInError):
                accounts.sign_in("li.ming", "guess guess", client=f"10.0.0.{i}")
    accounts.purge()  # no sign-in: nothing written yet
    assert stored_failures(accounts) == []
    with pytest.raises(SignInError):
        accounts.sign_in("nobody", "guess guess", client="10.0.0.9")
    assert stored_failures(accounts) == [1] * 6  # the newest four kept, and this attempt's two


def test_signing_in_counts_as_no_failure(accounts, monkeypatch):
    """Each attempt is counted before its password is checked; the right password takes it
    back, so an office signing in all day from one address is never held up."""
    monkeypatch.setattr(settings, "signin_client_free_failures", 3)
    accounts.add("li.ming", PASSWORD)
    accounts.add("wang", PASSWORD)
    for i in range(8):
        assert accounts.sign_in(("li.ming", "wang")[i % 2], PASSWORD, client="office")
    with pytest.raises(AccountDisabledError):
        accounts.set_disabled("wang")
        accounts.sign_in("wang", PASSWORD, client="office")
    assert stored_failures(accounts) == []


def test_failures_of_a_database_made_before_keep_counting(tmp_path):
    """A ``signin_failures`` table without ``next_allowed_at`` gains it when opened; its
    failures still make the next attempt wait."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE signin_failures (key VARCHAR(64) NOT NULL PRIMARY KEY, "
                     "failures INTEGER NOT NULL, last_at DATETIME NOT NULL)")
    accounts = Accounts(Registry(f"sqlite:///{path}"))
    accounts.add("li.ming", PASSWORD)
    with sqlite3.connect(path) as conn:
        assert "next_allowed_at" in [c[1] for c in conn.execute(
            "PRAGMA table_info(signin_failures)")]
    for _ in range(settings.signin_free_failures):
        with pytest.raises(SignInError):
            accounts.sign_in("li.ming", "guess guess", client="c")
    with accounts.engine.begin() as conn:  # rows as the former version wrote them
        conn.execute(text("UPDATE signin_failures SET next_allowed_at = NULL, failures = 6"))
    with pytest.raises(ThrottledError) as throttled:
        accounts.sign_in("li.ming", PASSWORD, client="c")
    assert 1 < throttled.value.retry_after_s <= 2 * settings.signin_backoff_base_s
    accounts.engine.dispose()
