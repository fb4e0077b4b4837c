"""The Gradio page: pick or upload a video, type what you are looking for, see every referent found.

:func:`build_app` wires the page's events: :func:`layout` draws it (:class:`Form` in, :class:`Results`
out), :func:`run_handlers` runs a query (the work itself is :func:`demo.run.run_demo`).
The run event is exposed to API and MCP clients as ``/ground``.

>>> import tempfile
>>> app = build_app([], tempfile.mkdtemp())       # doctest: +SKIP
>>> app.launch(server_name="127.0.0.1")            # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gradio as gr

from agent.api import Cancelled
from demo.errors import DemoError, plain_message
from demo.examples import Example
from demo.referents import empty_referent_table, referent_id_of_row, referent_table, track_gallery
from demo.request import PLANNER_CHOICES, SAMPLING_CHOICES, demo_request, planner_name
from demo.run import DemoOutcome, run_demo
from demo.timeline import timeline_figure
from demo.trace_view import trace_markdown
from tools.video import VideoError
from verifier.result import GroundingResult

logger = logging.getLogger(__name__)

TITLE = "stag · find it in a video"
HEADER = """
<div id="stag-header">
  <h1>stag <span>· find it in a video</span></h1>
  <p>Type what you are looking for. stag finds <b>when</b> it happens (seconds) and <b>where</b>
  (a box every second) for every match, and shows how it decided.</p>
</div>
"""
CSS_PATH = Path(__file__).with_name("style.css")

BannerKind = Literal["ok", "warn", "error", "idle"]


def banner(kind: BannerKind, text: str, notes: Sequence[str] = ()) -> str:
    """The status line above the results (``stag-error`` marks an error for people and tests alike).

    >>> banner("error", "The file is <empty>.")
    '<div class="stag-banner stag-error" role="alert">The file is &lt;empty&gt;.</div>'
    """
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    extra = f"<ul>{items}</ul>" if items else ""
    role = ' role="alert"' if kind == "error" else ""
    return f'<div class="stag-banner stag-{kind}"{role}>{html.escape(text)}{extra}</div>'


IDLE = banner("idle", "Pick an example or upload a video, type a query and press Find.")


def summary(outcome: DemoOutcome) -> str:
    """One line saying what was found, for the banner."""
    result = outcome.result
    n = len(result.referents)
    found = "No referent found" if n == 0 else "Found 1 referent" if n == 1 else f"Found {n} referents"
    return (
        f"{found} for “{result.query}” in {result.video.duration:.0f} s of video "
        f"({outcome.seconds:.1f} s, {result.planner} planner)."
    )


def _failure(message: str, kind: BannerKind = "error") -> tuple[Any, ...]:
    """The page's outputs when a run ends without a result: the banner says why, the rest is cleared."""
    return (banner(kind, message), None, None, empty_referent_table(), "", None, [])


def _gallery_of(result: GroundingResult, video: str, rid: int | None) -> gr.Gallery:
    if rid is None:
        return gr.Gallery(value=[], label="Track (click a referent in the table)")
    ref = result.referent(rid)
    crops = track_gallery(video, ref)
    s, e = ref.interval
    return gr.Gallery(value=crops, label=f"Track of #{ref.id} {ref.label}: {len(crops)} seconds from {s} s to {e} s")


def _success(outcome: DemoOutcome, video: str) -> tuple[Any, ...]:
    """The page's outputs for a finished run, the first referent's track in the gallery."""
    result = outcome.result
    notices = list(outcome.notices)
    first = result.referents[0].id if result.referents else None
    try:
        gallery = _gallery_of(result, video, first)
    except VideoError as exc:
        notices.append(plain_message(exc))
        gallery = gr.Gallery(value=[])
    return (
        banner("warn" if notices else "ok", summary(outcome), notices),
        str(outcome.annotated_video),
        timeline_figure(result),
        referent_table(result),
        trace_markdown(result.trace),
        [str(p) for p in outcome.downloads],
        gallery,
    )


