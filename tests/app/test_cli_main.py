"""The `yizhan` group (app.cli): its commands loaded when asked for, so `yizhan --help` starts
quickly; and its language (`yizhan --lang zh`, or YIZHAN_LANG=zh): errors name the file, the row
as Excel shows it (第 N 行) and the column (列); English stays the default."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from app.cli import COMMANDS, main
from app.lang import catalogue, say_error, say_message
from geo.errors import DataFileError, Message, NotFoundError, Problem
from geo.io.stations import read_stations
from geo.registry import Registry
from tests.geo.io.test_stations import CHINESE_HEADERS, CHINESE_ROWS, write_xlsx


@pytest.fixture
def bad_xlsx(tmp_path):
    """The office's list with a bad longitude in Excel row 3 and swapped coordinates in row 4."""
    rows = [list(CHINESE_HEADERS), *[list(r) for r in CHINESE_ROWS]]
    rows[2][3] = "abc"
    rows[3][3], rows[3][4] = rows[3][4], rows[3][3]
    return write_xlsx(tmp_path / "驿站名单.xlsx", rows)


def test_a_bad_import_in_chinese_names_file_row_and_column(runner, db_url, bad_xlsx):
    result = runner.invoke(main, ["--lang", "zh", "import", str(bad_xlsx), "--crs", "gcj02",
                                  "--db", db_url])
    assert result.exit_code == 1
    assert f"文件 {bad_xlsx}，第 3 行，列“经度”：“abc”不是数字" in result.stderr
    assert (f"文件 {bad_xlsx}，第 4 行，列“经度”：经度 40.0555 和纬度 116.3101 好像填反了"
            in result.stderr)
    assert "未导入任何数据" in result.stderr and "Nothing was imported" not in result.stderr
    assert "共 3 行，1 行有效，2 行有问题" in result.output
    assert Registry(db_url).stations() == []


def test_the_language_comes_from_the_environment_too(runner, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("YIZHAN_LANG", "zh")
    result = runner.invoke(main, ["import", str(tmp_path / "无此文件.xlsx"), "--db", db_url])
    assert result.exit_code == 1
    assert f"错误：发现 1 个问题：\n文件 {tmp_path / '无此文件.xlsx'}：找不到文件" in result.stderr


def test_english_stays_the_default(runner, db_url, bad_xlsx):
    result = runner.invoke(main, ["import", str(bad_xlsx), "--crs", "gcj02", "--db", db_url])
    assert f"{bad_xlsx}, row 3, column '经度': 'abc' is not a number" in result.stderr
    assert not re.search("[第列错]", result.stderr.replace("经度", ""))


def test_usage_errors_in_chinese(runner, db_url):
    result = runner.invoke(main, ["--lang", "zh", "nearest", "--lat", "30.6", "--network", "x.npz"])
    assert result.exit_code == 2
    assert "用法错误：--lat 和 --lon 要一起给" in result.stderr
    assert result.stderr.startswith("用法：main nearest [OPTIONS]")
    assert "nearest --help”查看用法" in result.stderr
    unknown = runner.invoke(main, ["--lang", "zh", "import", "--bogus", "x.csv"])
    assert unknown.exit_code == 2 and "用法错误：没有这个选项：--bogus" in unknown.stderr
    kind = runner.invoke(main, ["--lang", "zh", "export", "x.csv", "--kind", "飞船", "--db",
                                db_url])
    assert kind.exit_code == 2 and "不认识的站点类型“飞船”" in kind.stderr
    assert runner.invoke(main, ["--lang", "fr", "import", "x.csv"]).exit_code == 2


def test_other_errors_say_what_they_are_in_chinese():
    assert say_error(NotFoundError("no station 'x'"), "zh") == "找不到：no station 'x'"
    assert say_error(NotFoundError("no station 'x'"), "en") == "Error: no station 'x'"
    many = DataFileError([Problem("a.csv", n, "经度", Message("the coordinate is empty",
                                                              "empty_coordinate"))
                          for n in range(2, 60)])
    text = say_error(many, "zh")
    assert text.startswith("错误：发现 58 个问题：\n文件 a.csv，第 2 行，列“经度”：坐标是空的\n")
    assert text.endswith("……还有 8 个问题")


def test_every_message_key_has_a_template_that_reads_like_the_english(bad_xlsx, tmp_path):
    """The en templates give the library's own English, and every key is in both catalogues."""
    rows = [list(CHINESE_HEADERS), *[list(r) for r in CHINESE_ROWS]]
    rows[1][2], rows[1][6], rows[1][7] = "飞船", "飞行、休息", "随便"
    rows.append(list(rows[3]))  # the same station twice
    rows.append(["W1", "新建工会驿站", "", "116.40", "39.90", "", "飞行、休息", "随便", "", "", "",
                 ""])  # a kept service word, kept hours, a kind read from the name
    more = read_stations(write_xlsx(tmp_path / "more.xlsx", rows), crs="gcj02")
    problems = read_stations(bad_xlsx, crs="gcj02").problems + more.problems
    keyed = [p.message for p in problems if isinstance(p.message, Message)] + [
        w.message for w in more.warnings]
    assert {m.key for m in keyed} >= {"not_a_number", "swapped", "unknown_kind",
                                      "services_kept", "hours_kept", "kind_inferred",
                                      "duplicate"}
    for message in keyed:
        assert catalogue("en")["errors"][message.key].format(**message.params) == message
        assert say_message(message, "zh") != message
    assert set(catalogue("zh")["errors"]) == set(catalogue("en")["errors"])
    assert set(catalogue("zh")["cli"]) == set(catalogue("en")["cli"])


# --- commands loaded when asked for ---------------------------------------------------------------

#: Libraries `yizhan --help` must not load (the tables, networks, compiler, database, web app).
HEAVY = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "scipy", "numba", "sqlalchemy",
         "flask", "osmnx", "pyrosm", "dask")


