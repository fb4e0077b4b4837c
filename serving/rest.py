"""The REST twin: OpenClaw's ``POST /tools/invoke`` envelope, jobs, uploads, tool listing, health.

Every job, upload and result belongs to the client (bearer token) that made it: other clients get
404 for it and never see it in a listing; an admin token sees all.

Every answer is an envelope, ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"type",
"message"}}``, with the HTTP status saying the same (400 bad arguments, 401 token, 403 path or
URL refused, 404 unknown, 409 not finished, 413 too large, 415 not a video type, 422 unreadable
video or query, 429 limits with Retry-After, 502 URL fetch failed, 504 still running). FastAPI
writes the OpenAPI document at ``/openapi.json`` from the same pydantic models the MCP tools use.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving import errors
from serving.catalog import TOOLS
from serving.schemas import (
    Deleted,
    Failed,
    InvokeRequest,
    JobState,
    JobView,
    Ok,
    ToolOutput,
    UploadInfo,
    UploadView,
)
from serving.security import request_client
from serving.service import ToolService, describe_problems

log = logging.getLogger("stag.serve")

JOB_ID = Path(pattern=r"^[0-9a-f]{32}$", description="job id (32 hex digits)")
UPLOAD_ID = Path(pattern=r"^[0-9a-f]{32}$", description="upload id (32 hex digits)")
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Failed, "description": what}
    for status, what in [
        (400, "invalid arguments"), (401, "missing or wrong bearer token"), (403, "path or URL refused"),
        (404, "unknown tool, job, upload or video (or another client's)"),
        (409, "job not finished, cancelled or interrupted"),
        (413, "request, upload or video too large, JSON nested too deep, or the client's disk quota passed"), (415, "not a video content type"),
        (422, "corrupt video or unusable query"), (429, "client or queue limit reached"),
        (502, "fetching the URL failed"), (504, "still running: poll the job"),
    ]
}


class ToolInfo(BaseModel):
    """A tool and its schemas (the same the MCP server lists)."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]


class Health(BaseModel):
    status: str = "ok"
    version: str
    jobs_active: int = Field(description="jobs queued or running in this process")


