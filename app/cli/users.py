"""``yizhan user …``: the planner accounts that sign in to the planner view."""

from __future__ import annotations

import os
from pathlib import Path

import click

from app.accounts import (
    ROLES,
    Accounts,
    check_display_name,
    check_name,
    check_password,
    taken,
)
from app.cli._common import cli_lang, db_option, echo_json
from app.lang import say, say_message
from geo.errors import InputError, Message, message_of
from geo.registry import Registry
from geo.text import shown

#: The environment variable a password may come from (never from the command line itself).
PASSWORD_ENV = "YIZHAN_PASSWORD"
ROLE_CHOICE = click.Choice(list(ROLES))
password_file_option = click.option(
    "--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Read the password from the first line of this file (else ${PASSWORD_ENV}, else a "
         "hidden prompt, asked twice).")


def read_password(password_file: Path | None) -> str:
    """The new password: from ``--password-file``, else $YIZHAN_PASSWORD, else a hidden
    prompt asked twice. Never an argument: the command line shows in `ps` and shell history."""
    language = cli_lang()
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8-sig").splitlines()
        except UnicodeDecodeError:
            raise InputError(Message(f"{password_file} is not UTF-8 text; save it as UTF-8",
                                     "password_file_encoding", file=password_file),
                             parameter="password") from None
        password = lines[0] if lines else ""
        where = ("password_from_file", {"file": password_file})
    elif os.environ.get(PASSWORD_ENV):
        password, where = os.environ[PASSWORD_ENV], ("password_from_env", {"name": PASSWORD_ENV})
    else:
        password = click.prompt(say(language, "password_prompt"), hide_input=True,
                                confirmation_prompt=say(language, "password_repeat"))
        where = ("password_from_prompt", {})
    try:
        return check_password(_encodable(password))
    except InputError as exc:
        english = f"{exc} (from {say('en', where[0], **where[1])})"
        problem, place = say_message(message_of(exc), language), say(language, where[0], **where[1])
        raise InputError(Message(english, "password_from", problem=problem, where=place),
                         parameter="password") from exc


def _encodable(password: str) -> str:
    """``password`` when UTF-8 can write it: bytes that are not UTF-8 (in $YIZHAN_PASSWORD or a
    terminal of another encoding) reach Python as lone surrogates."""
    bad = sorted({c for c in password if 0xD800 <= ord(c) <= 0xDFFF})
    if bad:
        chars = ", ".join(shown(c) for c in bad)
        raise InputError(Message(f"the password holds {chars}, bytes that are not UTF-8 text; "
                                 "type it in a UTF-8 terminal", "password_not_utf8", chars=chars),
                         parameter="password")
    return password


def open_accounts(db_url: str | None) -> Accounts:
    """The accounts kept in the registry database at ``db_url``."""
    return Accounts(Registry(db_url))


def role_label(role: str) -> str:
    """The role's name in the command line's language."""
    return ROLES[role][0 if cli_lang() == "zh" else 1]


@click.group("user")
def user_group():
    """Planner accounts (规划人员账号) for the planner view's sign-in.

    Passwords come from a hidden prompt, --password-file or $YIZHAN_PASSWORD, never from the
    command line.
    """


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, default="planner", show_default=True,
              help="viewer: reads reports, history and figures; planner: also edits stations "
                   "and runs analyses; admin: also manages accounts.")
@click.option("--display-name", default="", help="The name the planner view shows (e.g. 李明).")
@click.option("--org", default=None, help="The organisation it belongs to (yizhan org list); "
                                          "without one it serves the whole deployment.")
@password_file_option
@db_option
def user_add(name, role, display_name, org, password_file, db_url):
    """Add an account NAME that signs in to the planner view."""
    from app.orgs import Orgs

    accounts = open_accounts(db_url)
    name, display_name = check_name(name), check_display_name(display_name)
    if name in {u.name for u in accounts.users()}:  # before asking for a password
        raise taken(name)
    orgs = Orgs(accounts.registry)
    if org is not None:
        org = orgs.get(org)  # an unknown organisation before asking for a password
    user = accounts.add(name, read_password(password_file), role=role,
                        display_name=display_name, org=org)  # its organisation in the log too
    display = f" ({user.display_name})" if user.display_name else ""
    click.echo(say(cli_lang(), "user_added", role=role_label(user.role), name=user.name,
                   display=display))


@user_group.command("passwd")
@click.argument("name")
@password_file_option
@db_option
def user_passwd(name, password_file, db_url):
    """Set a new password for NAME; every session of NAME ends."""
    name = check_name(name)
    accounts = open_accounts(db_url)
    accounts.get(name)
    ended = accounts.set_password(name, read_password(password_file))
    click.echo(say(cli_lang(), "user_passwd", name=name, n=ended))


@user_group.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@db_option
def user_disable(name, enable, db_url):
    """Disable the account NAME (it can no longer sign in; its sessions end)."""
    name = check_name(name)
    ended = open_accounts(db_url).set_disabled(name, not enable)
    language = cli_lang()
    click.echo(say(language, "user_enabled", name=name) if enable
               else say(language, "user_disabled", name=name, n=ended))


@user_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def user_list(db_url, as_json):
    """The accounts: name, role, display name, disabled or not."""
    users = open_accounts(db_url).users()
    if as_json:
        echo_json([u.as_dict() for u in users])
        return
    language = cli_lang()
    if not users:
        click.echo(say(language, "users_none"))
    for u in users:
        state = "  " + say(language, "user_disabled_mark") if u.disabled else ""
        click.echo(f"{u.name:20} {u.role:8} {u.display_name}{state}")
