"""What both surfaces (MCP and REST) do with a tool call, an upload or a job.

A call is checked before any work is queued: the arguments against the tool's model (400), the
video reference against the media roots, uploads and URL policy (403/404/413/415/502), and the
file itself by probing it and decoding its first frame (422 for corrupt or empty videos, 413 for
videos longer than the limit). It then becomes a job; a synchronous call waits for it (reporting
progress) up to the call time limit and answers 504 with the job id if it is still running,
so the work is never lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from pydantic import BaseModel, ValidationError

from serving import errors
from serving.catalog import ToolArgs, tool_def
from serving.job_store import JobRow
from serving.jobs import JobManager
from serving.limits import ClientSlots
from serving.media import UPLOAD_PREFIX, MediaLibrary, is_url
from serving.runner import hide_path
from serving.schemas import UploadView
from serving.settings import ServeSettings
from serving.url_fetch import GENERIC_TYPES, UrlPolicy, fetch_video
from tools.video import VideoError, iter_samples, probe
from verifier.result import GroundingResult, VideoInfo

ProgressReport = Callable[[JobRow], Awaitable[None]]
PROGRESS_POLL_S = 0.5


def describe_validation(tool: str, exc: ValidationError) -> str:
    """One readable line per problem in a tool's arguments."""
    problems = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "args"
        problems.append(f"{where}: {e['msg']}")
    return f"invalid arguments for {tool}: " + "; ".join(problems)


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

    async def prepare_video(self, ref: str, client: str) -> str:
        """The reference a job will use: a URL is fetched into an upload first."""
        if is_url(ref):
            with self.upload_slots.hold(client):
                path = await fetch_video(ref, self.url_policy, self.media)
            ref = f"{UPLOAD_PREFIX}{path.stem}"
            try:
                await asyncio.to_thread(self.inspect_video, ref)
            except errors.ServeError:
                path.unlink(missing_ok=True)
                raise
            return ref
        await asyncio.to_thread(self.inspect_video, ref)
        return ref

    # -- jobs ------------------------------------------------------------------------------------
    async def start(self, tool: str, args: dict, client: str) -> JobRow:
        """Check a call and queue it as a job (429 when the client or the queue is at its limit)."""
        parsed = self.parse_args(tool, args)
        self.jobs.check_admission(client)  # refuse before the costly checks of the video
        video = await self.prepare_video(parsed.video, client)
        parsed = parsed.model_copy(update={"video": video})
        return self.jobs.submit(tool_def(tool).name, parsed.model_dump(mode="json"), client)  # type: ignore[arg-type]

    async def resume(self, job_id: str, client: str) -> JobRow:
        """Run an interrupted, cancelled or failed job again, after checking its video again."""
        row = self.jobs.resumable(job_id)
        self.jobs.check_admission(client)
        await self.prepare_video(row.args["video"], client)
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

    async def call(self, tool: str, args: dict, client: str, on_progress: ProgressReport | None = None) -> BaseModel:
        """Run a tool call to completion (or the call time limit) and return its answer."""
        row = await self.start(tool, args, client)
        done = await self.wait(row.id, self.limits.call_timeout_s, on_progress)
        return self.output(done)

    # -- uploads ---------------------------------------------------------------------------------
    async def upload(self, chunks: AsyncIterator[bytes], declared: int | None, content_type: str,
                     client: str) -> UploadView:
        """Store a video sent as the raw request body; 413/415/422 when it is too big, not a video, corrupt."""
        main = content_type.split(";")[0].strip().lower()
        if not (main.startswith("video/") or main in GENERIC_TYPES):
            raise errors.UnsupportedMediaType(
                f"uploads are the raw video bytes with a video content type, not {main or 'none'!r}; e.g. "
                "curl --data-binary @clip.mp4 -H 'Content-Type: video/mp4' .../uploads"
            )
        with self.upload_slots.hold(client):
            writer = self.media.writer(self.limits.max_upload_bytes)
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
                path = writer.commit()
            except BaseException:
                writer.abort()
                raise
        ref = f"{UPLOAD_PREFIX}{path.stem}"
        try:
            info = await asyncio.to_thread(self.inspect_video, ref)
        except errors.ServeError:
            path.unlink(missing_ok=True)
            raise
        return UploadView(id=path.stem, video=ref, size=writer.size, info=info)
