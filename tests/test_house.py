"""The house rules a reader relies on: rooms of a readable size, and a library free of the web.

import-linter (``lint-imports``, contracts in ``pyproject.toml``) checks the layers and the cycles
in CI; these tests check what it cannot: how long modules and functions are.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Longest module in ``geo/`` or ``app/``, lines.
MAX_MODULE_LINES = 700
#: Longest function or method, lines (signature, docstring and body).
MAX_FUNCTION_LINES = 100

MODULES = sorted(p for package in ("geo", "app") for p in (ROOT / package).rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_at_most_700_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines: split it along a seam"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_at_most_100_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [f"{node.name} (line {node.lineno}: {node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{_name(path)}: {', '.join(long)}"


def test_the_size_checks_can_fail(tmp_path):
    """A module of 701 lines and a function of 101 lines are caught by the same measures."""
    body = "\n".join(["def f():"] + ["    x = 1"] * 100)
    tree = ast.parse(body)
    function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    assert function.end_lineno - function.lineno + 1 > MAX_FUNCTION_LINES
    assert len(("\n" * MAX_MODULE_LINES + "x = 1").splitlines()) > MAX_MODULE_LINES


def _public_functions(tree: ast.Module):
    """Top-level public functions and the public methods of public classes."""
    for node in tree.body:
        if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and not node.name.startswith("_")):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if (isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        and not item.name.startswith("_")):
                    yield f"{node.name}.{item.name}", item


def _unannotated(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = function.args
    named = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if named and named[0].arg in ("self", "cls"):
        named = named[1:]
    missing = [a.arg for a in named if a.annotation is None]
    missing += [f"*{a.arg}" for a in (args.vararg, args.kwarg)
                if a is not None and a.annotation is None]
    if function.returns is None:
        missing.append("return")
    return missing


GEO_PUBLIC = [p for p in MODULES if p.parts[len(ROOT.parts)] == "geo"
              and not any(part.startswith("_") and part != "__init__.py"
                          for part in p.relative_to(ROOT).parts)]


@pytest.mark.parametrize("path", GEO_PUBLIC, ids=_name)
def test_geo_public_functions_are_typed(path):
    """The library's public functions state their types (mypy checks them in CI)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    untyped = [f"{name} ({', '.join(missing)})" for name, function in _public_functions(tree)
               if (missing := _unannotated(function))]
    assert not untyped, f"{_name(path)}: annotate {'; '.join(untyped)}"
