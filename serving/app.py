"""Assemble the tool endpoint: one ASGI app with MCP at ``/mcp`` and the REST twin beside it.

Layers, outermost first: bearer-token check (401), request-size limit (413), then FastAPI with the
REST routes and the MCP streamable-HTTP transport. Jobs live in SQLite; jobs a previous process
left queued or running are reported ``interrupted`` as soon as the app is built.

>>> import tempfile, pathlib
>>> from serving.settings import ServeSettings
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> app = create_app(ServeSettings(db=tmp / "jobs.sqlite3"))   # serve with uvicorn.run(app, ...)
"""

from __future__ import annotations

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
from serving.mcp_tools import build_mcp
from serving.media import MediaLibrary
from serving.rest import install_error_handlers, rest_router
from serving.runner import make_runner
from serving.security import BearerAuth
from serving.service import ToolService
from serving.settings import ServeSettings

log = logging.getLogger("stag.serve")

UPLOAD_PATH = "/uploads"
MCP_PATH = "/mcp"
MAX_MCP_SESSIONS = 256
MCP_SESSION_IDLE_S = 30 * 60


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
    jobs = JobManager(store, make_runner(media, settings.ground, settings.checkpoints), settings.limits)
    service = ToolService(settings, media, jobs)

    mcp = build_mcp(service, release)
    mcp.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=settings.host,
        max_request_body_size=settings.limits.max_request_bytes,
        max_sessions=MAX_MCP_SESSIONS,
        session_idle_timeout=MCP_SESSION_IDLE_S,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield
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
    api.router.add_route(MCP_PATH, StreamableHTTPASGIApp(mcp.session_manager), include_in_schema=False)
    limited = BodyLimit(api, settings.limits.max_request_bytes, exempt=frozenset({UPLOAD_PATH}))
    return BearerAuth(limited, settings.token)