def _envelope(err: errors.ServeError) -> JSONResponse:
    headers = {"Retry-After": str(int(err.retry_after))} if err.retry_after else None
    return JSONResponse(Failed(error=err.info()).model_dump(), status_code=err.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure in the envelope, with its status."""

    async def serve_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.ServeError)
        return _envelope(exc)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return _envelope(errors.BadRequest(
                'the request body is not valid JSON; send e.g. {"tool": "track_objects", "args": {...}}'))
        return _envelope(errors.BadRequest(f"invalid request: {describe_problems(exc)}"))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = (f"no route {request.method} {request.url.path[:200]}; see /openapi.json"
                   if exc.status_code in (404, 405) else str(exc.detail)[:500])
        return JSONResponse(Failed(error=errors.ErrorInfo(type=kind, message=message)).model_dump(),
                            status_code=exc.status_code)

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _envelope(errors.Internal(
            f"the server failed unexpectedly ({type(exc).__name__}); retry, and report it if it happens again"))

    app.add_exception_handler(errors.ServeError, serve_error)
    app.add_exception_handler(Exception, crash)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)


def rest_router(service: ToolService, version: str) -> APIRouter:
    """The REST routes over ``service``."""
    router = APIRouter(responses=ERROR_RESPONSES)

    @router.post("/tools/invoke", tags=["tools"], summary="Invoke a tool (OpenClaw envelope)")
    async def invoke(body: InvokeRequest, request: Request) -> Ok[ToolOutput]:
        """Run ``track_objects`` or ``ground_query`` and wait for the answer (see ``GET /tools`` for
        their argument schemas). Long runs answer 504 naming a job to poll; use ``POST /jobs`` for them."""
        return Ok[ToolOutput](result=await service.call(body.tool, body.args, request_client(request.scope)))

    @router.get("/tools", tags=["tools"], summary="List the tools and their schemas")
    async def list_tools() -> Ok[list[ToolInfo]]:
        return Ok[list[ToolInfo]](result=[
            ToolInfo(name=d.name, title=d.title, description=d.description,
                     input_schema=d.args_model.model_json_schema(),
                     output_schema=d.output_model.model_json_schema(mode="serialization"))
            for d in TOOLS.values()
        ])

    @router.post("/jobs", status_code=202, tags=["jobs"], summary="Start a tool call in the background")
    async def submit(body: InvokeRequest, request: Request) -> Ok[JobView]:
        row = await service.start(body.tool, body.args, request_client(request.scope))
        return Ok[JobView](result=row.view())

    @router.get("/jobs", tags=["jobs"], summary="List your recent jobs")
    async def list_jobs(request: Request, state: JobState | None = None,
                        limit: int = Query(default=50, ge=1, le=500)) -> Ok[list[JobView]]:
        return Ok[list[JobView]](result=[r.view() for r in service.jobs.list(request_client(request.scope), state, limit)])

    @router.get("/jobs/{job_id}", tags=["jobs"], summary="A job's state and progress")
    async def get_job(request: Request, job_id: str = JOB_ID) -> Ok[JobView]:
        return Ok[JobView](result=service.jobs.get(job_id, request_client(request.scope)).view())

    @router.delete("/jobs/{job_id}", tags=["jobs"], summary="Delete a finished job and its result")
    async def delete_job(request: Request, job_id: str = JOB_ID) -> Ok[Deleted]:
        await asyncio.to_thread(service.delete_job, job_id, request_client(request.scope))
        return Ok[Deleted](result=Deleted(id=job_id))

    @router.get("/jobs/{job_id}/result", tags=["jobs"], summary="A finished job's answer")
    async def get_result(request: Request, job_id: str = JOB_ID) -> Ok[ToolOutput]:
        return Ok[ToolOutput](result=service.output(service.jobs.get(job_id, request_client(request.scope))))

    @router.post("/jobs/{job_id}/cancel", tags=["jobs"], summary="Stop a queued or running job")
    async def cancel(request: Request, job_id: str = JOB_ID) -> Ok[JobView]:
        return Ok[JobView](result=service.jobs.cancel(job_id, request_client(request.scope)).view())

    @router.post("/jobs/{job_id}/resume", status_code=202, tags=["jobs"],
                 summary="Run an interrupted, cancelled or failed job again")
    async def resume(request: Request, job_id: str = JOB_ID) -> Ok[JobView]:
        return Ok[JobView](result=(await service.resume(job_id, request_client(request.scope))).view())

    @router.post(
        "/uploads", status_code=201, tags=["uploads"], summary="Upload a video (raw body)",
        openapi_extra={"requestBody": {"required": True, "content": {
            t: {"schema": {"type": "string", "format": "binary"}}
            for t in ("video/mp4", "video/webm", "video/quicktime", "application/octet-stream")
        }}},
    )
    async def upload(request: Request) -> Ok[UploadView]:
        """Send the video file as the request body with a ``video/*`` content type; pass the returned
        ``video`` ("upload:<id>") to a tool."""
        declared = request.headers.get("content-length")
        view = await service.upload(
            request.stream(), int(declared) if declared and declared.isdigit() else None,
            request.headers.get("content-type", ""), request_client(request.scope),
        )
        return Ok[UploadView](result=view)

    @router.get("/uploads", tags=["uploads"], summary="List your uploads and disk quota")
    async def list_uploads(request: Request) -> Ok[UploadInfo]:
        return Ok[UploadInfo](result=service.list_uploads(request_client(request.scope)))

    @router.delete("/uploads/{upload_id}", tags=["uploads"], summary="Delete one of your uploads")
    async def delete_upload(request: Request, upload_id: str = UPLOAD_ID) -> Ok[Deleted]:
        service.delete_upload(upload_id, request_client(request.scope))
        return Ok[Deleted](result=Deleted(id=upload_id))

    @router.get("/healthz", tags=["health"], summary="Liveness (no token needed)")
    async def health() -> Ok[Health]:
        return Ok[Health](result=Health(version=version, jobs_active=service.jobs.active_count()))

    return router
