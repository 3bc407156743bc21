"""`yizhan user …`: accounts from the command line, passwords never from its arguments."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app.accounts import Accounts
from app.cli import main
from app.errors import SignInError
from geo.registry import Registry

PASSWORD = "a long passphrase"


@pytest.fixture
def accounts(db_url):
    accounts = Accounts(Registry(db_url))
    yield accounts
    accounts.engine.dispose()


@pytest.fixture(autouse=True)
def no_password_in_the_environment(monkeypatch):
    monkeypatch.delenv("YIZHAN_PASSWORD", raising=False)


def invoke(runner, *args, **kwargs):
    return runner.invoke(main, ["user", *args], catch_exceptions=False, **kwargs)


def test_add_with_a_hidden_prompt_asked_twice(runner, db_url, accounts):
    result = invoke(runner, "add", "li.ming", "--display-name", "李明", "--db", db_url,
                    input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Added planner li.ming (李明)" in result.output
    assert PASSWORD not in result.output  # the prompt does not echo
    assert accounts.sign_in("li.ming", PASSWORD, client="t").user.display_name == "李明"
    with accounts.engine.connect() as conn:
        assert PASSWORD not in str(conn.execute(text("SELECT * FROM users")).all())


def test_a_prompt_that_does_not_match_asks_again(runner, db_url, accounts):
    result = invoke(runner, "add", "li.ming", "--db", db_url,
                    input=f"{PASSWORD}\nanother one!\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "do not match" in result.output
    assert accounts.sign_in("li.ming", PASSWORD, client="t")


def test_add_from_a_password_file_and_from_the_environment(runner, db_url, accounts, tmp_path,
                                                           monkeypatch):
    secret = tmp_path / "pw.txt"
    secret.write_text(PASSWORD + "\nignored second line\n", encoding="utf-8")
    result = invoke(runner, "add", "wang", "--role", "admin", "--password-file", str(secret),
                    "--db", db_url)
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("YIZHAN_PASSWORD", "from the environment")
    assert invoke(runner, "add", "zhao", "--db", db_url).exit_code == 0
    assert accounts.sign_in("wang", PASSWORD, client="t").user.role == "admin"
    assert accounts.sign_in("zhao", "from the environment", client="t").user.role == "planner"


@pytest.mark.parametrize("args", [
    ["add", "li.ming", "--password", PASSWORD],
    ["add", "li.ming", "-p", PASSWORD],
    ["add", "li.ming", PASSWORD],
    ["passwd", "li.ming", PASSWORD],
    ["add", f"--password={PASSWORD}", "li.ming"],
])
def test_a_password_is_never_taken_from_the_arguments(runner, db_url, accounts, args):
    result = runner.invoke(main, ["user", *args, "--db", db_url], input="")
    assert result.exit_code == 2, result.output
    assert "No such option" in result.output or "unexpected extra argument" in result.output
    assert accounts.users() == []


def test_a_short_password_is_refused_naming_where_it_came_from(runner, db_url, tmp_path,
                                                               accounts):
    secret = tmp_path / "pw.txt"
    secret.write_text("short\n", encoding="utf-8")
    result = runner.invoke(main, ["user", "add", "li.ming", "--password-file", str(secret),
                                  "--db", db_url])
    assert result.exit_code == 2
    assert "needs at least 10" in result.output and "pw.txt" in result.output
    assert accounts.users() == []


def test_a_taken_name_is_refused_before_asking_for_a_password(runner, db_url, accounts):
    accounts.add("li.ming", PASSWORD)
    result = runner.invoke(main, ["user", "add", "li.ming", "--db", db_url], input="")
    assert result.exit_code == 2 and "already a user named 'li.ming'" in result.output
    assert "Password" not in result.output


def test_passwd_and_disable_end_the_sessions(runner, db_url, accounts):
    accounts.add("li.ming", PASSWORD)
    token = accounts.sign_in("li.ming", PASSWORD, client="t").token
    result = invoke(runner, "passwd", "li.ming", "--db", db_url,
                    input="a new passphrase\na new passphrase\n")
    assert result.exit_code == 0 and "1 session(s) ended" in result.output
    assert accounts.session_user(token) is None
    with pytest.raises(SignInError):
        accounts.sign_in("li.ming", PASSWORD, client="t")
    token = accounts.sign_in("li.ming", "a new passphrase", client="t").token
    result = invoke(runner, "disable", "li.ming", "--db", db_url)
    assert result.exit_code == 0 and "Disabled li.ming; 1 session(s) ended" in result.output
    assert accounts.session_user(token) is None and accounts.get("li.ming").disabled
    assert invoke(runner, "disable", "li.ming", "--enable", "--db", db_url).exit_code == 0
    assert not accounts.get("li.ming").disabled


def test_list(runner, db_url, accounts):
    assert "No accounts yet" in invoke(runner, "list", "--db", db_url).output
    accounts.add("wang", PASSWORD, role="admin", display_name="王芳")
    accounts.add("li.ming", PASSWORD)
    accounts.set_disabled("li.ming")
    lines = invoke(runner, "list", "--db", db_url).output.splitlines()
    assert lines[0].split()[:2] == ["li.ming", "planner"] and "disabled" in lines[0]
    assert lines[1].split() == ["wang", "admin", "王芳"]
    listed = json.loads(invoke(runner, "list", "--json", "--db", db_url).output)
    assert [(u["name"], u["disabled"]) for u in listed] == [("li.ming", True), ("wang", False)]


def test_unknown_users_are_named(runner, db_url, accounts):
    result = runner.invoke(main, ["user", "disable", "nobody", "--db", db_url])
    assert result.exit_code == 1 and "no user named 'nobody'" in result.output


def test_in_chinese(runner, db_url, accounts, tmp_path):
    secret = tmp_path / "pw.txt"
    secret.write_text("short\n", encoding="utf-8")
    result = runner.invoke(main, ["--lang", "zh", "user", "add", "li.ming", "--password-file",
                                  str(secret), "--db", db_url])
    assert result.exit_code == 2
    assert f"密码只有 5 个字符，至少需要 10 个（来自文件 {secret} 的第一行）" in result.output
    result = runner.invoke(main, ["--lang", "zh", "user", "add", "li.ming", "--display-name",
                                  "李明", "--db", db_url], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "密码" in result.output and "已添加规划人员 li.ming (李明)。" in result.output
    result = runner.invoke(main, ["--lang", "zh", "user", "disable", "zhao", "--db", db_url])
    assert result.exit_code == 1 and "没有名为 'zhao' 的用户" in result.output
