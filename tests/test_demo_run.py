"""One demo run without the page, with the real agent on a real excerpt of the bundled film:
progress by stage, the files it writes, and stopping."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agent.api import Cancelled
from demo.examples import film_excerpt
from demo.request import demo_request
from demo.run import run_demo
from tools.video import probe

pytestmark = pytest.mark.slow  # loads the detectors and the encoder in the test process (the app tests run them in the demo's)


@pytest.fixture(scope="module")
def excerpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return film_excerpt(tmp_path_factory.mktemp("clips"), seconds=5.0)


def test_run_reports_progress_by_stage_and_writes_everything(excerpt: Path, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    outcome = run_demo(
        demo_request(str(excerpt), "the people walking", "embedded", "", "", "1"), tmp_path,
        report=lambda fraction, text: seen.append((fraction, text)),
    )
    stages = [text.split(":")[0] for _, text in seen]
    for stage in ("detecting", "tracking", "reasoning", "smoothing", "rendering the video"):
        assert stage in stages, (stage, sorted(set(stages)))
    assert stages.index("detecting") < stages.index("smoothing") < stages.index("rendering the video")
    fractions = [f for f, _ in seen]
    assert fractions[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in fractions)
    rendering = [f for f, text in seen if text == "rendering the video"]
    assert rendering == sorted(rendering) and min(rendering) >= max(f for f, t in seen if t != "rendering the video")

    assert [p.name for p in outcome.downloads] == ["result.json", "glmv.json", "tracks.mot.txt", "seqinfo.ini",
                                               "annotated.mp4"]
    assert all(p.parent == tmp_path and p.stat().st_size > 0 for p in outcome.downloads)
    assert probe(outcome.annotated_video).frame_count == probe(excerpt).frame_count
    assert outcome.result.query == "the people walking" and outcome.seconds > 0


def test_a_set_stop_event_stops_the_run(excerpt: Path, tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        run_demo(demo_request(str(excerpt), "a car", "embedded", "", "", "auto"), tmp_path, cancel=stop)
    assert not (tmp_path / "annotated.mp4").exists()
