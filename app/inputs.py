"""The office's analysis inputs uploaded from the browser: worker counts (demand) and district
boundaries, kept in the registry database with who uploaded them and when.

Every upload is kept (``input_uploads``: the file itself, its name, size, SHA-256, a summary,
who uploaded it and when, who made it the one in use and since when). The one in use for a kind
is the one most recently made so (uploaded, or restored: :meth:`InputStore.restore`), so an
earlier upload is restorable and every server process finds the same one. Without any upload
the server's own file is used (``DEMAND``; districts: none).

A file is checked with the readers the command line uses (:func:`geo.demand.read_demand`,
:func:`geo.io.districts.read_districts`) before anything is written: every problem with the
file's name, row as a spreadsheet shows it and column; with a problem nothing is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from geo.errors import DataFileError, InputError, Message, NotFoundError, Problem

#: The kinds of input: worker counts (points or polygons with counts), district polygons.
INPUT_KINDS = ("demand", "districts")
#: The largest file taken, bytes (the request is refused 413 beyond, before it is read).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: The largest upload id (a 32-bit integer, as every database stores it).
MAX_ID = 2**31 - 1
#: Longest file name, characters.
MAX_FILENAME = 200
#: File endings each kind is read from.
UPLOAD_SUFFIXES = {"demand": (".csv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg"),
                   "districts": (".geojson", ".json", ".gpkg")}

metadata = MetaData()

uploads_table = Table(
    "input_uploads", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False, index=True),  # one of INPUT_KINDS
    Column("filename", Text, nullable=False),
    Column("size", Integer, nullable=False),  # bytes
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),  # the file as uploaded
    Column("summary", Text, nullable=False, default="{}"),  # JSON: rows, workers, districts
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("used_by", Text, nullable=False),  # who made it the one in use
    Column("used_since", DateTime(timezone=True), nullable=False, index=True),
    Column("region", String(64)),  # the deployment's region it is for (None: a one-region server)
)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Upload:
    """One upload (without its content)."""

    id: int
    kind: str
    filename: str
    size: int
    sha256: str
    summary: dict
    uploaded_by: str
    uploaded_at: datetime
    used_by: str
    used_since: datetime

    def as_dict(self, current: bool) -> dict:
        return {"id": self.id, "kind": self.kind, "filename": self.filename, "size": self.size,
                "sha256": self.sha256, "summary": self.summary, "uploaded_by": self.uploaded_by,
                "uploaded_at": self.uploaded_at.isoformat(), "used_by": self.used_by,
                "used_since": self.used_since.isoformat(), "current": current}


_LISTED = [c for c in uploads_table.c if c.name != "content"]


def _upload(row) -> Upload:
    return Upload(row.id, row.kind, row.filename, row.size, row.sha256,
                  json.loads(row.summary or "{}"), row.uploaded_by, _utc(row.uploaded_at),
                  row.used_by, _utc(row.used_since))


def check_kind(kind: str) -> str:
    if kind not in INPUT_KINDS:
        raise InputError(f"`kind` was {kind!r} but must be one of {list(INPUT_KINDS)}",
                         parameter="kind")
    return kind


def check_filename(kind: str, filename: str) -> str:
    """The file's own name (no folders), ending as :data:`UPLOAD_SUFFIXES` allows."""
    name = re.split(r"[\\/]", filename.strip())[-1]
    if not name or name in (".", ".."):
        raise InputError("`filename` is empty; send the file's name, e.g. demand.csv",
                         parameter="filename")
    if not name.lower().endswith(UPLOAD_SUFFIXES[kind]):
        raise InputError(Message(
            f"`filename` {name!r} is not a file of {kind} this server reads; save it as one of "
            + ", ".join(UPLOAD_SUFFIXES[kind]), "upload_suffix", name=name,
            suffixes=", ".join(UPLOAD_SUFFIXES[kind])), parameter="filename")
    return name


def _of(region: str | None):
    """The uploads of ``region`` (None: of a server of one region)."""
    column = uploads_table.c.region
    return column.is_(None) if region is None else column == region


