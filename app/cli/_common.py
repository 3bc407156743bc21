"""What the commands share: option types, options, the language of messages, JSON output.

Light on purpose: every command module imports it, so it loads no network, table or database
code (those are imported by the command modules that use them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from app.lang import say, say_message
from geo import coords
from geo.errors import InputError, message_of
from geo.stations import KINDS, parse_kind

CRS_CHOICE = click.Choice(list(coords.CRS_NAMES))


class KindType(click.ParamType):
    """A station kind by id or by the name a union office writes (司机之家, 环卫驿站 …)."""

    name = "kind"

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(KINDS) + "|中文名]"

    def convert(self, value, param, ctx):
        try:
            return parse_kind(value)
        except InputError as exc:
            self.fail(say_message(message_of(exc), cli_lang()), param, ctx)


KIND_CHOICE = KindType()


def cli_lang() -> str:
    """The language the command line speaks (``--lang``, else ``$YIZHAN_LANG``, else en)."""
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().params.get("lang") if ctx else None) or "en"


def usage(key: str, **params) -> click.UsageError:
    """A usage error saying the ``cli`` string ``key`` in the command line's language."""
    return click.UsageError(say(cli_lang(), key, **params))


def note_deprecated(old: str, new: str) -> None:
    """Say on stderr, in the command line's language, that ``old`` is now called ``new``."""
    click.echo(say(cli_lang(), "deprecated_name", old=old, new=new), err=True)


def echo_json(value) -> None:
    """Print JSON with Chinese left readable."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def renamed_option(new: str, dest: str, *, old: str, help: str, **attrs: Any
                   ) -> Callable[[Callable], Callable]:
    """The option ``new`` (passed to the command as ``dest``) that still answers to its former
    name ``old``.

    ``old`` is hidden from ``--help`` and says a one-line deprecation note on stderr when used;
    ``new`` wins when both are given. ``attrs`` (type, metavar …) apply to both.
    """
    key = f"deprecated {old}"

    def remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            note_deprecated(old, new)
            ctx.meta[key] = value

    def take(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        # a given option is processed before every option not given, so the alias is seen here
        return ctx.meta.get(key) if value is None else value

    def decorate(function: Callable) -> Callable:
        function = click.option(old, f"{dest}_deprecated", hidden=True, expose_value=False,
                                callback=remember, **attrs)(function)
        return click.option(new, dest, callback=take, help=help, **attrs)(function)

    return decorate


#: The commands that bring the database to this release's schema themselves.
_UPGRADING = ("serve", "demo")


def _current_db(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The ``--db`` of a command, refused (exit 2, "run `yizhan db upgrade`") when the database
    is behind this release's schema. ``serve`` upgrades it itself (after a backup) and the
    ``yizhan db`` commands take it as it is."""
    if ctx.info_name not in _UPGRADING and (ctx.parent is None or ctx.parent.info_name != "db"):
        # here, not at the top: the migration code loads the database layer, which `--help`
        # and the commands without a database do without; a current database needs no Alembic
        from app.schema_head import is_current

        if not is_current(value):
            from app.migrate import require_current

            require_current(value)
    return value


db_option = click.option(
    "--db", "db_url", metavar="URL", callback=_current_db,
    help="Database URL or SQLite file (default: $YIZHAN_DB, else yizhan.sqlite in the user data "
         "dir).")


def group_options(function: Callable) -> Callable:
    """``--group`` (worker groups chosen by id) and ``--groups-file`` (a TOML file defining
    them; formerly ``--groups``)."""
    function = renamed_option(
        "--groups-file", "groups_file", old="--groups", type=click.Path(path_type=Path),
        help="TOML file overriding the worker groups.")(function)
    return click.option("--group", "wanted", multiple=True,
                        help="Only these worker groups (repeat for several).")(function)