def run_alone(*args: str) -> tuple[str, set[str]]:
    """What `yizhan ARGS` prints in a fresh interpreter, and the modules it then holds."""
    code = ("import sys\nfrom app.cli import main\ntry:\n"
            "    main(sys.argv[1:], 'yizhan', terminal_width=80)\nexcept SystemExit:\n    pass\n"
            "print(*sorted(sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=True)
    return done.stdout, set(done.stderr.split("\n")[-2].split())


def test_help_loads_no_command_and_no_heavy_library():
    _, modules = run_alone("--help")
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
    assert not {m for m in modules if m.startswith(("app.cli.", "geo.network", "geo.io",
                                                    "geo.registry", "geo.workflow"))}


def test_a_command_loads_its_own_module_only():
    _, modules = run_alone("user", "list", "--help")
    assert {m for m in modules if m.startswith("app.cli.")} == {"app.cli._common",
                                                                  "app.cli.users"}


def test_one_point_answers_without_tables_compiler_or_analysis(demo):
    out, modules = run_alone("nearest", "--network", str(demo.network_path("walk")), "--db",
                             demo.db_url, "--lat", "60.1705", "--lon", "24.9440")
    assert out.startswith("1. ")
    assert not {"pandas", "numba", "geopandas", "flask", "geo.workflow"} & modules


def test_the_listed_summaries_are_the_commands_own(runner):
    """`yizhan --help` lists each command with the first line of its help without importing
    it; that line is the command's own, so the listing is the one click writes for the loaded
    commands."""
    lazy, _ = run_alone("--help")
    for name, (module, _, summary) in COMMANDS.items():
        command = main.get_command(click.Context(main), name)
        assert command.name == name and command.callback.__module__ == f"app.cli.{module}"
        assert command.get_short_help_str(1000) == summary
    assert set(main.commands) == set(COMMANDS) == set(main.list_commands(click.Context(main)))
    assert runner.invoke(main, ["--help"], prog_name="yizhan", terminal_width=80).stdout == lazy
    assert runner.invoke(main, ["nosuch"]).exit_code == 2


def test_python_m_app_cli_is_the_yizhan_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "app.cli", "--version"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "version" in done.stdout