class InputStore:
    """The uploads kept in a registry's database (the table is created when missing). Each
    method takes the ``region`` of a deployment the uploads are for (None: a server of one
    region): a region uses, lists and restores its own uploads only."""

    def __init__(self, engine: Engine):
        self.engine = engine
        with contextlib.suppress(OperationalError):  # a read-only database: nothing to upload
            metadata.create_all(engine)

    def current_ids(self, region: str | None = None) -> dict[str, int | None]:
        """Per kind, the id of the upload in use (None: none)."""
        out: dict[str, int | None] = dict.fromkeys(INPUT_KINDS)
        try:
            with self.engine.connect() as conn:
                for kind in INPUT_KINDS:
                    row = conn.execute(
                        select(uploads_table.c.id).where((uploads_table.c.kind == kind)
                                                         & _of(region))
                        .order_by(uploads_table.c.used_since.desc(), uploads_table.c.id.desc())
                        .limit(1)).first()
                    out[kind] = row.id if row is not None else None
        except OperationalError:  # no table yet (a read-only database made before uploads)
            pass
        return out

    def uploads(self, kind: str, *, limit: int = 20, region: str | None = None) -> list[Upload]:
        """The uploads of ``kind``, newest first (at most ``limit``)."""
        query = (select(*_LISTED).where((uploads_table.c.kind == check_kind(kind))
                                        & _of(region))
                 .order_by(uploads_table.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [_upload(r) for r in conn.execute(query)]

    def content(self, upload_id: int) -> tuple[str, bytes]:
        """The file name and content of an upload."""
        with self.engine.connect() as conn:
            row = conn.execute(select(uploads_table.c.filename, uploads_table.c.content)
                               .where(uploads_table.c.id == upload_id)).first()
        if row is None:
            raise NotFoundError(f"no upload {upload_id}")
        return row.filename, bytes(row.content)

    def add(self, kind: str, filename: str, content: bytes, summary: dict, *, by: str,
            region: str | None = None) -> Upload:
        """Keep a checked file as the one in use for ``kind`` (one transaction)."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(uploads_table).values(
                kind=check_kind(kind), filename=filename, size=len(content),
                sha256=hashlib.sha256(content).hexdigest(), content=content,
                summary=json.dumps(summary, ensure_ascii=False), uploaded_by=by,
                uploaded_at=now, used_by=by, used_since=now,
                region=region)).inserted_primary_key[0]
        return self.get(kind, int(new_id), region=region)

    def get(self, kind: str, upload_id: int, *, region: str | None = None) -> Upload:
        if not 1 <= upload_id <= MAX_ID:  # no such row (and no number the database refuses)
            raise NotFoundError(f"there is no upload {upload_id} of {kind}; GET /api/inputs "
                                "lists them")
        with self.engine.connect() as conn:
            row = conn.execute(select(*_LISTED).where(
                (uploads_table.c.id == upload_id)
                & (uploads_table.c.kind == check_kind(kind)) & _of(region))).first()
        if row is None:
            raise NotFoundError(f"there is no upload {upload_id} of {kind}; GET /api/inputs "
                                "lists them")
        return _upload(row)

    def restore(self, kind: str, upload_id: int, *, by: str,
                region: str | None = None) -> Upload:
        """Make an earlier upload of ``kind`` the one in use again."""
        self.get(kind, upload_id, region=region)
        with self.engine.begin() as conn:
            conn.execute(update(uploads_table).where(uploads_table.c.id == upload_id)
                         .values(used_by=by, used_since=datetime.now(UTC)))
        return self.get(kind, upload_id, region=region)


# --- reading a file ------------------------------------------------------------------------------

def read_upload(kind: str, filename: str, content: bytes, *, network=None):
    """``content`` read as the file ``filename`` of ``kind``: the demand table
    (:func:`geo.demand.read_demand`; polygons spread over ``network``) or the district polygons
    (:func:`geo.io.districts.read_districts`, which checks each feature). Problems name
    ``filename``, never where it was put to be read.

    Raises
    ------
    DataFileError
        Every problem, with the row and column as the file names them.
    InputError
        A file that cannot be read at all.
    """
    with tempfile.TemporaryDirectory(prefix="yizhan-upload-") as folder:
        path = Path(folder) / filename
        path.write_bytes(content)
        try:
            if kind == "demand":
                from geo.demand import read_demand

                return read_demand(path, network=network)
            from geo.io.districts import read_districts

            return read_districts(path)
        except DataFileError as exc:
            raise DataFileError([_named(p, folder, filename) for p in exc.problems]) from None
        except InputError as exc:
            text = str(exc).replace(str(path), filename).replace(folder, "")
            raise InputError(text, parameter="file") from None


def _named(problem: Problem, folder: str, filename: str) -> Problem:
    message = problem.message
    if folder in str(message):
        message = str(message).replace(str(Path(folder) / filename), filename)
    return replace(problem, file=filename, message=message)


def summary_of(kind: str, value) -> dict:
    """What the page shows of a read file: rows and workers, or districts."""
    if kind == "demand":
        return {"rows": len(value), "workers": round(float(value["weight"].sum()), 1)}
    return {"districts": len(value)}
