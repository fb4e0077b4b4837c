"""What both surfaces (MCP and REST) do with a tool call, an upload or a job.

A call is checked before any work is queued: the arguments against the tool's model (400), the
video reference against the media roots, uploads and URL policy (403/404/413/415/502), and the
file itself by probing it and decoding its first frame (422 for corrupt or empty videos, 413 for
videos longer than the limit). It then becomes a job; a synchronous call waits for it (reporting
progress) up to the call time limit and answers 504 with the job id if it is still running,
so the work is never lost.

Everything is owned by the client that made it: jobs, uploads (also videos fetched from URLs) and
results. Another client is told 404, exactly as if the thing did not exist; an admin sees all.
Uploads count against their client's disk quota; :meth:`ToolService.sweep` deletes uploads no job
has used for ``upload_ttl_s`` and finished jobs older than ``result_ttl_s``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from serving import errors
from serving.catalog import ToolArgs, tool_def
from serving.job_store import JobRow, utcnow
from serving.jobs import JobManager
from serving.limits import ClientSlots
from serving.media import UPLOAD_PREFIX, UPLOAD_SUFFIX, MediaLibrary, is_url
from serving.runner import forget_checkpoints, hide_path
from serving.schemas import UploadInfo, UploadView
from serving.security import Client
from serving.settings import ServeSettings
from serving.url_fetch import GENERIC_TYPES, UrlPolicy, fetch_video
from tools.video import VideoError, iter_samples, probe
from verifier.result import GroundingResult, VideoInfo

log = logging.getLogger("stag.serve")

ProgressReport = Callable[[JobRow], Awaitable[None]]
PROGRESS_POLL_S = 0.5
MAX_PROBLEMS = 5


def describe_problems(exc: ValidationError | RequestValidationError) -> str:
    """The first few problems of a validation error, one short clause each, on one line.

    >>> from pydantic import BaseModel
    >>> class A(BaseModel):
    ...     n: int
    >>> try:
    ...     A.model_validate({"n": "x"})
    ... except ValidationError as e:
    ...     describe_problems(e)
    'n: Input should be a valid integer, unable to parse string as an integer'
    """
    found = list(exc.errors())
    problems = [f"{'.'.join(str(p) for p in e['loc'])[:80] or 'args'}: {e['msg'][:200]}"
                for e in found[:MAX_PROBLEMS]]
    more = f"; and {len(found) - MAX_PROBLEMS} more" if len(found) > MAX_PROBLEMS else ""
    return "; ".join(problems).replace("\n", " ") + more


def describe_validation(tool: str, exc: ValidationError) -> str:
    """One readable line naming the problems in a tool's arguments (the first few only)."""
    return f"invalid arguments for {tool}: {describe_problems(exc)}"


