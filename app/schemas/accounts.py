"""Requests and answers of account management (``/api/accounts``, ``/api/account-log``,
``/api/password``) and of the worker counts and districts uploads (``/api/inputs``).

Account names, display names and passwords keep the limits of :mod:`app.accounts`; an upload's
size limit is :data:`app.inputs.MAX_UPLOAD_BYTES`, read here and by the check itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from app.accounts import LOG_ACTIONS, MAX_NAME, MAX_PASSWORD
from app.inputs import INPUT_KINDS, MAX_FILENAME, MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES
from app.orgs import MAX_NAME as MAX_ORG_NAME
from app.schemas.fields import Encodable, Plain, RoleId
from app.schemas.requests import Body, RegionName
from app.schemas.responses import Answer, Error

#: Longest display name, characters.
MAX_DISPLAY_NAME = 200

AccountName = Annotated[str, Plain, Field(min_length=1, max_length=MAX_NAME, strict=True,
                                          description="The user name to sign in with: letters, "
                                                      "digits, '.', '_' or '-', no spaces.")]
DisplayName = Annotated[str, Plain, Field(max_length=MAX_DISPLAY_NAME, strict=True,
                                          description="The name the pages show (e.g. 李明).")]
Password = Annotated[str, Encodable, Field(min_length=1, max_length=MAX_PASSWORD, strict=True)]
InputKind = Literal[tuple(INPUT_KINDS)]  # type: ignore[valid-type]
OrgName = Annotated[Annotated[str, Plain, Field(min_length=1, max_length=MAX_ORG_NAME,
                                                strict=True)] | None, Field(description=(
    "The organisation the account belongs to, by name (e.g. 道里区总工会): the "
    "administrator's own or one below it (GET /api/orgs lists them; another is a 403 naming "
    "it). null: none, the whole deployment (administrators without an organisation only). "
    "Left out when adding: the administrator's own organisation; when changing: as it is."))]


class AccountCreate(Body):
    """A new account; its one-time password is made by the server and shown once."""

    name: AccountName
    display_name: DisplayName = ""
    role: RoleId = "planner"
    org: OrgName = None


class AccountPatch(Body):
    """What changes about an account; fields left out stay as they are."""

    rules = ("an administrator changing their own role or disabling their own account (ask "
             "another administrator)", "the last administrator who can sign in losing the "
             "role or being disabled (409)", "an administrator moving their own account to "
             "another `org` (ask another administrator)")

    role: RoleId | None = None
    disabled: bool | None = Field(None, strict=True, description=(
        "true disables the account (its sessions end at once); false enables it again."))
    display_name: DisplayName | None = None
    org: OrgName = None


class PasswordChange(Body):
    """A signed-in person changes their own password."""

    rules = ("a wrong `current_password` (counted as a failed sign-in)",
             "a `new_password` shorter than the minimum or equal to the current one")

    current_password: Password
    new_password: Password


class Account(Answer):
    name: str
    display_name: str
    role: RoleId
    disabled: bool
    created_at: datetime
    must_change: bool = Field(description="The password was given by an administrator and is "
                                          "to be changed at the next sign-in.")
    org: str | None = Field(None, description="The organisation it belongs to; null: none (the "
                                              "whole deployment).")


class Accounts(Answer):
    accounts: list[Account]


class OneTimePassword(Answer):
    """An account and its one-time password: shown once here, kept only as a hash."""

    account: Account
    one_time_password: str = Field(description="Hand it to the person; they must change it "
                                               "at their first sign-in.")


class LogEntry(Answer):
    at: datetime
    actor: str = Field(description="Who: a user name, or `cli:` and the system user.")
    action: Literal[LOG_ACTIONS]  # type: ignore[valid-type]
    target: str = Field(description="The account acted on.")
    detail: dict[str, str] = Field(description="E.g. the roles before and after.")


class AccountLog(Answer):
    entries: list[LogEntry] = Field(description="Newest first.")


class PasswordChanged(Answer):
    ended_sessions: int = Field(ge=0, description="Other sessions of the account that ended.")


class InputUpload(Body):
    """A file of worker counts or districts, base64-encoded in JSON."""

    filename: Annotated[str, Plain] = Field(
        min_length=1, max_length=MAX_FILENAME, strict=True,
        description="The file's name; its ending says the format: "
                    + ", ".join(UPLOAD_SUFFIXES) + ".")
    content: str = Field(max_length=(MAX_UPLOAD_BYTES + 2) // 3 * 4, strict=True,
                         description=f"The file, base64; at most {MAX_UPLOAD_BYTES} bytes "
                                     "(413 beyond).")
    region: RegionName = None  # a deployment's region the file is for (each uses its own)


class RestoreBody(Body):
    """An empty JSON object, ``{}``; on a server of several regions, the region."""

    region: RegionName = None


class InputEntry(Answer):
    id: int
    kind: InputKind
    filename: str
    size: int = Field(ge=0, description="Bytes.")
    sha256: str
    summary: dict[str, float | int | str] = Field(
        description="Demand: `rows` (points after spreading polygons), `workers`; districts: "
                    "`districts`.")
    uploaded_by: str
    uploaded_at: datetime
    used_by: str = Field(description="Who made it the one in use (the uploader, or who "
                                     "restored it).")
    used_since: datetime
    current: bool


class FileProblem(Answer):
    file: str
    row: int | None = Field(description="The row as a spreadsheet shows it (features from 1).")
    column: str | None
    message: str
    text: str = Field(description="Where and what, in the client's language.")


class FileProblems(Error):
    """A bad field, or a file with problems: every one (at most 50), nothing kept."""

    problems: list[FileProblem] | None = None


class InputList(Answer):
    kind: InputKind
    current: InputEntry | None = Field(description="The upload in use; none: the server's file "
                                                   "(or nothing).")
    fallback: str | None = Field(description="The server's file used without an upload.")
    uploads: list[InputEntry] = Field(description="Newest first.")


class Inputs(Answer):
    demand: InputList
    districts: InputList
    max_bytes: int = Field(description="The largest file taken, bytes.")
    region: str | None = Field(None, description="The region of a deployment these uploads are "
                                                 "for (each region uses its own); null on a "
                                                 "server of one region.")
