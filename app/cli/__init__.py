"""The ``yizhan`` command line.

Exit codes: 0 on success, 1 on bad data (the message on stderr names file, row and column), 2 on bad
usage (an unknown option or a bad parameter value).

``yizhan --lang zh …`` (or ``YIZHAN_LANG=zh``) says the errors and the import report in Chinese
(文件, 第 N 行, 列); English is the default. The strings are in the ``cli`` and ``errors`` sections
of ``app/i18n/<lang>.json``, rendered by :mod:`app.lang`.

One module per group of commands (:data:`COMMANDS`), each importing what it needs at its top;
:func:`main` imports a module only when one of its commands runs (or shows its own help), so
``yizhan --help`` loads no table, network, database or web code.
"""

from __future__ import annotations

import importlib

import click

from app.lang import LANGS, say, say_error
from geo.errors import InputError, YizhanError

#: Every command: its module in this package, the name of the command there, and the first line
#: of its help as ``yizhan --help`` lists it without importing the module (a test holds the two
#: equal).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "batch": ("batch", "batch_cmd",
              "Coverage and siting for many regions at once, one Dask task per region."),
    "coverage": ("analysis", "coverage_cmd", "Which workers no station serves: coverage by group, "
                 "district and hour; gap areas."),
    "db": ("db", "db_group",
           "The registry database: its schema revision, upgrades, backups (数据库升级与备份)."),
    "demo": ("serve", "demo_cmd", "Build the demo region (central Chengdu, real OpenStreetMap "
             "data, 2018) and serve it."),
    "export": ("stations", "export_cmd",
               "Export the registry's stations to FILE: .csv, .xlsx, .geojson or .gpkg."),
    "import": ("stations", "import_cmd", "Import a station list (CSV/GBK CSV, XLSX, GeoJSON, "
               "GeoPackage) into the registry."),
    "nearest": ("nearest", "nearest_cmd", "The k nearest stations by network distance, with "
                "filters applied before k is counted."),
    "network": ("network", "network_group", "Road networks per travel mode (walk, ebike, drive)."),
    "org": ("org", "org_group",
            "Organisations (工会组织) and their areas: province, city, district, street."),
    "plan": ("analysis", "plan_cmd", "Where the next stations should go, with the existing ones "
             "kept."),
    "poster": ("poster", "poster_cmd", "A4 posters of stations (PDF, Chinese) with a QR code "
               "that opens their card."),
    "report": ("report", "report_cmd",
               "The province's figures (统计报表) per organisation, as a Chinese XLSX."),
    "serve": ("serve", "serve_cmd", "Serve the worker finder (/), the planner view (/plan) and "
              "the JSON API (/api)."),
    "user": ("users", "user_group",
             "Planner accounts (规划人员账号) for the planner view's sign-in."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported from their module when first asked for
    (click's lazy-loading pattern); its help lists them from :data:`COMMANDS` alone."""

    def __init__(self, *args, lazy_commands: dict[str, tuple[str, str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, name, _ = self.lazy_commands[cmd_name]
            command = getattr(importlib.import_module(f"{__name__}.{module}"), name)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their first help lines, as click writes them, without importing
        the modules not loaded yet."""
        commands = {name: self.commands.get(name) or click.Command(
            name, help=self.lazy_commands[name][2]) for name in self.list_commands(ctx)}
        commands = {name: c for name, c in commands.items() if not c.hidden}
        if not commands:
            return
        limit = formatter.width - 6 - max(map(len, commands))
        with formatter.section("Commands"):
            formatter.write_dl([(name, c.get_short_help_str(limit))
                                for name, c in commands.items()])


class SaidUsageError(click.UsageError):
    """A usage error told in a language other than English (click's own words are English)."""

    def __init__(self, error: click.UsageError, language: str):
        super().__init__(_usage_message(error, language), ctx=error.ctx)
        self.language = language

    def show(self, file=None) -> None:
        if self.ctx is not None:
            line = self.ctx.get_usage().replace("Usage: ", say(self.language, "usage"), 1)
            click.echo(line + "\n" + say(
                self.language, "usage_hint", command=self.ctx.command_path), file=file, err=True)
        click.echo(say(self.language, "usage_error", message=self.format_message()), file=file,
                   err=True)


def _usage_message(error: click.UsageError, language: str) -> str:
    if isinstance(error, click.NoSuchOption):
        return say(language, "no_such_option", name=error.option_name)
    hint = (error.param.get_error_hint(error.ctx) if getattr(error, "param", None) is not None
            else getattr(error, "param_hint", None))
    if isinstance(error, click.MissingParameter):
        return say(language, "missing_parameter", name=hint or "")
    if isinstance(error, click.BadParameter) and hint:
        return say(language, "bad_parameter", name=hint, message=error.message)
    return error.message


class YizhanGroup(LazyGroup):
    """Turns yizhan's errors into clear messages and exit codes instead of tracebacks, in the
    language of ``--lang``."""

    def invoke(self, ctx):
        language = ctx.params.get("lang") or "en"
        try:
            return super().invoke(ctx)
        except YizhanError as exc:
            click.echo(say_error(exc, language), err=True)
            ctx.exit(2 if isinstance(exc, InputError) else 1)
        except click.UsageError as exc:
            if language == "en" or isinstance(exc, SaidUsageError):
                raise
            raise SaidUsageError(exc, language) from None


@click.group(cls=YizhanGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yizhan")
@click.option("--lang", type=click.Choice(LANGS), envvar="YIZHAN_LANG", default="en",
              show_default=True, help="Language of the messages: en, or zh (中文).")
def main(lang):
    """yizhan (驿站): rest stations for outdoor workers — find, map and plan them.

    司机之家 · 环卫工人爱心驿站 · 户外劳动者服务站点
    """
