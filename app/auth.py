"""Planner sign-in for the web app: ``/api/login``, ``/api/logout``, ``/api/session`` and the
decorators the planner views wear (:func:`planner_required`, :func:`admin_required`,
:func:`requires`).

**Permissions are decided here only**: :data:`PERMISSIONS` (what each role may do) and
:func:`manages` (whose accounts a user manages), both read by :func:`may`, which also decides
whether a place lies in the area of the user's organisation (:mod:`app.orgs`). An account whose
password was handed over by an administrator (``must_change``) may read, sign out and change
its own password, nothing else, until it has (:func:`must_change_first`).

Accounts, sessions and the sign-in throttle live in the registry database
(:class:`app.accounts.Accounts`), so every server process sees the same ones. The session cookie
(Flask's, signed with ``SECRET_KEY``) carries only a random token; the database keeps its SHA-256,
the user and when the session ends, so signing out, a password change or disabling the account
ends it everywhere. The cookie is HttpOnly and SameSite=Lax, and Secure when the request came by
HTTPS (through a trusted proxy, see ``TRUSTED_PROXIES``) or ``HTTPS`` is set.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, current_app, g, jsonify, request, session
from flask.sessions import SecureCookieSessionInterface

from app import schemas as s
from app import settings
from app.accounts import ROLES, Accounts, User
from app.errors import AccountDisabledError, SignInError, ThrottledError
from app.handlers import error_response, retry_after
from app.openapi import operation
from app.orgs import Org, Orgs

bp = Blueprint("auth", __name__)

#: The session key that holds the random token.
TOKEN = "sid"


def init_app(app: Flask, registry) -> None:
    """Attach the accounts of ``registry``'s database, the cookie settings and (with
    ``TRUSTED_PROXIES`` > 0) the proxy headers to ``app``; register the sign-in routes."""
    cfg = app.config
    app.extensions["accounts"] = Accounts(registry)
    app.extensions["orgs"] = Orgs(registry)
    app.session_interface = _SessionInterface()
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = _flag(cfg.get("HTTPS"))
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=settings.session_absolute_s)
    proxies = int(cfg.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise ValueError(f"`TRUSTED_PROXIES` was {proxies} but must be 0 (no proxy) or more")
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # X-Forwarded-For/-Proto/-Host set by that many proxies are believed; from anyone
        # else they would let a client choose its address (and its sign-in throttle)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.register_blueprint(bp, url_prefix="/api")


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in s.TRUE
    return bool(value)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request itself came by HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def accounts() -> Accounts:
    return current_app.extensions["accounts"]


def current_user() -> User | None:
    """The signed-in user of this request (None when not signed in), looked up once."""
    if "user" not in g:
        token = session.get(TOKEN)
        g.user = accounts().session_user(token) if token else None
    return g.user


def is_planner() -> bool:
    """Whether this request comes from a signed-in planner (or admin)."""
    user = current_user()
    return user is not None and user.role in ROLES


def actor() -> str:
    """Who makes this request's changes, for the station history: the user name."""
    user = current_user()
    return user.name if user is not None else ""


#: What each role may do: action -> the roles allowed. ``read``: the reports, history and
#: figures of one's area; ``plan``: analyses, stations, reports; ``inputs``: upload and restore
#: the worker counts and districts; ``accounts``: manage accounts (and put them in an
#: organisation); ``areas``: replace an organisation's area; ``catalogue``: add and change the
#: deployment's own station kinds and service words.
PERMISSIONS: dict[str, frozenset[str]] = {"read": frozenset(ROLES),
                                          "plan": frozenset({"planner", "admin"}),
                                          "inputs": frozenset({"planner", "admin"}),
                                          "accounts": frozenset({"admin"}),
                                          "areas": frozenset({"admin"}),
                                          "catalogue": frozenset({"admin"})}


class _Anywhere:
    """The default of :func:`may`'s ``org``: no organisation is acted on."""


_NO_ORG = _Anywhere()


def orgs() -> Orgs:
    """The organisations of this app's registry database (:mod:`app.orgs`)."""
    return current_app.extensions["orgs"]


def org_of(user: User | None) -> Org | None:
    """``user``'s organisation (None: none, the whole deployment), looked up once a request."""
    if user is None:
        return None
    known = g.setdefault("user_orgs", {})
    if user.id not in known:
        known[user.id] = orgs().org_of(user.id)
    return known[user.id]


def holds(user: User, org: Org | None) -> bool:
    """Whether organisation ``org`` (None: the whole deployment) lies within ``user``'s: their
    own or one below it. A user without an organisation holds every organisation and the whole
    deployment; one with an organisation never holds one above or beside it, nor the whole."""
    top = org_of(user)
    return top is None or (org is not None and orgs().within(org.id, top.id))


def manages(user: User, target: User) -> bool:
    """Whether ``user`` manages ``target``'s account: the one place an account's scope is
    decided. An administrator manages the accounts of their organisation and of those below
    it; one without an organisation every account of this server."""
    return user.is_admin and holds(user, org_of(target))


