"""What the commands share (app.cli._common): station kinds by id or Chinese name, and options
renamed with their former name kept as a hidden, noted alias."""

import click
import pytest

from app.cli import main
from app.cli._common import renamed_option

# --- kinds ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["export", "x.csv"],
    ["nearest", "--network", "none.npz", "--lat", "30.6", "--lon", "104.0"],
    ["plan", "--network", "none.npz", "--demand", "none.csv", "--add", "1"],
])
def test_unknown_kind_is_a_usage_error_naming_ids_and_chinese(runner, db_url, tmp_path, command):
    result = runner.invoke(main, [*command, "--db", db_url, "--kind", "加油站"])
    assert result.exit_code == 2
    assert "'加油站'" in result.stderr and "--kind" in result.stderr
    for kind, zh in [("driver_home", "司机之家"), ("sanitation_station", "环卫工人爱心驿站"),
                     ("outdoor_rest_point", "户外劳动者服务站点")]:
        assert f"{kind} ({zh})" in result.stderr


def test_chinese_kind_passes_nearest_and_plan_usage(runner, db_url, tmp_path):
    """A Chinese kind is parsed; the commands then fail on the missing network (exit 1)."""
    for command in (["nearest", "--lat", "30.6", "--lon", "104.0", "--kind", "环卫驿站"],
                    ["plan", "--demand", "none.csv", "--add", "1", "--kind", "户外劳动者驿站"]):
        result = runner.invoke(main, [*command, "--network", str(tmp_path / "none.npz"),
                                      "--db", db_url])
        assert result.exit_code == 1, result.output
        assert "--kind" not in result.stderr


# --- renamed options ------------------------------------------------------------------------------

@click.command()
@renamed_option("--new-name", "value", old="--old-name", metavar="X", help="The value.")
def echo_value(value):
    click.echo(f"value={value}")


@pytest.mark.parametrize("args, value, noted", [
    ([], None, False),
    (["--new-name", "a"], "a", False),
    (["--old-name", "b"], "b", True),
    (["--old-name", "b", "--new-name", "a"], "a", True),
    (["--new-name", "a", "--old-name", "b"], "a", True),
])
def test_a_renamed_option_takes_its_former_name_with_a_note(runner, args, value, noted):
    result = runner.invoke(echo_value, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"value={value}\n"
    assert ("Note: --old-name is deprecated; use --new-name." in result.stderr) is noted


def test_the_former_name_is_hidden(runner):
    shown = runner.invoke(echo_value, ["--help"]).stdout
    assert "--new-name X  The value." in shown and "--old-name" not in shown