def show_track(files: list[str] | None, evt: gr.SelectData) -> gr.Gallery:
    """The clicked referent's track, read back from the run's result.json download."""
    rid = referent_id_of_row(evt.row_value)
    saved = next((Path(f) for f in files or [] if Path(f).name == "result.json"), None)
    if saved is None or rid is None:
        return gr.skip()
    result = GroundingResult.model_validate_json(saved.read_text())
    try:
        return _gallery_of(result, result.video.path, rid)
    except (KeyError, VideoError) as exc:
        return gr.Gallery(value=[], label=plain_message(exc))


def planner_fields(choice: str) -> gr.Row:
    """The endpoint fields show only for the model planner."""
    return gr.Row(visible=planner_name(choice) == "model")


def run_handlers(workdir: Path) -> tuple[Callable[..., tuple[Any, ...]], Callable[[gr.Request], str]]:
    """The Find and Stop handlers; they share the Stop event of each session's running query."""
    stops: dict[str, threading.Event] = {}

    def ground_video(
        video: str | None,
        query: str,
        planner: str,
        base_url: str,
        model: str,
        sampling: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio injects progress through this default)
    ) -> tuple[Any, ...]:
        """Find when and where every referent of a typed query appears in a video.

        Args:
            video: the video file (MP4, MOV, WebM, AVI).
            query: what to look for, e.g. "the people crossing from the left".
            planner: "embedded" (offline) or "model" (an OpenAI-compatible endpoint).
            base_url: the model endpoint URL when planner is "model", e.g. http://127.0.0.1:8000/v1.
            model: the model name served at base_url.
            sampling: frames per second the tools look at to track: "auto" (default), "0.5", "1", "2" or "4";
                the answer has one box per second either way.
        """
        key = getattr(request, "session_hash", None) or "api"
        stop = stops[key] = threading.Event()
        try:
            req = demo_request(video, query, planner, base_url, model, sampling)
            progress(0.0, desc="starting")
            outcome = run_demo(
                req, tempfile.mkdtemp(prefix="run-", dir=workdir),
                report=lambda fraction, text: progress(fraction, desc=text), cancel=stop,
            )
        except Cancelled:
            return _failure(plain_message(Cancelled()), kind="warn")
        except (DemoError, VideoError, ValueError) as exc:
            return _failure(plain_message(exc))
        except Exception as exc:  # anything else: plain words on the page, the traceback in the log
            logger.exception("demo run failed")
            return _failure(plain_message(exc))
        finally:
            stops.pop(key, None)
        return _success(outcome, str(req.video))

    def stop_run(request: gr.Request) -> str:
        event = stops.get(getattr(request, "session_hash", None) or "api")
        if event is None:
            return gr.skip()
        event.set()
        return banner("warn", "Stopping after the current step…")

    return ground_video, stop_run


@dataclass
class Form:
    """The left column: what to look for, where, and how."""

    video: gr.Video
    query: gr.Textbox
    planner: gr.Radio
    model_fields: gr.Row
    base_url: gr.Textbox
    model: gr.Textbox
    sampling: gr.Dropdown
    run: gr.Button
    stop: gr.Button

    def inputs(self) -> list[gr.components.Component]:
        """The run's arguments, in :func:`run_handlers`' ``ground_video`` order."""
        return [self.video, self.query, self.planner, self.base_url, self.model, self.sampling]


@dataclass
class Results:
    """Everything a run shows."""

    status: gr.HTML
    video: gr.Video
    timeline: gr.Plot
    table: gr.Dataframe
    gallery: gr.Gallery
    trace: gr.Markdown
    files: gr.File

    def outputs(self) -> list[gr.components.Component]:
        """The run's outputs, in :func:`_success` order."""
        return [self.status, self.video, self.timeline, self.table, self.trace, self.files, self.gallery]


