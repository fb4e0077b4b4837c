"""Bad input gets a clear message, never a crash: empty or nonsense queries, unknown classes, a video
shorter than a second, files that are not videos, missing options; and a run cut short resumes from
its SQLite checkpoint."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from agent.api import Cancelled, GroundConfig, ground
from agent.query import QueryError
from stagdata.synth.generate import render_clip
from tools.render import write_h264
from tools.video import VideoError


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("clip")
    video = render_clip(root, "stop", seconds=8.0, seed=1)
    return str(root / video.path)


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> GroundConfig:
    return GroundConfig(detector="coco", cache_dir=str(tmp_path_factory.mktemp("cache")))


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent.cli", "ground", *argv], capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.parametrize("query, message", [
    ("", "the query is empty"),
    ("   ", "the query is empty"),
    ("?!", "has no words"),
    ("asdf qwer zxcv", "could not find anything to look for"),
    ("x" * 600, "keep it under 500"),
])
def test_bad_queries_raise_a_clear_error(clip, config, query, message):
    with pytest.raises(QueryError, match=message):
        ground(clip, query, config)


def test_a_class_never_seen_gives_an_empty_answer(clip, config):
    result = ground(clip, "the horse", config)
    assert result.referents == []
    assert "no horse was found in the video (the detector saw: person)" in result.trace[-1].message


def test_a_video_shorter_than_a_second(tmp_path, config):
    frames = [np.full((120, 160, 3), 90, np.uint8) for _ in range(12)]
    video = write_h264(frames, tmp_path / "short.mp4", fps=24)
    result = ground(video, "the people walking", config)
    assert result.video.duration == pytest.approx(0.5, abs=0.05)
    assert result.referents == []
    assert result.stats.frames_detected == 1 and not result.stats.cached
    assert any(e.step == "perceive" and "frames detected" in e.message for e in result.trace)


def test_not_a_video_raises_video_error(tmp_path, config):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video")
    with pytest.raises(VideoError, match="not a video"):
        ground(fake, "the people walking", config)


def test_cli_reports_bad_input_with_exit_code_2(tmp_path, clip):
    fake = tmp_path / "empty.mp4"
    fake.write_bytes(b"")
    proc = _cli(str(fake), "the people walking", "--quiet")
    assert proc.returncode == 2 and "empty (0 bytes)" in proc.stderr and proc.stdout == ""
    proc = _cli(clip, "", "--quiet", "--json")
    assert proc.returncode == 2 and "the query is empty" in proc.stderr and proc.stdout == ""
    proc = _cli(clip, "people", "--planner", "model")
    assert proc.returncode == 2 and "needs --base-url and --model" in proc.stderr
    proc = _cli("--example")
    assert proc.returncode == 2


def test_cancel_then_resume_from_the_checkpoint(clip, config, tmp_path):
    ckpt = tmp_path / "runs.sqlite"
    cfg = config.model_copy(update={"checkpoint": str(ckpt), "thread_id": "job-1"})
    cancel = threading.Event()

    def stop_when_reasoning(ev) -> None:
        if ev.stage == "reason":
            cancel.set()

    with pytest.raises(Cancelled):
        ground(clip, "the man who stops walking", cfg, on_progress=stop_when_reasoning, cancel=cancel)
    stages: list[str] = []
    result = ground(clip, "the man who stops walking", cfg, on_progress=lambda ev: stages.append(ev.stage))
    # The cancel takes effect at the running step's next progress report: the run resumes at the
    # choice or just after it, never looking at the video again.
    assert stages[0] in ("reason", "refine") and not {"probe", "plan", "detect"} & set(stages), stages
    steps = [e.step for e in result.trace]
    assert steps.count("probe") == 1 and steps.count("perceive") >= 1 and "resume" in steps
    assert steps.index("perceive") < steps.index("resume") and "choose_referents" in steps
    # A finished thread returns its stored result; a different query on it is refused.
    again = ground(clip, "the man who stops walking", cfg)
    assert again == result
    with pytest.raises(ValueError, match="belongs to another run"):
        ground(clip, "the people", cfg)
