"""`stag demo --mcp`: the same app as an MCP server (Gradio's, at /gradio_api/mcp/).

Gradio 6's MCP server needs mcp<2 and the main venv has mcp 2.x (for `stag serve`), so the flag
is refused there (tests/test_demo_units.py). With the overlay from scripts/setup_demo_mcp.sh an MCP
client (the main venv's mcp 2.x, over streamable HTTP) lists the tool and runs the real agent.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
from pathlib import Path

import pytest
from demo_server import REPO, running_demo

from demo.examples import default_examples_dir, film_excerpt

OVERLAY = REPO / ".venv-demo-mcp"


async def _list_and_call(url: str, video: Path) -> tuple[list[str], dict, str]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        streamable_http_client(url + "gradio_api/mcp/") as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = (await session.list_tools()).tools
        data = "data:video/mp4;base64," + base64.b64encode(video.read_bytes()).decode()
        answer = await session.call_tool(
            tools[0].name,
            {"video": data, "query": "a car", "planner": "embedded", "base_url": "", "model": "", "sampling": "auto"},
        )
        assert not answer.is_error, answer.content
        return [t.name for t in tools], tools[0].input_schema, answer.content[0].text


@pytest.mark.slow
def test_mcp_server_runs_the_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (OVERLAY / "mcp").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("the mcp<2 overlay is missing; CI must run scripts/setup_demo_mcp.sh (make demo-mcp)")
        pytest.skip("run scripts/setup_demo_mcp.sh first")
    monkeypatch.setenv("PYTHONPATH", str(OVERLAY))
    with running_demo(tmp_path, "--mcp") as url:
        monkeypatch.delenv("PYTHONPATH")
        names, schema, text = asyncio.run(_list_and_call(url, film_excerpt(default_examples_dir())))
    assert names == ["ground_video"]
    assert set(schema["properties"]) == {"video", "query", "planner", "base_url", "model", "sampling"}
    assert schema["properties"]["planner"]["enum"] == ["embedded", "model"]
    assert "stag-banner stag-ok" in text and re.search(r"Found \d+ referents? for “a car”", text)
    assert "result.json" in text and "annotated.mp4" in text
