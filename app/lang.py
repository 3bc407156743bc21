"""Saying things in the reader's language: the string catalogues and the error messages.

The catalogues are ``app/i18n/<lang>.json`` (the same keys in every language). The pages take
their sections (see :data:`app.pages.PAGE_SECTIONS`); the command line takes ``cli`` for its own
lines and ``errors`` for the library's messages: a :class:`geo.errors.Message` names its key and
parameters, and :func:`say_message` fills the template of that key in. A message without a key,
or in English, reads as the library wrote it. This module is the one place a message is
translated; it imports no Flask, so the command line stays quick to start.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from geo.errors import (
    DataFileError,
    DownloadError,
    InputError,
    Message,
    NetworkError,
    NotFoundError,
    OffNetworkError,
    Problem,
    message_of,
)

LANGS = ("zh", "en")
I18N_DIR = Path(__file__).with_name("i18n")


@cache
def catalogue(lang: str) -> dict[str, dict[str, str]]:
    """The string catalogue of one language, by section, read once from ``app/i18n/<lang>.json``."""
    if lang not in LANGS:
        raise ValueError(f"`lang` was {lang!r} but must be one of {list(LANGS)}")
    return json.loads((I18N_DIR / f"{lang}.json").read_text("utf-8"))


def say(lang: str, key: str, **params) -> str:
    """The command line's string ``key`` in ``lang``, with ``params`` filled in."""
    return catalogue(lang)["cli"][key].format(**params)


def say_message(message: str, lang: str) -> str:
    """A library message in ``lang``: its catalogue template when it is a keyed
    :class:`~geo.errors.Message` and ``lang`` is not English, else the message itself."""
    if lang == "en" or not isinstance(message, Message):
        return str(message)
    template = catalogue(lang)["errors"].get(message.key)
    return template.format(**message.params) if template else str(message)


def say_problem(problem: Problem, lang: str) -> str:
    """Where (file, row as Excel shows it, column) and what, in ``lang``."""
    if lang == "en":
        return str(problem)
    where = [say(lang, "where_file", file=problem.file)]
    if problem.row is not None:
        where.append(say(lang, "where_row", row=problem.row))
    if problem.column:
        where.append(say(lang, "where_column", column=problem.column))
    return say(lang, "where_sep").join(where) + say(lang, "where_then") + say_message(
        problem.message, lang)


#: The word an error of each kind starts with (most specific first).
_KINDS = ((OffNetworkError, "off_network"), (DownloadError, "download"),
          (NetworkError, "network"), (NotFoundError, "not_found"), (InputError, "input"))


def say_error(exc: Exception, lang: str) -> str:
    """One of yizhan's errors as the command line prints it (``Error: …``), in ``lang``.

    Every problem of a :class:`~geo.errors.DataFileError` is listed with its file, row and
    column; an :class:`~geo.errors.InputError` names its parameter.
    """
    if isinstance(exc, DataFileError):
        lines = [say_problem(p, lang) for p in exc.problems[:50]]
        if len(exc.problems) > 50:
            lines.append(say(lang, "more_problems", n=len(exc.problems) - 50))
        return say(lang, "error_file", n=len(exc.problems)) + "\n" + "\n".join(lines)
    kind = next((k for cls, k in _KINDS if isinstance(exc, cls)), "other")
    parameter = getattr(exc, "parameter", None)
    head = (say(lang, "error_parameter", parameter=parameter) if parameter
            else say(lang, "error_" + kind))
    return head + say_message(message_of(exc), lang)
