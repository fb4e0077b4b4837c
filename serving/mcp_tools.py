"""The MCP server (official ``mcp`` SDK, streamable HTTP): the grounding tools and the job tools.

Each tool of :mod:`serving.catalog` is registered with its argument model's JSON schema as
``inputSchema`` and its output model as ``outputSchema`` (structured content), and runs through the
same :class:`~serving.service.ToolService` as the REST twin. While the agent works, the tool sends
MCP progress notifications (fraction and stage) to clients that asked for them. The job tools
(``job_submit``, ``job_status``, ``job_result``, ``job_cancel``) are REST's ``/jobs`` routes, so a long
run can be started and polled; like REST, a client sees only its own jobs.

Refusals come back as tool errors whose text is one line naming the error type, e.g.
``invalid_video: ...``; arguments are checked by the same code as REST's, so a bad argument reads the
same on both surfaces. The server offers tools only: it advertises no resources or prompts.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from serving import errors
from serving.catalog import TOOLS, ToolDef
from serving.job_store import JobRow
from serving.schemas import JobView, ToolName, ToolOutput
from serving.security import Client, request_client
from serving.service import ToolService, describe_problems

INSTRUCTIONS = (
    "stag grounds language in video: for a target or query it returns, for every referent, an inclusive "
    "interval in seconds and one box per second. Videos are named by a path inside the server's media "
    "roots, by 'upload:<id>' from POST /uploads, or by URL when the server allows that host. For long "
    "videos start a job with job_submit, poll job_status, then fetch job_result."
)
UNSERVED = ("resources/list", "resources/read", "resources/templates/list", "prompts/list", "prompts/get")


class JobSubmitArgs(BaseModel):
    """Arguments of ``job_submit``: a tool call to run in the background."""

    model_config = ConfigDict(extra="forbid")

    tool: ToolName = Field(description="'track_objects' or 'ground_query'")
    args: dict[str, Any] = Field(description="that tool's arguments (see its input schema)")


class JobIdArgs(BaseModel):
    """Arguments naming one of the caller's jobs."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(pattern=r"^[0-9a-f]{32}$", description="the job id job_submit returned (32 hex digits)")


class JobResult(BaseModel):
    """A finished job's answer: the output of the tool it ran."""

    job_id: str
    tool: ToolName
    result: ToolOutput


class _CheckedInTool(FuncMetadata):
    """Leaves argument checking to the tool itself, which answers in the endpoint's one-line form."""

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        return dict(arguments_to_validate)


def _client(ctx: Context) -> Client:
    request = ctx.request_context.request
    scope = getattr(request, "scope", None)
    return request_client(scope) if scope is not None else Client(name="unknown")


def _tool_error(exc: errors.ServeError) -> ToolError:
    return ToolError(f"{exc.type}: {exc.message}")


def _parse(model: type[BaseModel], name: str, arguments: dict[str, Any]) -> Any:
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        raise _tool_error(errors.BadRequest(f"invalid arguments for {name}: {describe_problems(exc)}")) from exc


def _register(name: str, title: str, description: str, args_model: type[BaseModel], output_model: type[BaseModel],
              fn: Any, read_only: bool) -> Tool:
    arg_model = type(args_model.__name__, (args_model, ArgModelBase), {})
    return Tool(
        fn=fn,
        name=name,
        title=title,
        description=description,
        parameters=args_model.model_json_schema(),
        fn_metadata=_CheckedInTool(arg_model=arg_model, output_model=output_model),
        is_async=True,
        context_kwarg="ctx",
        annotations=ToolAnnotations(title=title, read_only_hint=read_only, open_world_hint=False),
    )


def _grounding_tool(service: ToolService, definition: ToolDef) -> Tool:
    async def run(ctx: Context, **arguments: Any) -> BaseModel:
        async def report(row: JobRow) -> None:
            await ctx.report_progress(row.fraction, 1.0, f"{row.stage}: {row.message}".strip(": "))

        try:
            return await service.call(definition.name, arguments, _client(ctx), report)
        except errors.ServeError as exc:
            raise _tool_error(exc) from exc

    return _register(definition.name, definition.title, definition.description, definition.args_model,
                     definition.output_model, run, read_only=True)


def _job_tools(service: ToolService) -> list[Tool]:
    async def submit(ctx: Context, **arguments: Any) -> JobView:
        args = _parse(JobSubmitArgs, "job_submit", arguments)
        try:
            return (await service.start(args.tool, args.args, _client(ctx))).view()
        except errors.ServeError as exc:
            raise _tool_error(exc) from exc

    async def status(ctx: Context, **arguments: Any) -> JobView:
        args = _parse(JobIdArgs, "job_status", arguments)
        try:
            return service.jobs.get(args.job_id, _client(ctx)).view()
        except errors.ServeError as exc:
            raise _tool_error(exc) from exc

    async def result(ctx: Context, **arguments: Any) -> JobResult:
        args = _parse(JobIdArgs, "job_result", arguments)
        try:
            row = service.jobs.get(args.job_id, _client(ctx))
            return JobResult(job_id=row.id, tool=row.tool, result=service.output(row))  # type: ignore[arg-type]
        except errors.ServeError as exc:
            raise _tool_error(exc) from exc

    async def cancel(ctx: Context, **arguments: Any) -> JobView:
        args = _parse(JobIdArgs, "job_cancel", arguments)
        try:
            return service.jobs.cancel(args.job_id, _client(ctx)).view()
        except errors.ServeError as exc:
            raise _tool_error(exc) from exc

    return [
        _register("job_submit", "Start a tool call in the background",
                  "Queue a track_objects or ground_query call as a job and return it at once (state, progress); "
                  "poll job_status, then fetch job_result. For videos that take longer than one call may wait.",
                  JobSubmitArgs, JobView, submit, read_only=False),
        _register("job_status", "A job's state and progress",
                  "The state (queued, running, succeeded, failed, cancelled, interrupted) and progress of one of "
                  "your jobs.", JobIdArgs, JobView, status, read_only=True),
        _register("job_result", "A finished job's answer",
                  "The answer of one of your finished jobs (the output of the tool it ran); an error naming the "
                  "state if it has not succeeded.", JobIdArgs, JobResult, result, read_only=True),
        _register("job_cancel", "Stop a job",
                  "Stop one of your queued or running jobs (a finished job is returned as it is).",
                  JobIdArgs, JobView, cancel, read_only=False),
    ]


def build_mcp(service: ToolService, version: str) -> MCPServer:
    """The MCP server: one tool per catalog entry plus the job tools, and nothing else."""
    server = MCPServer(
        "stag",
        title="stag: grounding language in video",
        instructions=INSTRUCTIONS,
        version=version,
        tools=[*(_grounding_tool(service, d) for d in TOOLS.values()), *_job_tools(service)],
        log_level="WARNING",
    )
    # MCPServer always registers resource and prompt handlers (and so advertises both capabilities);
    # this server has neither, so it must not offer them. The SDK has no public switch for that.
    handlers = server._lowlevel_server._request_handlers
    for method in UNSERVED:
        handlers.pop(method, None)
    return server
