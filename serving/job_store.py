"""Jobs, their results and the uploads' owners in SQLite, so that a restart (or a crash) loses nothing.

Every state change is committed before the call returns (WAL journal: a killed process keeps all
committed rows). When the server starts again, :meth:`JobStore.mark_interrupted` turns every job
that was queued or running into ``interrupted``: reported as such and resumable, never silently gone.

>>> import tempfile, pathlib
>>> store = JobStore(pathlib.Path(tempfile.mkdtemp()) / "jobs.sqlite3")
>>> row = store.insert(JobRow.new("track_objects", {"target": "car", "video": "a.mp4"}, client="127.0.0.1"))
>>> store.update(row.id, state="running", attempts=1)
>>> store.mark_interrupted() == [row.id], store.get(row.id).state
(True, 'interrupted')
>>> row.id in store.get(row.id).error.message
True
>>> store.add_upload("ab" * 16, client="alice", size=1000)
>>> store.get_upload("ab" * 16).client, store.client_upload_bytes("alice"), store.client_upload_bytes("bob")
('alice', 1000, 0)
>>> store.close()
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from serving.errors import ErrorInfo
from serving.schemas import JobState, JobView, Progress, ToolName, UploadSummary

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    args TEXT NOT NULL,
    client TEXT NOT NULL,
    state TEXT NOT NULL,
    stage TEXT NOT NULL,
    fraction REAL NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    attempts INTEGER NOT NULL,
    error TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
CREATE INDEX IF NOT EXISTS jobs_client ON jobs(client);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_client ON uploads(client);
"""

_COLUMNS = ("id", "tool", "args", "client", "state", "stage", "fraction", "message", "created_at",
            "started_at", "finished_at", "attempts", "error", "result")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class JobRow(BaseModel):
    """One job as stored: its request, where it is, and its outcome (result as JSON text)."""

    id: str
    tool: ToolName
    args: dict[str, Any]
    client: str
    state: JobState = "queued"
    stage: str = "queued"
    fraction: float = 0.0
    message: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    error: ErrorInfo | None = None
    result: str | None = None

    @classmethod
    def new(cls, tool: ToolName, args: dict[str, Any], client: str) -> JobRow:
        """A fresh queued job with a random id."""
        return cls(id=uuid.uuid4().hex, tool=tool, args=args, client=client)

    def view(self) -> JobView:
        """What clients are shown (no client address, no result body)."""
        return JobView(
            id=self.id, tool=self.tool, args=self.args, state=self.state,
            progress=Progress(stage=self.stage, fraction=self.fraction, message=self.message),  # type: ignore[arg-type]
            created_at=self.created_at, started_at=self.started_at, finished_at=self.finished_at,
            attempts=self.attempts, error=self.error,
        )


class UploadRow(BaseModel):
    """One stored upload: who owns it, its size, and when a job last used it."""

    id: str
    client: str
    size: int
    created_at: datetime
    used_at: datetime

    def view(self) -> UploadSummary:
        return UploadSummary(id=self.id, video=f"upload:{self.id}", size=self.size, created_at=self.created_at,
                             used_at=self.used_at)


def _encode(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "args":
        return json.dumps(value, sort_keys=True)
    if name == "error":
        return value.model_dump_json() if isinstance(value, ErrorInfo) else json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _decode(row: sqlite3.Row) -> JobRow:
    data = dict(zip(_COLUMNS, row))
    data["args"] = json.loads(data["args"])
    data["error"] = json.loads(data["error"]) if data["error"] else None
    return JobRow.model_validate(data)


class JobStore:
    """Thread-safe access to the jobs table of one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def insert(self, row: JobRow) -> JobRow:
        values = [_encode(c, getattr(row, c)) for c in _COLUMNS]
        with self._lock:
            self._db.execute(
                f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", values
            )
        return row

    def update(self, job_id: str, **fields: Any) -> None:
        """Set some columns of one job (names are checked against the schema)."""
        unknown = set(fields) - set(_COLUMNS[1:])
        if unknown:
            raise KeyError(f"unknown job columns: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [_encode(name, value) for name, value in fields.items()]
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", [*values, job_id])

    def get(self, job_id: str) -> JobRow | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _decode(row) if row else None

    def list(self, state: JobState | None = None, limit: int = 100, client: str | None = None) -> list[JobRow]:
        """Most recent jobs first, optionally only those in ``state`` and only those of ``client``."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM jobs"
        where, params = [], []
        if state is not None:
            where.append("state = ?")
            params.append(state)
        if client is not None:
            where.append("client = ?")
            params.append(client)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY created_at DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [_decode(r) for r in rows]

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def finished_before(self, before: datetime) -> list[str]:
        """Ids of finished jobs that ended before ``before`` (oldest first)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM jobs WHERE state NOT IN ('queued', 'running') AND finished_at IS NOT NULL "
                "AND finished_at < ? ORDER BY finished_at", (before.isoformat(),)).fetchall()
        return [r[0] for r in rows]

    def mark_interrupted(self) -> list[str]:
        """Report every job left queued or running by a previous process as ``interrupted``."""
        now = utcnow().isoformat()
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT id FROM jobs WHERE state IN ('queued', 'running')")]
            for job_id in ids:
                message = f"the server stopped before this job finished; resume it with POST /jobs/{job_id}/resume"
                self._db.execute(
                    "UPDATE jobs SET state = 'interrupted', error = ?, finished_at = ?, message = ? WHERE id = ?",
                    (ErrorInfo(type="interrupted", message=message).model_dump_json(), now,
                     "interrupted by a server stop", job_id),
                )
        return ids

    # -- uploads ---------------------------------------------------------------------------------
    def add_upload(self, upload_id: str, client: str, size: int) -> None:
        now = utcnow().isoformat()
        with self._lock:
            self._db.execute("INSERT INTO uploads (id, client, size, created_at, used_at) VALUES (?, ?, ?, ?, ?)",
                             (upload_id, client, size, now, now))

    def get_upload(self, upload_id: str) -> UploadRow | None:
        with self._lock:
            row = self._db.execute("SELECT id, client, size, created_at, used_at FROM uploads WHERE id = ?",
                                   (upload_id,)).fetchone()
        return UploadRow.model_validate(dict(zip(("id", "client", "size", "created_at", "used_at"), row))) if row else None

    def list_uploads(self, client: str | None) -> list[UploadRow]:
        """Uploads of ``client`` (None: everyone's), newest first."""
        query = "SELECT id, client, size, created_at, used_at FROM uploads"
        params: list[Any] = []
        if client is not None:
            query += " WHERE client = ?"
            params.append(client)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created_at DESC", params).fetchall()
        return [UploadRow.model_validate(dict(zip(("id", "client", "size", "created_at", "used_at"), r))) for r in rows]

    def upload_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM uploads")}

    def touch_upload(self, upload_id: str) -> None:
        """Record that a job used the upload now (expiry counts from the last use)."""
        with self._lock:
            self._db.execute("UPDATE uploads SET used_at = ? WHERE id = ?", (utcnow().isoformat(), upload_id))

    def delete_upload(self, upload_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))

    def client_upload_bytes(self, client: str) -> int:
        """What ``client``'s uploads take on disk, in bytes."""
        with self._lock:
            (total,) = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM uploads WHERE client = ?",
                                        (client,)).fetchone()
        return int(total)

    def uploads_unused_since(self, before: datetime) -> list[str]:
        """Ids of uploads no job has used since ``before``."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM uploads WHERE used_at < ?", (before.isoformat(),)).fetchall()
        return [r[0] for r in rows]
