"""Planner accounts: people who sign in to the planner view, their sessions and sign-in throttling.

Three tables beside the stations, on the registry's metadata (:data:`geo.registry.metadata`), so
one SQLite file or PostgreSQL database holds everything and several server processes share it:

``users``
    One row per person: a unique ``name`` to sign in with, a ``display_name``, a ``role``
    (:data:`ROLES`: ``viewer`` reads reports, history and figures; ``planner`` also edits
    stations and runs analyses; ``admin`` also sees the
    accounts), an argon2id ``password_hash`` (argon2-cffi; never the password), ``disabled``,
    ``must_change`` (the password was given by an administrator, :meth:`Accounts.create` or
    :meth:`Accounts.reset`: it must be changed at the next sign-in).
``sessions``
    One row per signed-in browser: the SHA-256 of a random token (the browser keeps the token,
    the database only its hash), the user, when it was made, last used and ends. A session ends
    after :data:`app.settings.session_idle_s` without use or :data:`app.settings.session_absolute_s`
    after sign-in; signing out deletes it, a password change or disabling the account deletes
    all of that user's.
``account_log``
    Who did what to which account, and when (:meth:`Accounts.log`): made (with its role and
    organisation), password reset or changed, role or organisation changed, disabled, enabled;
    from the web app (the administrator's user name) or the command line (``cli:`` and the
    system user).
``signin_failures``
    Failed sign-ins per account and client address and per client address, keyed by a hash:
    after :data:`app.settings.signin_free_failures` (per account and address) or
    :data:`app.settings.signin_client_free_failures` (per address, any account) each next
    attempt must wait 1, 2, 4 … seconds (:func:`backoff_s`), up to a cap. There is no account
    lock: someone else's failures never stop the right password from another address. Each
    attempt claims its turn in the database before its password is checked, so a wait lets one
    password through whatever the number of threads and processes (:mod:`app.throttle`).

Times are UTC. Nothing here knows about HTTP; the web app hands in the client address.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from app import settings
from app.errors import AccountDisabledError, SignInError
from app.orgs import Org, members_table, orgs_table
from app.throttle import UNWRITABLE, Throttle, throttle_keys
from app.throttle import backoff_s as backoff_s  # the throttle's waits and table, named here too
from app.throttle import failures_table as failures_table
from geo.errors import ConflictError, DatabaseUnavailable, InputError, Message, NotFoundError
from geo.registry import Registry, add_missing_columns, default_actor
from geo.text import forbidden, shown

#: The accounts' own tables, beside the registry's in the same database (created by
#: :class:`Accounts`), so the station registry knows nothing of people who sign in.
metadata = MetaData()

#: Roles: id -> (中文, English). An admin may do everything a planner may.
ROLES: dict[str, tuple[str, str]] = {"viewer": ("查看人员", "viewer"),
                                     "planner": ("规划人员", "planner"),
                                     "admin": ("管理员", "administrator")}
Role = Literal["viewer", "planner", "admin"]
#: Longest user name, characters.
MAX_NAME = 64
#: Longest password, characters (argon2 takes any length; this bounds the work one request asks).
MAX_PASSWORD = 1024
#: A session's last use is written at most this often, seconds (not on every request).
TOUCH_S = 60.0

users_table = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME), nullable=False, unique=True),
    Column("display_name", Text, nullable=False, default=""),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    # an administrator's one-time password: changed at the next sign-in before anything else
    Column("must_change", Boolean, nullable=False, default=False, server_default="0"),
)

sessions_table = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the browser's token, hex
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

#: What the account log records (``action``).
LOG_ACTIONS = ("create", "reset", "password", "role", "disable", "enable", "display_name",
               "org")

account_log_table = Table(
    "account_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", Text, nullable=False),  # a user name, or "cli:" and the system user
    Column("action", String(16), nullable=False),  # one of LOG_ACTIONS
    Column("target", String(MAX_NAME), nullable=False, index=True),  # the account's name
    Column("detail", Text, nullable=False, default="{}", server_default="{}"),  # JSON object
)

_TABLES = [users_table, sessions_table, account_log_table]  # signin_failures: app.throttle


@dataclass(frozen=True)
class User:
    """An account (never its password hash)."""

    id: int
    name: str
    display_name: str
    role: str
    disabled: bool
    created_at: datetime
    must_change: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def as_dict(self) -> dict:
        return {"name": self.name, "display_name": self.display_name, "role": self.role,
                "disabled": self.disabled, "created_at": self.created_at.isoformat()}

    def account_dict(self) -> dict:
        """What account management shows of an account: :meth:`as_dict` and ``must_change``."""
        return {**self.as_dict(), "must_change": self.must_change}


@dataclass(frozen=True)
class LogEntry:
    """One line of the account log: who (``actor``) did what (``action``) to which account
    (``target``), when (UTC), and the details (``detail``: e.g. the roles before and after)."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: dict

    def as_dict(self) -> dict:
        return {"at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "target": self.target, "detail": self.detail}


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the user and the session token to hand the browser (only here
    in the clear)."""

    user: User
    token: str
    expires_at: datetime


# --- checks ---------------------------------------------------------------------------------------

def check_name(name: object) -> str:
    """A user name as stored: NFC, no surrounding space; 1 to :data:`MAX_NAME` characters,
    no spaces or control characters inside."""
    if not isinstance(name, str):
        raise InputError("`name` must be text", parameter="name")
    name = unicodedata.normalize("NFC", name.strip())
    if not name or len(name) > MAX_NAME:
        raise InputError(Message(f"`name` must have 1 to {MAX_NAME} characters, not {len(name)}",
                                 "user_name_length", max=MAX_NAME, n=len(name)), parameter="name")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in name):
        raise InputError(Message(f"`name` {name!r} has a space or control character; use "
                                 "letters, digits, '.', '_' or '-' (e.g. li.ming)",
                                 "user_name_chars", name=repr(name)), parameter="name")
    return name


def check_display_name(display_name: object) -> str:
    """A display name as stored: no surrounding space, none of the characters the text policy
    refuses (:func:`geo.text.forbidden`: control and bidirectional characters, lone surrogates,
    noncharacters), which would break the pages and files that show it."""
    if not isinstance(display_name, str):
        raise InputError("the display name must be text", parameter="display_name")
    refused = forbidden(display_name)
    if refused:
        chars = ", ".join(shown(c) for c in refused)
        raise InputError(Message(f"the display name holds {chars}, which no stored text may hold "
                                 "(control and bidirectional characters, lone surrogates, "
                                 "noncharacters); remove them", "display_name_chars",
                                 chars=chars), parameter="display_name")
    return display_name.strip()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"`role` was {role!r} but must be one of {list(ROLES)}",
                         parameter="role")
    return role


def check_password(password: object) -> str:
    """A new password: :data:`app.settings.min_password_chars` to :data:`MAX_PASSWORD`
    characters."""
    if not isinstance(password, str):
        raise InputError("the password must be text", parameter="password")
    if len(password) < settings.min_password_chars:
        raise InputError(Message(f"the password has {len(password)} characters but needs at "
                                 f"least {settings.min_password_chars}", "password_short",
                                 n=len(password), min=settings.min_password_chars),
                         parameter="password")
    if len(password) > MAX_PASSWORD:
        raise InputError(Message(f"the password has more than {MAX_PASSWORD} characters",
                                 "password_long", max=MAX_PASSWORD), parameter="password")
    return password


def taken(name: str) -> InputError:
    """The error for a user name in use."""
    return InputError(Message(f"there is already a user named {name!r}; change the password "
                              "with `yizhan user passwd`", "user_taken", name=repr(name)),
                      parameter="name")


def _log(conn, by: str | None, action: str, target: str, detail: dict, at: datetime) -> None:
    """One line of the account log, in the transaction of the change (``by`` None: the
    operating system user of the command line, as ``cli:NAME``)."""
    actor = by if by is not None else f"cli:{default_actor()}"
    conn.execute(insert(account_log_table).values(
        at=at, actor=actor, action=action, target=target,
        detail=json.dumps(detail, ensure_ascii=False)))


# --- hashing --------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher() -> PasswordHasher:
    """The argon2id hasher with the cost in :mod:`geo.settings` (read at call time)."""
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib,
                   settings.argon2_parallelism)


@lru_cache(maxsize=4)
def _decoy(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash(secrets.token_urlsafe(16))


def _decoy_hash() -> str:
    """A hash to check unknown names against, so that they take as long as known ones."""
    return _decoy(settings.argon2_time_cost, settings.argon2_memory_kib,
                  settings.argon2_parallelism)


def token_hash(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    """A time read back (SQLite forgets the zone; the database keeps UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user(row) -> User:
    return User(id=row.id, name=row.name, display_name=row.display_name, role=row.role,
                disabled=bool(row.disabled), created_at=_utc(row.created_at),
                must_change=bool(row.must_change))


#: The characters of a one-time password: no 0/O, 1/l/I, which are misread when it is passed on.
OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def one_time_password() -> str:
    """A random password to hand a person once: three groups of five characters (about 86
    bits), e.g. ``7fKq2-mNp4x-Ha9rT``."""
    return "-".join("".join(secrets.choice(OTP_ALPHABET) for _ in range(5)) for _ in range(3))


class Accounts:
    """The accounts, sessions and sign-in throttle stored beside a registry's stations.

    Parameters
    ----------
    registry
        The registry whose database holds the accounts; the tables are created if missing.
    """

    def __init__(self, registry: Registry):
        self.registry = registry
        self.engine = registry.engine
        # a read-only database: sign-in waits until it is writable
        with contextlib.suppress(OperationalError):
            metadata.create_all(self.engine, tables=_TABLES)
            add_missing_columns(self.engine, metadata)  # an older users table: must_change
        self.throttle = Throttle(self.engine)

    # --- accounts ---

    def add(self, name: str, password: str, *, role: Role = "planner",
            display_name: str = "", by: str | None = None, must_change: bool = False,
            org: Org | None = None) -> User:
        """Create an account; :class:`InputError` when the name is taken. ``by`` (who made it)
        goes in the account log; ``must_change``: the password is to be changed at the next
        sign-in (it was handed over, :meth:`create`); ``org``: the organisation it belongs to
        (None: none, the whole deployment), written with it and named in the log."""
        name, role = check_name(name), check_role(role)
        display_name = check_display_name(display_name)
        hashed = hasher().hash(check_password(password))
        now = _now()
        try:
            with self.engine.begin() as conn:
                made = conn.execute(insert(users_table).values(
                    name=name, display_name=display_name, role=role,
                    password_hash=hashed, disabled=False, created_at=now,
                    password_changed_at=now, must_change=must_change))
                detail = {"role": role}
                if org is not None:
                    conn.execute(insert(members_table).values(
                        user_id=made.inserted_primary_key[0], org_id=org.id))
                    detail["org"] = org.name
                _log(conn, by, "create", name, detail, now)
        except IntegrityError as exc:
            raise taken(name) from exc
        return self.get(name)

    def create(self, name: str, *, role: Role = "planner", display_name: str = "",
               by: str, org: Org | None = None) -> tuple[User, str]:
        """Create an account with a one-time password (:func:`one_time_password`) that must be
        changed at the first sign-in, in organisation ``org`` (None: none). Returns the account
        and that password, which is not kept (only its hash): show it once to whoever made the
        account."""
        password = one_time_password()
        return self.add(name, password, role=role, display_name=display_name, by=by,
                        must_change=True, org=org), password

    def get(self, name: str) -> User:
        """One account by name; :class:`NotFoundError` when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
        if row is None:
            raise NotFoundError(Message(f"no user named {name!r}; `yizhan user list` shows them",
                                        "user_not_found", name=repr(name)))
        return _user(row)

    def users(self) -> list[User]:
        """Every account, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(users_table).order_by(users_table.c.name))
            return [_user(r) for r in rows]

    def any_active(self) -> bool:
        """Whether anyone can sign in (an account that is not disabled exists)."""
        with self.engine.connect() as conn:
            return conn.execute(select(users_table.c.id).where(
                users_table.c.disabled.is_(False)).limit(1)).first() is not None

    def set_password(self, name: str, password: str, *, by: str | None = None) -> int:
        """Change a password (chosen by whoever runs this, so no change is asked at the next
        sign-in); every session of the user ends. Returns how many ended."""
        hashed = hasher().hash(check_password(password))
        return self._change(name, by, "password", {}, password_hash=hashed,
                            password_changed_at=_now(), must_change=False)

    def reset(self, name: str, *, by: str) -> str:
        """A new one-time password for ``name``, to be changed at the next sign-in; every
        session of the user ends. Returns the password (not kept: show it once)."""
        password = one_time_password()
        self._change(name, by, "reset", {}, password_hash=hasher().hash(password),
                     password_changed_at=_now(), must_change=True)
        return password

    def change_own_password(self, user: User, current: str, new: str, *, client: str = "",
                            keep_token: str | None = None) -> int:
        """``user`` changes their own password, giving the current one (a wrong one counts
        as a failed sign-in of the throttle). The new one must differ from it. Every other
        session of the user ends (not ``keep_token``'s). Returns how many ended.

        Raises
        ------
        ThrottledError
            Too many recent failures (as for signing in).
        InputError
            ``current_password`` is wrong, or ``new_password`` is too short, too long or the
            same as the current one.
        """
        check_password(new)
        keys = throttle_keys(user.name, client)
        claim = self.throttle.claim(keys)
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.id == user.id)).first()
        if row is None or not self._verify(row, current):
            raise InputError(Message("the current password is wrong", "password_current_wrong"),
                             parameter="current_password")
        self.throttle.release(claim, clear=keys[0][0])
        if new == current:
            raise InputError(Message("the new password is the current one; choose another",
                                     "password_same"), parameter="new_password")
        keep = token_hash(keep_token) if keep_token else ""
        with self.engine.begin() as conn:
            conn.execute(update(users_table).where(users_table.c.id == user.id).values(
                password_hash=hasher().hash(new), password_changed_at=_now(),
                must_change=False))
            _log(conn, user.name, "password", user.name, {}, _now())
            return conn.execute(delete(sessions_table).where(
                (sessions_table.c.user_id == user.id)
                & (sessions_table.c.token_hash != keep))).rowcount

    def set_disabled(self, name: str, disabled: bool = True, *, by: str | None = None) -> int:
        """Disable (or enable again) an account; disabling ends every session of the user.
        Returns how many ended. The last administrator who can sign in is not disabled
        (:class:`ConflictError`)."""
        if disabled:
            self._keep_an_admin(name, "disable")
        return self._change(name, by, "disable" if disabled else "enable", {},
                            disabled=bool(disabled))

    def set_role(self, name: str, role: str, *, by: str | None = None) -> User:
        """Give ``name`` another role (in effect at its next request). The last administrator
        who can sign in keeps the role (:class:`ConflictError`)."""
        role = check_role(role)
        before = self.get(name)
        if before.role != role:
            if before.role == "admin":
                self._keep_an_admin(name, "demote")
            self._change(name, by, "role", {"from": before.role, "to": role}, role=role)
        return self.get(name)

    def set_display_name(self, name: str, display_name: str, *, by: str | None = None) -> User:
        """Change the name the pages show for ``name``."""
        display_name = check_display_name(display_name)
        self._change(name, by, "display_name", {"to": display_name}, display_name=display_name)
        return self.get(name)

    def set_org(self, name: str, org: Org | None, *, by: str | None = None) -> str | None:
        """Put account ``name`` in organisation ``org`` (None: in none, the whole deployment),
        logged with the names before and after (``""``: none) in the same transaction. Returns
        the name of the organisation it was in."""
        user = self.get(name)
        with self.engine.begin() as conn:
            before = conn.execute(select(orgs_table.c.name).join(
                members_table, members_table.c.org_id == orgs_table.c.id).where(
                members_table.c.user_id == user.id)).scalar()
            if before == (None if org is None else org.name):
                return before
            conn.execute(delete(members_table).where(members_table.c.user_id == user.id))
            if org is not None:
                conn.execute(insert(members_table).values(user_id=user.id, org_id=org.id))
            _log(conn, by, "org", user.name, {"from": before or "",
                                              "to": "" if org is None else org.name}, _now())
        return before

    def _keep_an_admin(self, name: str, what: str) -> None:
        user = self.get(name)
        if user.role != "admin" or user.disabled:
            return
        with self.engine.connect() as conn:
            others = conn.execute(select(users_table.c.id).where(
                (users_table.c.role == "admin") & users_table.c.disabled.is_(False)
                & (users_table.c.id != user.id)).limit(1)).first()
        if others is None:
            raise ConflictError(Message(
                f"{name!r} is the last administrator who can sign in; make another account an "
                f"administrator first, or nobody could manage the accounts", "last_admin",
                name=repr(name), what=what), parameter="name")

    def _change(self, name: str, by: str | None, action: str, detail: dict, **values) -> int:
        user = self.get(name)
        with self.engine.begin() as conn:
            conn.execute(update(users_table).where(users_table.c.id == user.id).values(**values))
            _log(conn, by, action, user.name, detail, _now())
            if values.get("disabled") is not True and "password_hash" not in values:
                return 0
            return conn.execute(delete(sessions_table).where(
                sessions_table.c.user_id == user.id)).rowcount

    def log(self, *, limit: int = 200, targets: set[str] | None = None) -> list[LogEntry]:
        """The account log, newest first: at most ``limit`` entries, of the accounts named in
        ``targets`` only when given."""
        query = select(account_log_table).order_by(account_log_table.c.id.desc()).limit(limit)
        if targets is not None:
            query = query.where(account_log_table.c.target.in_(sorted(targets)))
        with self.engine.connect() as conn:
            return [LogEntry(_utc(r.at), r.actor, r.action, r.target, json.loads(r.detail or "{}"))
                    for r in conn.execute(query)]

    # --- signing in and out ---

    def sign_in(self, name: str, password: str, *, client: str = "") -> SignIn:
        """Check a name and password from ``client`` (an address) and open a session.

        Raises
        ------
        ThrottledError
            Too many recent failures for this account from this address, or from this address
            for any account: ``retry_after_s`` says how long to wait. The password is not tried.
        SignInError
            Unknown name or wrong password (counted as a failure).
        AccountDisabledError
            The password is right but the account is disabled.
        DatabaseUnavailable
            The password is right but the database cannot be written now (no session). While
            it cannot, failures are counted in this process's memory and throttle as ever.
        """
        name = unicodedata.normalize("NFC", name.strip()) if isinstance(name, str) else ""
        keys = throttle_keys(name, client)
        claim = self.throttle.claim(keys)  # counted as a failure until the password is right
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
        if not self._verify(row, password):
            raise SignInError("wrong user name or password")
        if row.disabled:
            self.throttle.release(claim)
            raise AccountDisabledError(f"the account {name!r} is disabled; ask an administrator")
        self.throttle.release(claim, clear=keys[0][0])
        token = secrets.token_urlsafe(32)
        now = _now()
        expires = now + timedelta(seconds=settings.session_absolute_s)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(sessions_table).values(
                    token_hash=token_hash(token), user_id=row.id, created_at=now,
                    last_seen_at=now, expires_at=expires))
        except UNWRITABLE as exc:  # the right password, but no session can be written now
            raise DatabaseUnavailable(self.registry.url, exc.orig or exc) from exc
        with contextlib.suppress(*UNWRITABLE):  # housekeeping; the sign-in stands
            self.purge(now)
        return SignIn(_user(row), token, expires)

    def _verify(self, row, password: str) -> bool:
        """Whether ``password`` is the user's; rehash with the current cost when it changed."""
        ph = hasher()
        stored = row.password_hash if row is not None else _decoy_hash()
        try:
            ph.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
        if row is None:
            return False
        if ph.check_needs_rehash(stored):
            # not while the database cannot be written: then at a later sign-in
            with contextlib.suppress(*UNWRITABLE), self.engine.begin() as conn:
                conn.execute(update(users_table).where(users_table.c.id == row.id)
                             .values(password_hash=ph.hash(password)))
        return True

    def session_user(self, token: str | None) -> User | None:
        """The user a session token belongs to, or None when the session is unknown, ended
        (idle, absolute), signed out, or its user disabled."""
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        key = token_hash(token)
        now = _now()
        query = (select(sessions_table.c.last_seen_at, sessions_table.c.expires_at, users_table)
                 .join(users_table, users_table.c.id == sessions_table.c.user_id)
                 .where(sessions_table.c.token_hash == key))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.disabled:
            return None
        last_seen = _utc(row.last_seen_at)
        if (_utc(row.expires_at) <= now
                or now - last_seen >= timedelta(seconds=settings.session_idle_s)):
            self.sign_out(token)
            return None
        if (now - last_seen).total_seconds() >= TOUCH_S:
            with self.engine.begin() as conn:
                conn.execute(update(sessions_table).where(sessions_table.c.token_hash == key)
                             .values(last_seen_at=now))
        return _user(row)

    def sign_out(self, token: str | None) -> bool:
        """End one session; whether there was one."""
        if not token or not isinstance(token, str):
            return False
        with self.engine.begin() as conn:
            return conn.execute(delete(sessions_table).where(
                sessions_table.c.token_hash == token_hash(token))).rowcount > 0

    def sessions(self, name: str) -> int:
        """How many sessions of a user are open (not yet purged)."""
        user = self.get(name)
        with self.engine.connect() as conn:
            return len(conn.execute(select(sessions_table.c.token_hash).where(
                sessions_table.c.user_id == user.id)).all())

    def purge(self, now: datetime | None = None) -> None:
        """Forget ended sessions and failures older than the failure memory."""
        now = now or _now()
        idle = now - timedelta(seconds=settings.session_idle_s)
        with self.engine.begin() as conn:
            conn.execute(delete(sessions_table).where(
                (sessions_table.c.expires_at <= now) | (sessions_table.c.last_seen_at < idle)))
            self.throttle.purge(conn, now)
