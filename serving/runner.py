"""Run one job through the agent's public API, in a worker thread.

The job's stored arguments are validated again, its video reference is resolved again (so a
resumed job is checked against the media roots of the server that resumes it), the caller's
options are laid over the server's :class:`agent.api.GroundConfig`, and
:func:`agent.api.ground` runs with the job's progress sink and cancel event. The agent's
exceptions become endpoint errors (unreadable video -> 422, bad query -> 422, cancelled), and the
server-side path of the video is replaced by the caller's reference in the result.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from pydantic_core import to_json

from agent.api import Cancelled as AgentCancelled
from agent.api import GroundConfig, ProgressEvent, ground
from serving import errors
from serving.catalog import tool_def
from serving.job_store import JobRow
from serving.jobs import ProgressSink, Runner
from serving.media import MediaLibrary
from serving.schemas import Progress
from tools.video import VideoError
from verifier.result import GroundingResult


def hide_path(text: str, path: str, ref: str) -> str:
    """``text`` with the server-side ``path`` replaced by the caller's reference.

    >>> hide_path("cannot read /srv/media/a.mp4 as a video", "/srv/media/a.mp4", "a.mp4")
    'cannot read a.mp4 as a video'
    """
    return text.replace(path, ref)


def _public(result: GroundingResult, path: str, ref: str) -> GroundingResult:
    """The result as the caller may see it: their video reference instead of our file path."""
    text = result.model_dump_json()
    return GroundingResult.model_validate_json(text.replace(to_json(path).decode()[1:-1], to_json(ref).decode()[1:-1]))


def make_runner(media: MediaLibrary, base: GroundConfig, checkpoints: Path) -> Runner:
    """A :data:`serving.jobs.Runner` that grounds with ``base`` settings over ``media``.

    Each job checkpoints the agent's steps in ``checkpoints`` under its job id, so a job resumed
    after a crash, a stop or a cancel continues after its last completed step.
    """

    def run(row: JobRow, progress: ProgressSink, cancel: threading.Event) -> GroundingResult:
        args = tool_def(row.tool).args_model.model_validate(row.args)
        path = media.resolve(args.video)
        config = args.options.apply(base).model_copy(update={"thread_id": row.id, "checkpoint": str(checkpoints)})

        def on_progress(event: ProgressEvent) -> None:
            progress(Progress(stage=event.stage, fraction=event.fraction, message=event.message))

        try:
            result = ground(path, args.agent_query(), config, on_progress=on_progress, cancel=cancel)
        except AgentCancelled as exc:
            raise errors.Cancelled(f"job {row.id} was stopped") from exc
        except VideoError as exc:
            raise errors.InvalidVideo(hide_path(str(exc), str(path), args.video)) from exc
        except ValueError as exc:
            raise errors.InvalidQuery(hide_path(str(exc), str(path), args.video)) from exc
        return _public(result, str(path), args.video)

    return run


def forget_checkpoints(checkpoints: Path, job_ids: Iterable[str]) -> None:
    """Delete the agent's saved steps of jobs that are gone (deleted or expired); nothing if none were saved.

    >>> import tempfile, pathlib
    >>> forget_checkpoints(pathlib.Path(tempfile.mkdtemp()) / "none.sqlite3", ["ab" * 16])
    """
    ids = list(job_ids)
    if not ids or not checkpoints.is_file():
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(str(checkpoints), check_same_thread=False, timeout=30)
    try:
        saver = SqliteSaver(conn)
        for job_id in ids:
            saver.delete_thread(job_id)
    finally:
        conn.close()
