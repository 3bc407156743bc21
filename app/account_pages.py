"""Accounts in the browser: the page ``/accounts`` and its API.

Administrators add a planner (the server makes a one-time password, shown once in the answer
and kept only as a hash; it must be changed at the first sign-in) in their organisation or one
below it, disable and enable accounts, reset a password (a new one-time password), change roles
and move an account to another organisation of theirs; every signed-in person changes
their own password (``POST /api/password``); the account log says who did what to which
account, and when. Whether someone may do a thing, and to whose account, is decided by
:func:`app.auth.may` only: the views here ask it and never look at roles themselves.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, session

from app import auth
from app.accounts import ROLES, User
from app.errors import ThrottledError
from app.handlers import error_response, retry_after, yizhan_error
from app.lang import catalogue, say_message, say_problem
from app.openapi import operation
from app.orgs import Org
from app.pages import page_config, pick_lang
from app.schemas import accounts as a
from geo.errors import (
    DataFileError,
    InputError,
    Message,
    NotFoundError,
    YizhanError,
    message_of,
)

bp = Blueprint("account_pages", __name__)

NAME = {"name": {"type": "string", "minLength": 1, "maxLength": a.MAX_NAME}}


def localized(exc: YizhanError):
    """An error of the hierarchy answered as the app answers it, its message in the client's
    language (``?lang=`` or ``Accept-Language``); a bad file's problems each with ``text``, the
    file, row and column in words."""
    response = yizhan_error(exc)
    lang = pick_lang()
    body = response.get_json()
    body["error"] = say_message(message_of(exc), lang)
    if isinstance(exc, DataFileError):
        body["error"] = say_message(exc.problems[0].message, lang) if len(exc.problems) == 1 \
            else catalogue(lang)["api"]["upload_problems"].format(n=len(exc.problems))
        body["parameter"] = "file"
        body["problems"] = [{**p.as_dict(), "message": str(p.message),
                             "text": say_problem(p, lang)} for p in exc.problems[:50]]
    answer = jsonify(body)
    answer.status_code = response.status_code
    return answer


bp.register_error_handler(YizhanError, localized)


# --- the page -------------------------------------------------------------------------------------

@bp.get("/accounts")
def accounts_page():
    """Accounts: one's own password for everyone signed in; for administrators the accounts,
    adding, disabling, resetting, roles and the account log."""
    lang = pick_lang()
    other = "en" if lang == "zh" else "zh"
    config = page_config(lang, "plan")  # the planner's strings: this page is part of it
    config["roles"] = {r: config["strings"][f"acc_role_{r}"] for r in ROLES}
    return render_template("accounts.html", lang=lang, t=config["strings"], other_lang=other,
                           switch_url=f"{request.path}?lang={other}", config=config)


# --- the API --------------------------------------------------------------------------------------

def _managed(name: str) -> User:
    """The account ``name`` if the signed-in user manages it (:func:`app.auth.may`), else 404
    (an account one does not manage is not shown to exist)."""
    try:
        target = auth.accounts().get(name)
    except NotFoundError:
        target = None
    if target is None or not auth.may(auth.current_user(), "accounts", target):
        raise NotFoundError(f"no account named {name!r} that you manage; GET /api/accounts "
                            "lists them")
    return target


def _shown(user: User, members: dict[int, int] | None = None) -> dict:
    """What account management shows of ``user``: :meth:`User.account_dict` and its
    organisation's name (``members``: user id -> organisation id, read once for a list)."""
    orgs = auth.orgs()
    if members is None:
        org = orgs.org_of(user.id)
    else:
        org_id = members.get(user.id)
        org = None if org_id is None else orgs.by_id(org_id)
    return {**user.account_dict(), "org": None if org is None else org.name}


#: The 403 of an organisation the administrator may not put an account in.
ORG_REFUSED = (None, "Not an administrator, a handed-over password not yet changed, or `org` "
                     "outside the administrator's organisation and those below it (the answer "
                     "names it in `org`).")


def _org_refused(name: str | None):
    """403: ``name`` (None: the whole deployment) lies outside the signed-in administrator's
    organisation and those below it, said in the client's language."""
    mine = auth.org_of(auth.current_user())
    assert mine is not None  # an administrator without an organisation holds everything
    if name is None:
        message = Message(f"an account without an organisation serves the whole deployment; "
                          f"this account puts accounts only in {mine.name} and the "
                          "organisations below it", "org_whole_refused", mine=mine.name)
    else:
        message = Message(f"{name} is not {mine.name} or an organisation below it: this account "
                          f"puts accounts only in {mine.name} and the organisations below it "
                          "(GET /api/orgs lists them)", "org_not_within", org=name,
                          mine=mine.name)
    return error_response(say_message(message, pick_lang()), 403, "org", org=name)


def _chosen_org(name: str | None) -> tuple[Org | None, object]:
    """The organisation a body's ``org`` names (None: none), and the 403 answer when the
    signed-in administrator may not put an account there (:func:`app.auth.may`), else None.
    An unknown name is a 400 naming ``org`` for an administrator without an organisation, and
    the same 403 as one outside for one with, so that names outside it are not probed."""
    user = auth.current_user()
    org = None
    if name is not None:
        try:
            org = auth.orgs().get(name)
        except (NotFoundError, InputError):
            if auth.org_of(user) is not None:
                return None, _org_refused(name.strip() or name)
            raise InputError(Message(f"`org` {name!r} names no organisation; GET /api/orgs "
                                     "lists them", "org_unknown", name=name),
                             parameter="org") from None
    if not auth.may(user, "accounts", org=org):
        return org, _org_refused(None if org is None else org.name)
    return org, None