def may(user: User | None, action: str, target: User | None = None, *,
        at: tuple[float, float] | None = None, org: Org | _Anywhere | None = _NO_ORG) -> bool:
    """Whether ``user`` may do ``action`` (:data:`PERMISSIONS`): to ``target``'s account when
    given (:func:`manages`); to organisation ``org`` when given (an account put in it, its area
    replaced; None: the whole deployment), which must lie within the user's (:func:`holds`);
    at the place ``at`` (lon, lat, EPSG:4326) when given, which must lie in the area of the
    user's organisation (an account without one serves everywhere)."""
    if user is None or user.role not in PERMISSIONS[action]:
        return False
    if target is not None and not manages(user, target):
        return False
    if not isinstance(org, _Anywhere) and not holds(user, org):
        return False
    if at is None:
        return True
    mine = org_of(user)
    return mine is None or orgs().covers(mine.id, *at)


#: Requests a user who must change their password may still make (reads have no body).
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def must_change_first(user: User):
    """The 403 for a change asked by ``user`` before they changed their handed-over password
    (None when they may go on)."""
    if user.must_change and request.method not in _READS:
        return error_response("change your password first: this account's password was given "
                              "by an administrator (POST /api/password with current_password "
                              "and new_password)", 403, "password")
    return None


def _must_change_answer(contract):
    return {403: (None, "Signed in, but the password given by an administrator must be changed "
                        "first (POST /api/password), or not allowed (not an administrator)."),
            **contract.answers}


def planner_required(view):
    """Answer 401 unless signed in; 403 for a change by a viewer, or before a handed-over
    password was changed (:func:`must_change_first`)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_planner():
            return error_response("planners only: sign in with POST /api/login first", 401)
        user = current_user()
        if not may(user, "read" if request.method in _READS else "plan"):
            return error_response(f"planners only; {user.name!r} is a {user.role} and may read "
                                  "only", 403)
        return must_change_first(user) or view(*args, **kwargs)

    wrapped.__contract__ = replace(view.__contract__, planner=True,
                                   answers=_must_change_answer(view.__contract__))
    return wrapped


def requires(action: str):
    """Answer 401 unless signed in, 403 unless :func:`may` do ``action`` (or, for a change,
    until a handed-over password was changed)."""
    if action not in PERMISSIONS:
        raise ValueError(f"`action` was {action!r} but must be one of {list(PERMISSIONS)}")

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return error_response("sign in with POST /api/login first", 401)
            if not may(user, action):
                what = ("administrators only" if PERMISSIONS[action] == {"admin"}
                    else "not allowed")
                return error_response(f"{what}; {user.name!r} is a {user.role}", 403)
            return must_change_first(user) or view(*args, **kwargs)

        wrapped.__contract__ = replace(view.__contract__, planner=True,
                                       answers=_must_change_answer(view.__contract__))
        return wrapped

    return decorate


def admin_required(view):
    """Answer 401 unless signed in, 403 unless an admin (:func:`requires` ``"accounts"``)."""
    return requires("accounts")(view)


def signed_in_required(view):
    """Answer 401 unless signed in (any role, a handed-over password too)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return error_response("sign in with POST /api/login first", 401)
        return view(*args, **kwargs)

    wrapped.__contract__ = replace(view.__contract__, planner=True)
    return wrapped


def _state(user: User | None) -> dict:
    if user is None:
        return {"planner": False, "user": None, "display_name": None, "role": None,
                "must_change": False}
    return {"planner": True, "user": user.name, "display_name": user.display_name or user.name,
            "role": user.role, "must_change": user.must_change}


@bp.get("/session")
@operation(answers={200: (s.Session, "The state.")})
def session_state():
    """Who this session signed in as, and whether any account can sign in here."""
    return jsonify({**_state(current_user()), "enabled": accounts().any_active()})


@bp.post("/login")
@operation(body=s.LoginBody, answers={
    200: (s.Session, "Signed in."), 401: (None, "Wrong user name or password."),
    403: (None, "The account is disabled."),
    429: (None, "Too many failed sign-ins for this account from this address, or from this "
                + "address: wait Retry-After seconds.")})
def login(body: s.LoginBody):
    """Planner sign-in; sets the session cookie.

    `{"user": ..., "password": ...}` against the accounts made with `yizhan user add`. After
    five failures for one account from one address (twenty from one address for any accounts)
    each next attempt must wait 1, 2, 4 … seconds (429 with Retry-After); other addresses are
    not held up.
    """
    try:
        signed = accounts().sign_in(body.user, body.password, client=request.remote_addr or "")
    except ThrottledError as exc:
        response = error_response(str(exc), 429)
        return retry_after(response, exc.retry_after_s)
    except AccountDisabledError as exc:
        return error_response(str(exc), 403)
    except SignInError as exc:
        return error_response(str(exc), 401, "password")
    session.clear()
    session[TOKEN] = signed.token
    session.permanent = True
    g.user = signed.user
    return jsonify(_state(signed.user))


class LogoutBody(s.Body):
    """Nothing to say: an empty JSON object, ``{}``."""


@bp.post("/logout")
@operation(body=LogoutBody, answers={200: (s.Session, "Signed out.")})
def logout(body: LogoutBody):
    """Sign out: the session ends on the server, so its cookie is worthless from now on.

    The body is `{}` as JSON (`Content-Type: application/json`), as for every write: a form
    another page sends (cross-site or same-site) is a 400 naming `body` and signs nobody out.
    """
    accounts().sign_out(session.get(TOKEN))
    session.clear()
    g.user = None
    return jsonify(_state(None))


@bp.get("/users")
@admin_required
@operation(answers={200: (s.Users, "The accounts, by name.")})
def list_users():
    """The planner accounts (administrators only); never their passwords."""
    return jsonify({"users": [u.as_dict() for u in accounts().users()]})