def form_column(examples: Sequence[Example]) -> Form:
    """Video, query, planner and sampling, Find / Stop, and the examples (inside the current column)."""
    video_in = gr.Video(label="Video", sources=["upload"], height=250, elem_id="stag-video-in")
    query = gr.Textbox(
        label="What are you looking for?", placeholder="e.g. the people crossing from the left",
        max_lines=2, elem_id="stag-query",
    )
    with gr.Accordion("Planner and sampling", open=False):
        planner = gr.Radio(PLANNER_CHOICES, value="embedded", label="Planner", elem_id="stag-planner")
        with gr.Row(visible=False) as model_fields:
            base_url = gr.Textbox(label="Endpoint URL", placeholder="http://127.0.0.1:8000/v1")
            model = gr.Textbox(label="Model name", placeholder="zai-org/GLM-4.1V-9B-Thinking")
        sampling = gr.Dropdown(
            SAMPLING_CHOICES, value="auto", label="Sampling rate (frames the tools look at per second)",
            elem_id="stag-sampling",
        )
    with gr.Row():
        run = gr.Button("Find", variant="primary", scale=3, elem_id="stag-run")
        stop = gr.Button("Stop", variant="stop", scale=1, elem_id="stag-stop")
    if examples:
        gr.Examples(
            examples=[[str(e.video), e.query] for e in examples],
            example_labels=[e.label for e in examples],
            inputs=[video_in, query], label="Examples", elem_id="stag-examples",
        )
    return Form(video_in, query, planner, model_fields, base_url, model, sampling, run, stop)


def layout(examples: Sequence[Example]) -> tuple[Form, Results]:
    """The page: the form beside the annotated video and timeline; below, referents beside their track;
    then the reasoning beside the downloads."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=340):
            form = form_column(examples)
        with gr.Column(scale=3, min_width=420):
            status = gr.HTML(IDLE, elem_id="stag-status")
            video_out = gr.Video(
                label="Annotated video (referents boxed with their id and a short trail; other tracked objects faint)",
                interactive=False, height=360, elem_id="stag-video-out",
            )
            timeline = gr.Plot(label="Timeline", show_label=False, elem_id="stag-timeline")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            table = gr.Dataframe(
                value=empty_referent_table(), interactive=False, max_height=320,
                label="Referents · click a row to see its track", elem_id="stag-referents",
            )
        with gr.Column(scale=2):
            gallery = gr.Gallery(
                label="Track (click a referent in the table)", columns=4, height=320,
                object_fit="contain", elem_id="stag-track",
            )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3), gr.Accordion("Reasoning and tool calls", open=True):
            trace = gr.Markdown("_Run a query to see how stag decides._", max_height=360, elem_id="stag-trace")
        with gr.Column(scale=2):
            files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="stag-downloads")
    return form, Results(status, video_out, timeline, table, gallery, trace, files)


def build_app(examples: Sequence[Example], workdir: str | Path) -> gr.Blocks:
    """The demo page. ``workdir`` receives each run's annotated video and downloads."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ground_video, stop_run = run_handlers(workdir)
    with gr.Blocks(title=TITLE, delete_cache=(3600, 24 * 3600)) as app:
        gr.HTML(HEADER)
        form, shown = layout(examples)
        form.run.click(ground_video, form.inputs(), shown.outputs(), api_name="ground")
        form.query.submit(ground_video, form.inputs(), shown.outputs(), api_visibility="private")
        form.stop.click(stop_run, None, shown.status, api_visibility="private", queue=False)
        shown.table.select(show_track, shown.files, shown.gallery, api_visibility="private")
        form.planner.change(planner_fields, form.planner, form.model_fields, api_visibility="private", queue=False)
    return app


def theme() -> gr.themes.Base:
    """The page's look (fonts ship with Gradio: nothing is fetched)."""
    return gr.themes.Soft(primary_hue="indigo", secondary_hue="amber", neutral_hue="slate")


def launch_options() -> dict[str, Any]:
    """``launch()`` keywords that style the page (Gradio 6 takes theme and css there)."""
    return {"theme": theme(), "css": CSS_PATH.read_text(), "footer_links": ["api"]}
