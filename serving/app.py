"""Assemble the tool endpoint: one ASGI app with MCP at ``/mcp`` and the REST twin beside it.

Layers, outermost first: bearer-token check naming the client (401), request-size and JSON-depth
limit (413), then FastAPI with the REST routes and the MCP streamable-HTTP transport (behind a
per-client session quota). Jobs and upload owners live in SQLite; jobs a previous process left
queued or running are reported ``interrupted`` and its unfinished uploads (``.part``) removed as soon
as the app is built; expired uploads and old jobs are swept at start and every ``sweep_interval_s``.

>>> import tempfile, pathlib
>>> from serving.settings import ServeSettings
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> app = create_app(ServeSettings(db=tmp / "jobs.sqlite3"))   # serve with uvicorn.run(app, ...)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from starlette.types import ASGIApp

from serving.job_store import JobStore
from serving.jobs import JobManager
from serving.limits import BodyLimit
from serving.mcp_sessions import SessionQuota
from serving.mcp_tools import build_mcp
from serving.media import MediaLibrary
from serving.rest import install_error_handlers, rest_router
from serving.runner import make_runner
from serving.security import Authenticate, Clients
from serving.service import ToolService
from serving.settings import ServeSettings

log = logging.getLogger("stag.serve")

UPLOAD_PATH = "/uploads"
MCP_PATH = "/mcp"


def stag_version() -> str:
    try:
        return version("stag")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(settings: ServeSettings) -> ASGIApp:
    """The endpoint for ``settings``; jobs left running by an earlier process become ``interrupted``."""
    release = stag_version()
    store = JobStore(settings.db)
    interrupted = store.mark_interrupted()
    if interrupted:
        log.warning("%d job(s) were running when the server last stopped; now 'interrupted': %s",
                    len(interrupted), ", ".join(interrupted))
    media = MediaLibrary(settings.media_roots, settings.upload_dir)
    if media.removed_parts:
        log.warning("removed %d unfinished upload(s) left by the last run", media.removed_parts)
    jobs = JobManager(store, make_runner(media, settings.ground, settings.checkpoints), settings.limits)
    service = ToolService(settings, media, jobs)

    mcp = build_mcp(service, release)
    mcp.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=settings.host,
        max_request_body_size=settings.limits.max_request_bytes,
        max_sessions=settings.limits.max_mcp_sessions,
        session_idle_timeout=settings.limits.mcp_session_idle_s,
    )
    service.sweep()

    async def sweep_forever() -> None:
        while True:
            await asyncio.sleep(settings.limits.sweep_interval_s)
            try:
                await asyncio.to_thread(service.sweep)
            except Exception:  # a failed sweep is retried next time; it must not stop the server
                log.exception("sweeping expired uploads and jobs failed")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(sweep_forever())
        try:
            async with mcp.session_manager.run():
                yield
        finally:
            sweeper.cancel()
            jobs.shutdown()
            store.close()

    api = FastAPI(
        title="stag tool endpoint",
        version=release,
        summary="Grounding language in video, as tools: MCP at /mcp, this REST twin with OpenClaw's envelope.",
        lifespan=lifespan,
    )
    install_error_handlers(api)
    api.include_router(rest_router(service, release))
    manager = mcp.session_manager
    # The SDK keeps the open sessions in this mapping (closed and expired ones leave it).
    quota = SessionQuota(StreamableHTTPASGIApp(manager), is_open=lambda sid: sid in manager._server_instances,
                         per_client=settings.limits.max_mcp_sessions_per_client,
                         idle_s=settings.limits.mcp_session_idle_s)
    api.router.add_route(MCP_PATH, quota, include_in_schema=False)
    limited = BodyLimit(api, settings.limits.max_request_bytes, exempt=frozenset({UPLOAD_PATH}))
    return Authenticate(limited, Clients(settings.tokens, settings.admin_token))