@bp.get("/api/accounts")
@auth.requires("accounts")
@operation(answers={200: (a.Accounts, "The accounts this administrator manages, by name.")})
def list_accounts():
    """The accounts an administrator manages, with roles, organisation, state and whether a
    handed-over password is still to be changed; never passwords or hashes."""
    user = auth.current_user()
    members = auth.orgs().members()
    shown = [_shown(u, members) for u in auth.accounts().users()
             if auth.may(user, "accounts", u)]
    return jsonify({"accounts": shown})


@bp.post("/api/accounts")
@auth.requires("accounts")
@operation(body=a.AccountCreate, answers={
    201: (a.OneTimePassword, "Made; the one-time password is shown here once."),
    403: ORG_REFUSED, 409: (None, "There is already an account of that name.")})
def create_account(body: a.AccountCreate):
    """Add an account with a one-time password, to be changed at its first sign-in, in the
    administrator's organisation or, with `org`, one below it.

    The answer is the only place the password ever appears: the server keeps its argon2id hash.
    """
    if "org" in body.model_fields_set:
        org, refused = _chosen_org(body.org)
        if refused is not None:
            return refused
    else:
        org = auth.org_of(auth.current_user())  # the administrator's own
    accounts = auth.accounts()
    try:
        accounts.get(body.name.strip())
    except (NotFoundError, InputError):
        pass
    else:
        return error_response(say_message(message_of(_taken(body.name.strip())), pick_lang()),
                              409, "name")
    user, password = accounts.create(body.name, role=body.role, display_name=body.display_name,
                                     by=auth.actor(), org=org)
    answer = jsonify({"account": _shown(user), "one_time_password": password})
    answer.status_code = 201
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _taken(name: str) -> InputError:
    from app.accounts import taken

    return taken(name)


def _not_yourself(target: User, field: str) -> None:
    if target.name == auth.actor():
        raise InputError(f"you cannot change your own {field} here; ask another administrator",
                         parameter=field)


@bp.patch("/api/accounts/<name>")
@auth.requires("accounts")
@operation(body=a.AccountPatch, path=NAME, answers={
    200: (a.Account, "Changed."), 403: ORG_REFUSED,
    409: (None, "The last administrator who can sign in would lose the role or be disabled.")})
def change_account(name: str, body: a.AccountPatch):
    """Change an account's role, disable or enable it (its sessions end at once), change its
    display name, or move it to another organisation (`org`: the administrator's own or one
    below it). Each change goes in the account log."""
    target = _managed(name)
    accounts, by = auth.accounts(), auth.actor()
    moving = "org" in body.model_fields_set
    if moving:
        org, refused = _chosen_org(body.org)
        if refused is not None:
            return refused
        current = auth.org_of(target)
        moving = (None if org is None else org.id) != (None if current is None else current.id)
        if moving:
            _not_yourself(target, "org")
    if body.role is not None and body.role != target.role:
        _not_yourself(target, "role")
    if body.disabled is not None and body.disabled != target.disabled:
        _not_yourself(target, "disabled")
    if body.display_name is not None and body.display_name.strip() != target.display_name:
        accounts.set_display_name(target.name, body.display_name, by=by)
    if body.role is not None and body.role != target.role:
        accounts.set_role(target.name, body.role, by=by)
    if body.disabled is not None and body.disabled != target.disabled:
        accounts.set_disabled(target.name, body.disabled, by=by)
    if moving:
        accounts.set_org(target.name, org, by=by)
    return jsonify(_shown(accounts.get(target.name)))


@bp.post("/api/accounts/<name>/reset")
@auth.requires("accounts")
@operation(body=a.RestoreBody, path=NAME, answers={
    200: (a.OneTimePassword, "A new one-time password, shown here once; the account's "
                             "sessions ended.")})
def reset_password(name: str, body: a.RestoreBody):
    """Give an account a new one-time password (to be changed at its next sign-in); every
    session of it ends. Your own password you change with POST /api/password."""
    target = _managed(name)
    _not_yourself(target, "password")
    password = auth.accounts().reset(target.name, by=auth.actor())
    answer = jsonify({"account": _shown(auth.accounts().get(target.name)),
                      "one_time_password": password})
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.get("/api/account-log")
@auth.requires("accounts")
@operation(answers={200: (a.AccountLog, "The last 200 entries, newest first.")})
def account_log():
    """Who did what to which of the accounts you manage, and when (from the web app and the
    command line)."""
    user = auth.current_user()
    names = {u.name for u in auth.accounts().users() if auth.may(user, "accounts", u)}
    entries = auth.accounts().log(targets=names)
    return jsonify({"entries": [{**e.as_dict(), "detail": {k: str(v) for k, v in
                                                           e.detail.items()}}
                                for e in entries]})


@bp.post("/api/password")
@auth.signed_in_required
@operation(body=a.PasswordChange, answers={
    200: (a.PasswordChanged, "Changed; this session goes on, the others ended."),
    429: (None, "Too many wrong passwords: wait Retry-After seconds.")})
def change_password(body: a.PasswordChange):
    """Change your own password (also the one-time password an administrator gave you)."""
    try:
        ended = auth.accounts().change_own_password(
            auth.current_user(), body.current_password, body.new_password,
            client=request.remote_addr or "", keep_token=session.get(auth.TOKEN))
    except ThrottledError as exc:
        return retry_after(error_response(str(exc), 429), exc.retry_after_s)
    return jsonify({"ended_sessions": ended})
