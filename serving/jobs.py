"""The job queue: admission limits, worker threads, progress, cancellation, time limits, resume.

A job is one grounding run. :meth:`JobManager.submit` admits it (or raises ``TooManyRequests``:
too many jobs of that client, or the queue is full), stores it, and hands it to a thread pool so
the event loop stays free. The runner reports progress through a callback (written to the store,
so it is visible to pollers while the job runs) and watches a cancel event, which is set by
:meth:`JobManager.cancel`, by the job's time limit, and by a server shutdown. Each outcome is
committed to the :class:`~serving.job_store.JobStore`: ``succeeded`` with the result,
``failed`` with an error, ``cancelled``, or ``interrupted`` (shutdown; resumable).

>>> import tempfile, pathlib, threading
>>> from pydantic import BaseModel
>>> class Echo(BaseModel):
...     text: str
>>> def runner(row, progress, cancel):
...     progress(Progress(stage="answer", fraction=1.0, message="done"))
...     return Echo(text=row.args["target"])
>>> store = JobStore(pathlib.Path(tempfile.mkdtemp()) / "jobs.sqlite3")
>>> jobs = JobManager(store, runner, Limits())
>>> row = jobs.submit("track_objects", {"target": "car", "video": "a.mp4"}, client="c1")
>>> done = jobs.wait(row.id, timeout=5)
>>> done.state, done.result
('succeeded', '{"text":"car"}')
>>> jobs.shutdown(); store.close()
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from serving import errors
from serving.job_store import JobRow, JobStore, utcnow
from serving.schemas import FINISHED_STATES, JobState, Progress, ToolName
from serving.security import Client
from serving.settings import Limits

log = logging.getLogger("stag.serve.jobs")

ProgressSink = Callable[[Progress], None]
Runner = Callable[[JobRow, ProgressSink, threading.Event], BaseModel]
"""Runs one job: ``(row, report_progress, cancel) -> result``; raises :class:`serving.errors.ServeError`."""

RESUMABLE_STATES = frozenset({"interrupted", "cancelled", "failed"})
PROGRESS_WRITE_INTERVAL_S = 0.25


@dataclass
class _Live:
    """A job between admission and its last commit."""

    client: str
    future: Future[None] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    reason: str = "cancelled"  # why cancel was set: cancelled | timeout | interrupted


class JobManager:
    """Admits, runs and tracks jobs; every state change goes to ``store`` first."""

    def __init__(self, store: JobStore, runner: Runner, limits: Limits) -> None:
        self.store = store
        self.limits = limits
        self._runner = runner
        self._pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="stag-job")
        self._lock = threading.Lock()
        self._live: dict[str, _Live] = {}
        self._active: Counter[str] = Counter()
        self._stopping = False

    # -- admission -------------------------------------------------------------------------------
    def _admit(self, client: str) -> None:
        """Raise ``TooManyRequests`` if ``client`` or the queue is at its limit (call with the lock)."""
        if self._stopping:
            raise errors.TooManyRequests("the server is shutting down; retry shortly", retry_after=5)
        if self._active[client] >= self.limits.max_active_per_client:
            raise errors.TooManyRequests(
                f"this client already has {self._active[client]} jobs queued or running (limit "
                f"{self.limits.max_active_per_client}); wait for one to finish or cancel one",
                retry_after=2,
            )
        if len(self._live) >= self.limits.workers + self.limits.max_queued:
            raise errors.TooManyRequests(
                f"the job queue is full ({self.limits.max_queued} waiting, {self.limits.workers} running); "
                "retry later", retry_after=5,
            )

    def check_admission(self, client: str) -> None:
        """Raise ``TooManyRequests`` now if ``client`` could not submit (cheap; ``submit`` checks again)."""
        with self._lock:
            self._admit(client)

    def _enqueue(self, job_id: str, client: str) -> None:
        live = _Live(client=client)
        self._live[job_id] = live
        self._active[client] += 1
        live.future = self._pool.submit(self._run, job_id, live)

    def submit(self, tool: ToolName, args: dict[str, Any], client: str) -> JobRow:
        """Store a new job and queue it; ``TooManyRequests`` if a limit is reached."""
        with self._lock:
            self._admit(client)
            row = self.store.insert(JobRow.new(tool, args, client))
            self._enqueue(row.id, client)
        return row

    def resumable(self, job_id: str, client: Client | None = None) -> JobRow:
        """The job if ``client`` may resume it; 404 (not theirs) or ``NotReady`` (409) otherwise."""
        row = self.get(job_id, client)
        if row.state not in RESUMABLE_STATES:
            raise errors.NotReady(f"job {job_id} is {row.state}; only interrupted, cancelled or failed jobs resume")
        return row

    def resume(self, job_id: str, client: Client | None = None) -> JobRow:
        """Run an interrupted, cancelled or failed job again under the same id (it stays its owner's)."""
        with self._lock:
            row = self.resumable(job_id, client)
            if job_id in self._live:
                raise errors.NotReady(f"job {job_id} is still stopping; retry in a moment", retry_after=1)
            self._admit(row.client)
            self.store.update(job_id, state="queued", stage="queued", fraction=0.0, message="resumed",
                              error=None, finished_at=None)
            self._enqueue(job_id, row.client)
        return self.get(job_id)

    # -- queries and control ---------------------------------------------------------------------
    def get(self, job_id: str, client: Client | None = None) -> JobRow:
        """The job; 404 if there is none or it belongs to another client than ``client`` (None: anyone)."""
        row = self.store.get(job_id)
        if row is None or (client is not None and not client.may_see(row.client)):
            raise errors.NotFound(f"no job with id {job_id!r}; list your jobs with GET /jobs")
        return row

    def list(self, client: Client, state: JobState | None = None, limit: int = 50) -> list[JobRow]:
        """``client``'s most recent jobs (every client's for an admin)."""
        return self.store.list(state, limit, client=None if client.admin else client.name)

    def delete(self, job_id: str, client: Client) -> JobRow:
        """Forget a finished job and its result; 409 while it is queued or running."""
        with self._lock:
            row = self.get(job_id, client)
            if job_id in self._live:
                raise errors.NotReady(f"job {job_id} is {row.state}; cancel it with POST /jobs/{job_id}/cancel "
                                      "before deleting it", retry_after=1)
            self.store.delete(job_id)
        return row

    def live_videos(self) -> set[str]:
        """The video references of jobs queued or running now (their uploads must stay)."""
        with self._lock:
            ids = list(self._live)
        return {str(row.args.get("video")) for row in map(self.store.get, ids) if row is not None}

    def future(self, job_id: str) -> Future[None] | None:
        """Done when the job's outcome is committed; None if it is not queued or running here."""
        with self._lock:
            live = self._live.get(job_id)
            return live.future if live else None

    def wait(self, job_id: str, timeout: float | None = None) -> JobRow:
        """Block until the job's outcome is committed (or ``timeout``), then return it."""
        fut = self.future(job_id)
        if fut is not None:
            try:
                fut.result(timeout=timeout)
            except FutureTimeout:
                pass
        return self.get(job_id)

    def cancel(self, job_id: str, client: Client | None = None) -> JobRow:
        """Ask a queued or running job to stop (a finished job is returned as it is).

        A job still waiting for a worker is taken off the queue at once, so it stops counting
        against its client's limit now, not when a worker would have reached it.
        """
        row = self.get(job_id, client)
        with self._lock:
            live = self._live.get(job_id)
            if live is not None:
                live.reason = "cancelled"
                live.cancel.set()
                if live.future is not None and live.future.cancel():  # never started: release it now
                    self.store.update(job_id, finished_at=utcnow(), **self._stopped(job_id, live))
                    self._release(job_id, live)
        return self.get(job_id) if row.state not in FINISHED_STATES else row

    def _release(self, job_id: str, live: _Live) -> None:
        """Forget a live job and free its client's slot (call with the lock held)."""
        if self._live.get(job_id) is live:
            del self._live[job_id]
        self._active[live.client] -= 1
        if self._active[live.client] <= 0:
            del self._active[live.client]

    def active_count(self) -> int:
        with self._lock:
            return len(self._live)

    def shutdown(self, wait_s: float = 10.0) -> None:
        """Stop taking jobs, stop running ones, and record them as ``interrupted``."""
        with self._lock:
            self._stopping = True
            lives = dict(self._live)
            for live in lives.values():
                live.reason = "interrupted"
                live.cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        running = [live.future for live in lives.values() if live.future is not None and not live.future.cancelled()]
        wait_for(running, timeout=wait_s)  # (cancelled futures never count as done for wait())
        self.store.mark_interrupted()

    # -- the worker ------------------------------------------------------------------------------
    def _progress_sink(self, job_id: str) -> ProgressSink:
        last = {"t": 0.0, "stage": ""}

        def sink(p: Progress) -> None:
            now = time.monotonic()
            if p.stage != last["stage"] or now - last["t"] >= PROGRESS_WRITE_INTERVAL_S or p.fraction >= 1.0:
                self.store.update(job_id, stage=p.stage, fraction=p.fraction, message=p.message[:500])
                last["t"], last["stage"] = now, p.stage

        return sink

    def _run(self, job_id: str, live: _Live) -> None:
        outcome: dict[str, Any] = {}
        try:
            outcome = self._run_once(job_id, live)
        finally:
            with self._lock:  # the outcome and the end of the live entry are seen together
                if outcome:
                    self.store.update(job_id, finished_at=utcnow(), **outcome)
                self._release(job_id, live)

    def _run_once(self, job_id: str, live: _Live) -> dict[str, Any]:
        """Run the job; the columns that record its outcome."""
        row = self.store.get(job_id)
        if row is None:
            return {}
        if live.cancel.is_set():
            return self._stopped(job_id, live)
        self.store.update(job_id, state="running", started_at=utcnow(), attempts=row.attempts + 1,
                          stage="probe", fraction=0.0, message="started")

        def expire() -> None:
            live.reason = "timeout"
            live.cancel.set()

        timer = threading.Timer(self.limits.job_timeout_s, expire)
        timer.daemon = True
        timer.start()
        try:
            result = self._runner(row, self._progress_sink(job_id), live.cancel)
        except errors.Cancelled:
            return self._stopped(job_id, live)
        except errors.ServeError as exc:
            return {"state": "failed", "error": exc.info(), "message": exc.message[:500]}
        except Exception as exc:
            log.exception("job %s crashed", job_id)
            err = errors.Internal(f"the run failed unexpectedly ({type(exc).__name__}: {exc}); resubmit it, "
                                  "and report it if it happens again")
            return {"state": "failed", "error": err.info(), "message": err.message[:500]}
        finally:
            timer.cancel()
        return {"state": "succeeded", "result": result.model_dump_json(), "fraction": 1.0, "message": "done"}

    def _stopped(self, job_id: str, live: _Live) -> dict[str, Any]:
        """The outcome of a job whose cancel event was set, by the reason it was set."""
        if live.reason == "timeout":
            err: errors.ServeError = errors.Timeout(
                f"the job ran longer than {self.limits.job_timeout_s:g} s and was stopped; "
                "use a shorter video or ask the operator to raise the job time limit")
            return {"state": "failed", "error": err.info(), "message": err.message}
        if live.reason == "interrupted":
            err = errors.Interrupted(f"the server stopped before this job finished; resume it with "
                                     f"POST /jobs/{job_id}/resume")
            return {"state": "interrupted", "error": err.info(), "message": "interrupted by a server stop"}
        err = errors.Cancelled(f"job {job_id} was cancelled; resume it with POST /jobs/{job_id}/resume")
        return {"state": "cancelled", "error": err.info(), "message": "cancelled"}
