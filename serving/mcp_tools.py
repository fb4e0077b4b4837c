"""The MCP server (official ``mcp`` SDK, streamable HTTP): ``track_objects`` and ``ground_query``.

Each tool of :mod:`serving.catalog` is registered with its argument model's JSON schema as
``inputSchema`` and its output model as ``outputSchema`` (structured content), and runs through the
same :class:`~serving.service.ToolService` as the REST twin. While the agent works, the tool sends
MCP progress notifications (fraction and stage) to clients that asked for them. Refusals come back
as tool errors whose text starts with the error type, e.g. ``invalid_video: ...``.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import ToolAnnotations
from pydantic import BaseModel

from serving import errors
from serving.catalog import TOOLS, ToolDef
from serving.job_store import JobRow
from serving.service import ToolService

INSTRUCTIONS = (
    "stag grounds language in video: for a target or query it returns, for every referent, an inclusive "
    "interval in seconds and one box per second. Videos are named by a path inside the server's media "
    "roots, by 'upload:<id>' from POST /uploads, or by URL when the server allows that host."
)


def _peer(ctx: Context) -> str:
    request = ctx.request_context.request
    client = getattr(request, "client", None)
    return client.host if client else "unknown"


def _tool(service: ToolService, definition: ToolDef) -> Tool:
    arg_model = type(definition.args_model.__name__, (definition.args_model, ArgModelBase), {})

    async def run(ctx: Context, **arguments: Any) -> BaseModel:
        async def report(row: JobRow) -> None:
            await ctx.report_progress(row.fraction, 1.0, f"{row.stage}: {row.message}".strip(": "))

        try:
            return await service.call(definition.name, arguments, _peer(ctx), report)
        except errors.ServeError as exc:
            raise ToolError(f"{exc.type}: {exc.message}") from exc

    return Tool(
        fn=run,
        name=definition.name,
        title=definition.title,
        description=definition.description,
        parameters=definition.args_model.model_json_schema(),
        fn_metadata=FuncMetadata(arg_model=arg_model, output_model=definition.output_model),
        is_async=True,
        context_kwarg="ctx",
        annotations=ToolAnnotations(title=definition.title, read_only_hint=True, open_world_hint=False),
    )


def build_mcp(service: ToolService, version: str) -> MCPServer:
    """The MCP server with one tool per catalog entry."""
    return MCPServer(
        "stag",
        title="stag: grounding language in video",
        instructions=INSTRUCTIONS,
        version=version,
        tools=[_tool(service, d) for d in TOOLS.values()],
        log_level="WARNING",
    )