class ToolService:
    """Tool calls, uploads and job results, shared by the MCP server and the REST twin."""

    def __init__(self, settings: ServeSettings, media: MediaLibrary, jobs: JobManager) -> None:
        self.limits = settings.limits
        self.media = media
        self.jobs = jobs
        self.url_policy = UrlPolicy(allowed_hosts=settings.allow_url_hosts,
                                    max_bytes=settings.limits.max_url_bytes,
                                    timeout_s=settings.limits.url_timeout_s)
        self.upload_slots = ClientSlots(settings.limits.max_uploads_per_client, "uploads")
        self.checkpoints = settings.checkpoints
        self._writing: dict[str, int] = {}  # bytes being written by each client's uploads now

    # -- checking a call -------------------------------------------------------------------------
    def parse_args(self, tool: str, args: dict) -> ToolArgs:
        definition = tool_def(tool)
        try:
            return definition.args_model.model_validate(args)
        except ValidationError as exc:
            raise errors.BadRequest(describe_validation(tool, exc)) from exc

    def inspect_video(self, ref: str) -> VideoInfo:
        """Resolve a path or upload reference and check that it is a readable, not too long video."""
        path = self.media.resolve(ref)
        try:
            info = probe(path)
            next(iter_samples(path, end=0), None)
        except VideoError as exc:
            raise errors.InvalidVideo(hide_path(str(exc), str(path), ref)) from exc
        if info.duration > self.limits.max_video_seconds:
            raise errors.TooLarge(
                f"the video is {info.duration:.0f} s long; this server accepts at most "
                f"{self.limits.max_video_seconds:.0f} s; cut it into shorter parts"
            )
        return info.model_copy(update={"path": ref})

    def own_upload(self, upload_id: str, client: Client) -> None:
        """404 unless the upload exists and ``client`` may see it (the same answer either way)."""
        self.media.upload_path(upload_id)  # 400 for a malformed id
        row = self.jobs.store.get_upload(upload_id)
        if row is None or not client.may_see(row.client):
            raise errors.NotFound(f"no upload with id {upload_id}; upload the video again with POST /uploads")

    async def prepare_video(self, ref: str, client: Client) -> str:
        """The reference a job will use: a URL is fetched into an upload of ``client`` first."""
        if is_url(ref):
            with self.upload_slots.hold(client.name):
                left = self._quota_left(client)
                policy = self.url_policy.model_copy(update={"max_bytes": min(self.url_policy.max_bytes, left)})
                try:
                    path = await fetch_video(ref, policy, self.media)
                except errors.TooLarge as exc:
                    if left < self.url_policy.max_bytes:
                        raise self._over_quota(client) from exc
                    raise
                self.jobs.store.add_upload(path.stem, client.name, path.stat().st_size)
            ref = f"{UPLOAD_PREFIX}{path.stem}"
            try:
                await asyncio.to_thread(self.inspect_video, ref)
            except errors.ServeError:
                self._drop_upload(path.stem)
                raise
            return ref
        if ref.startswith(UPLOAD_PREFIX):
            self.own_upload(ref[len(UPLOAD_PREFIX):], client)
            self.jobs.store.touch_upload(ref[len(UPLOAD_PREFIX):])
        await asyncio.to_thread(self.inspect_video, ref)
        return ref

    # -- jobs ------------------------------------------------------------------------------------
    async def start(self, tool: str, args: dict, client: Client) -> JobRow:
        """Check a call and queue it as ``client``'s job (429 when the client or the queue is at its limit)."""
        parsed = self.parse_args(tool, args)
        self.jobs.check_admission(client.name)  # refuse before the costly checks of the video
        video = await self.prepare_video(parsed.video, client)
        parsed = parsed.model_copy(update={"video": video})
        return self.jobs.submit(tool_def(tool).name, parsed.model_dump(mode="json"), client.name)  # type: ignore[arg-type]

    async def resume(self, job_id: str, client: Client) -> JobRow:
        """Run an interrupted, cancelled or failed job again (still its owner's), after checking its video again."""
        row = self.jobs.resumable(job_id, client)
        self.jobs.check_admission(row.client)
        await self.prepare_video(row.args["video"], Client(name=row.client))
        return self.jobs.resume(job_id, client)

    async def wait(self, job_id: str, timeout: float, on_progress: ProgressReport | None = None) -> JobRow:
        """The job once finished; 504 naming the job if it is still running after ``timeout``."""
        future = self.jobs.future(job_id)
        if future is not None:
            loop = asyncio.get_running_loop()
            waiter = asyncio.wrap_future(future)
            deadline = loop.time() + timeout
            last: tuple[str, float] | None = None
            while not waiter.done():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise errors.Timeout(
                        f"the run is still going as job {job_id}; poll GET /jobs/{job_id} and fetch "
                        f"GET /jobs/{job_id}/result when it is done"
                    )
                await asyncio.wait({waiter}, timeout=min(PROGRESS_POLL_S, remaining))
                if on_progress is not None and not waiter.done():
                    row = self.jobs.get(job_id)
                    if (row.stage, row.fraction) != last:
                        last = (row.stage, row.fraction)
                        await on_progress(row)
        return self.jobs.get(job_id)

    def output(self, row: JobRow) -> BaseModel:
        """A finished job's answer in its tool's output model, or the error it ended with."""
        if row.state == "succeeded" and row.result is not None:
            definition = tool_def(row.tool)
            result = GroundingResult.model_validate_json(row.result)
            return definition.render(result, definition.args_model.model_validate(row.args))
        if row.state in ("queued", "running"):
            raise errors.NotReady(
                f"job {row.id} is {row.state} ({row.fraction:.0%}, {row.stage}); poll GET /jobs/{row.id}"
            )
        if row.error is not None:
            raise errors.error_from_info(row.error)
        raise errors.Internal(f"job {row.id} ended as {row.state} without a result; resubmit it")

    async def call(self, tool: str, args: dict, client: Client, on_progress: ProgressReport | None = None) -> BaseModel:
        """Run a tool call to completion (or the call time limit) and return its answer."""
        row = await self.start(tool, args, client)
        done = await self.wait(row.id, self.limits.call_timeout_s, on_progress)
        return self.output(done)

    # -- uploads ---------------------------------------------------------------------------------
    def _quota_left(self, client: Client) -> int:
        used = self.jobs.store.client_upload_bytes(client.name) + self._writing.get(client.name, 0)
        return max(0, self.limits.max_client_bytes - used)

    def _over_quota(self, client: Client) -> errors.QuotaExceeded:
        used = self.jobs.store.client_upload_bytes(client.name)
        return errors.QuotaExceeded(
            f"this client's uploads would pass its disk quota of {self.limits.max_client_bytes} bytes "
            f"({used} bytes stored); delete uploads with DELETE /uploads/{{id}} (list them with GET /uploads)"
        )

    def _drop_upload(self, upload_id: str) -> None:
        self.jobs.store.delete_upload(upload_id)
        (self.media.upload_dir / f"{upload_id}{UPLOAD_SUFFIX}").unlink(missing_ok=True)

    async def upload(self, chunks: AsyncIterator[bytes], declared: int | None, content_type: str,
                     client: Client) -> UploadView:
        """Store a video sent as the raw request body as ``client``'s; 413/415/422 when it is too big
        (or past the client's quota), not a video, or corrupt."""
        main = content_type.split(";")[0].strip().lower()
        if not (main.startswith("video/") or main in GENERIC_TYPES):
            raise errors.UnsupportedMediaType(
                f"uploads are the raw video bytes with a video content type, not {main or 'none'!r}; e.g. "
                "curl --data-binary @clip.mp4 -H 'Content-Type: video/mp4' .../uploads"
            )
        with self.upload_slots.hold(client.name):
            left = self._quota_left(client)
            if declared is not None and declared > left and declared <= self.limits.max_upload_bytes:
                raise self._over_quota(client)
            writer = self.media.writer(self.limits.max_upload_bytes)
            counted = 0
            try:
                writer.check_declared(declared)
                iterator = chunks.__aiter__()
                while True:
                    try:
                        chunk = await asyncio.wait_for(iterator.__anext__(), self.limits.upload_idle_timeout_s)
                    except StopAsyncIteration:
                        break
                    except asyncio.TimeoutError as exc:
                        raise errors.Timeout(
                            f"the upload sent nothing for {self.limits.upload_idle_timeout_s:g} s and was dropped"
                        ) from exc
                    writer.write(chunk)
                    if writer.size > left:
                        raise self._over_quota(client)
                    self._writing[client.name] = self._writing.get(client.name, 0) + writer.size - counted
                    counted = writer.size
                path = writer.commit()
                self.jobs.store.add_upload(path.stem, client.name, writer.size)
            except BaseException:
                writer.abort()
                raise
            finally:
                self._writing[client.name] = self._writing.get(client.name, 0) - counted
                if self._writing[client.name] <= 0:
                    del self._writing[client.name]
        ref = f"{UPLOAD_PREFIX}{path.stem}"
        try:
            info = await asyncio.to_thread(self.inspect_video, ref)
        except errors.ServeError:
            self._drop_upload(path.stem)
            raise
        return UploadView(id=path.stem, video=ref, size=writer.size, info=info)

    def delete_job(self, job_id: str, client: Client) -> None:
        """Delete ``client``'s finished job, its result and the agent's saved steps (404 / 409 otherwise)."""
        self.jobs.delete(job_id, client)
        forget_checkpoints(self.checkpoints, [job_id])

    def list_uploads(self, client: Client) -> UploadInfo:
        """``client``'s uploads (everyone's for an admin) and its quota."""
        rows = self.jobs.store.list_uploads(None if client.admin else client.name)
        return UploadInfo(uploads=[r.view() for r in rows], used_bytes=self.jobs.store.client_upload_bytes(client.name),
                          quota_bytes=self.limits.max_client_bytes)

    def delete_upload(self, upload_id: str, client: Client) -> None:
        """Delete ``client``'s upload; 404 if it is not theirs, 409 while a job on it is queued or running."""
        self.own_upload(upload_id, client)
        if f"{UPLOAD_PREFIX}{upload_id}" in self.jobs.live_videos():
            raise errors.NotReady(f"a queued or running job uses upload {upload_id}; cancel it or wait for it "
                                  "to finish, then delete the upload", retry_after=2)
        self._drop_upload(upload_id)

    def sweep(self) -> tuple[int, int]:
        """Delete uploads unused for ``upload_ttl_s`` and jobs finished more than ``result_ttl_s`` ago,
        and upload files no client owns; the numbers of uploads and jobs deleted."""
        now = utcnow()
        store = self.jobs.store
        live = self.jobs.live_videos()
        stale = [u for u in store.uploads_unused_since(now - timedelta(seconds=self.limits.upload_ttl_s))
                 if f"{UPLOAD_PREFIX}{u}" not in live]
        for upload_id in stale:
            self._drop_upload(upload_id)
        old = store.finished_before(now - timedelta(seconds=self.limits.result_ttl_s))
        for job_id in old:
            store.delete(job_id)
        forget_checkpoints(self.checkpoints, old)
        known = store.upload_ids()
        cutoff = time.time() - self.limits.upload_ttl_s
        for path in self.media.upload_dir.glob(f"*{UPLOAD_SUFFIX}"):
            try:
                if path.stem not in known and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue
        if stale or old:
            log.info("expired %d unused upload(s) and %d old job(s)", len(stale), len(old))
        return len(stale), len(old)
