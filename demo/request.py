"""What the page's inputs mean: a checked request that becomes the agent's :class:`GroundConfig`.

Every check fails with a :class:`DemoError` whose message tells the person what to change.

>>> import tempfile, pathlib
>>> clip = pathlib.Path(tempfile.mkdtemp()) / "clip.mp4"
>>> _ = clip.write_bytes(b"not empty")
>>> req = demo_request(str(clip), "  the people walking ", "embedded", "", "", "2")
>>> req.query, req.config.planner, req.config.sample_fps
('the people walking', 'embedded', 2.0)
>>> demo_request(str(clip), "   ", "embedded", "", "", "auto")
Traceback (most recent call last):
...
demo.errors.DemoError: Type what you are looking for in the video, e.g. "the people walking".
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict

from agent.api import GroundConfig
from demo.errors import DemoError

PlannerChoice = Literal["embedded", "model"]

PLANNER_CHOICES: list[tuple[str, PlannerChoice]] = [
    ("Embedded (offline, CPU)", "embedded"),
    ("Model endpoint (OpenAI-compatible, e.g. vLLM serving GLM-V)", "model"),
]
"""(label shown on the page, planner name the agent and API clients use)."""

MAX_QUERY_CHARS = 300
SAMPLING_CHOICES: list[tuple[str, str]] = [
    ("1 per second, extra frames only where identity is ambiguous (default)", "auto"),
    ("0.5 per second", "0.5"),
    ("1 per second", "1"),
    ("2 per second", "2"),
    ("4 per second", "4"),
]
"""``sample_fps``, the one sampling rate: how often the tools detect and track (the answer stays one box
per second)."""


class DemoRequest(BaseModel):
    """One checked run: which video, what query, and how to run the agent."""

    model_config = ConfigDict(frozen=True)

    video: Path
    query: str
    config: GroundConfig


def planner_name(choice: str) -> PlannerChoice:
    """The planner named by the page or an API client ("embedded" or "model").

    >>> planner_name("model")
    'model'
    """
    for _, name in PLANNER_CHOICES:
        if choice == name:
            return name
    raise DemoError(f"Unknown planner {choice!r}: choose 'embedded' or 'model'.")


def check_endpoint_url(url: str) -> str:
    """A model endpoint URL as the OpenAI client wants it (``http(s)://host[:port]/v1``).

    >>> check_endpoint_url(" http://127.0.0.1:8000/v1/ ")
    'http://127.0.0.1:8000/v1'
    """
    url = url.strip().rstrip("/")
    if not url:
        raise DemoError("Enter the model endpoint URL, e.g. http://127.0.0.1:8000/v1, or choose the embedded planner.")
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DemoError(f"The model endpoint URL {url!r} is not an http(s) address, e.g. http://127.0.0.1:8000/v1.")
    return url


def tracking_rate(choice: str | float | None) -> float:
    """``sample_fps`` from the page's choice ("auto": 1, the product's rate).

    >>> tracking_rate("auto"), tracking_rate("2"), tracking_rate(0.5)
    (1.0, 2.0, 0.5)
    """
    if choice is None or str(choice).strip().lower() in ("", "auto"):
        return 1.0
    try:
        rate = float(choice)
    except ValueError:
        rate = float("nan")
    allowed = [float(v) for _, v in SAMPLING_CHOICES if v != "auto"]
    if rate not in allowed:
        raise DemoError(f"Sampling rate {choice!r} is not offered: choose auto or one of {', '.join(map(str, allowed))} per second.")
    return rate


def demo_request(
    video: str | None,
    query: str | None,
    planner: str,
    base_url: str | None,
    model: str | None,
    sampling: str | float | None,
) -> DemoRequest:
    """Check the page's raw inputs and turn them into a :class:`DemoRequest`."""
    if not video:
        raise DemoError("Choose a video first: upload one or click one of the examples below the Find button.")
    path = Path(video)
    if not path.is_file():
        raise DemoError("The uploaded video is no longer on the server; please upload it again.")
    if path.stat().st_size == 0:
        raise DemoError("The uploaded file is empty (0 bytes). Upload a video file.")
    text = " ".join((query or "").split())
    if not text:
        raise DemoError('Type what you are looking for in the video, e.g. "the people walking".')
    if len(text) > MAX_QUERY_CHARS:
        raise DemoError(f"The query is {len(text)} characters long; keep it under {MAX_QUERY_CHARS}.")
    rate = tracking_rate(sampling)
    name = planner_name(planner)
    if name == "model":
        url = check_endpoint_url(base_url or "")
        model_name = (model or "").strip()
        if not model_name:
            raise DemoError("Enter the model name the endpoint serves, e.g. zai-org/GLM-4.1V-9B-Thinking.")
        config = GroundConfig(planner="model", base_url=url, model=model_name, sample_fps=rate)
    else:
        config = GroundConfig(planner="embedded", sample_fps=rate)
    return DemoRequest(video=path, query=text, config=config)
