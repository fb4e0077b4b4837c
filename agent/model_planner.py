"""The model planner: a multimodal model behind an OpenAI-compatible endpoint plans time, then space.

- *time* (:meth:`ModelPlanner.plan_time`): one contact sheet of timestamped frames of the whole video
  -> intervals where the query happens;
- *space* (:meth:`ModelPlanner.choose`): set-of-marks frames of the tracks the tools found in those
  intervals -> which track ids, and when. Models without function calling (GLM-4.1V-Thinking) answer
  with JSON actions that the graph routes (``accept``, ``widen``, ``narrow``, ``look``); models with it
  (GLM-4.5V/4.6V, Qwen3-VL; :mod:`agent.model_catalog` says which) call the tools of
  :func:`tools.schemas.openai_tools` natively, plus ``look`` and ``answer``;
- *direct* mode (:meth:`ModelPlanner.track`): the model writes per-second tracks itself (paper 002's
  A.1 prompt) from a 1-FPS video, parsed by :func:`verifier.parsing.parse`.

An invalid answer is retried with the error shown to the model (``GroundConfig.max_model_retries``);
then :class:`~agent.plan.PlannerFailure` makes the graph fall back to the embedded planner. Every call
is in the trace (reasoning and answer excerpts, image tokens, errors).

>>> from agent.api import GroundConfig
>>> profile_for("zai-org/GLM-4.6V-Flash").native_tools, profile_for("Qwen/Qwen2.5-VL-7B-Instruct").coords
(True, 'pixels')
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from agent import prompts
from agent.config import GroundConfig
from agent.embedded import EmbeddedPlanner
from agent.intervals import merge
from agent.model_catalog import DEFAULT_MODEL, REGISTRY, spec_for_name
from agent.model_client import (
    ModelCallError,
    ModelClient,
    ModelUnavailable,
    Reply,
    data_url,
    extract_json,
    fit,
    image_tokens,
)
from agent.plan import (
    Decision,
    Pick,
    PlannerFailure,
    Scene,
    Window,
    class_matches,
    event,
    in_focus,
    last_second,
)
from agent.query import QueryPlan
from tools.track import Track
from verifier.result import TraceEvent, VideoInfo

A = TypeVar("A")
MAX_MARKED = 20
"""Most tracks shown to the model in one space step (the longest ones)."""


class ModelProfile(BaseModel):
    """How a model family writes boxes and whether it calls functions natively."""

    coords: Literal["norm1000", "pixels"]
    native_tools: bool


def profile_for(model: str, coords: str = "auto", tools: str = "auto") -> ModelProfile:
    """The conventions of ``model`` from the one catalogue (:mod:`agent.model_catalog`), with explicit
    overrides; a name no family matches behaves like the default model (GLM-4.1V: 0-1000, JSON actions)."""
    spec = spec_for_name(model) or REGISTRY[DEFAULT_MODEL]
    return ModelProfile(
        coords=("pixels" if spec.coordinates == "pixels" else "norm1000") if coords == "auto" else coords,
        native_tools=spec.supports_tools if tools == "auto" else tools == "native",
    )


def _clip_span(span: tuple[int, int], last: int) -> tuple[int, int] | None:
    s, e = sorted((int(span[0]), int(span[1])))
    s, e = max(0, s), min(last, e)
    return (s, e) if s <= e else None


class ModelPlanner:
    """Planner backed by a multimodal model (see the module docstring)."""

    name = "model"

    def __init__(self, config: GroundConfig, client: ModelClient | None = None) -> None:
        if not config.base_url or not config.model:
            raise ValueError("the model planner needs base_url and model (e.g. --base-url http://127.0.0.1:8000/v1 "
                             "--model zai-org/GLM-4.1V-9B-Thinking)")
        self.config = config
        self.client = client or ModelClient(config.base_url, config.model, config.api_key, config.request_timeout)
        self.profile = profile_for(config.model, config.model_coords, config.model_tools)
        self.helper = EmbeddedPlanner(config)

    # -- one question, with retries ---------------------------------------------------------------
    def _ask(self, step: str, messages: list[dict[str, Any]], images: int, read: Callable[[Reply], A],
             schema: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None,
             max_tokens: int | None = None) -> tuple[A, Reply, list[TraceEvent]]:
        events: list[TraceEvent] = []
        last = ""
        extra = ({"chat_template_kwargs": {"enable_thinking": self.config.model_thinking}}
                 if self.config.model_thinking is not None else None)
        for attempt in range(self.config.max_model_retries + 1):
            try:
                reply = self.client.chat(
                    messages, max_tokens=max_tokens or self.config.model_max_tokens,
                    schema=schema if self.config.use_json_schema and not tools else None, tools=tools,
                    images=images, extra_body=extra)
            except ModelUnavailable as exc:
                events.append(event(step, "error", str(exc)))
                raise PlannerFailure(str(exc), events) from exc
            except ModelCallError as exc:
                last = str(exc)
                events.append(event(step, "error", last, attempt=attempt + 1))
                continue
            events.append(event(
                step, "model", f"model call {attempt + 1}: {_excerpt(reply.answer or reply.refusal or '', 160)}",
                attempt=attempt + 1, image_tokens=images, prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens, seconds=reply.seconds, finish_reason=reply.finish_reason,
                reasoning=_excerpt(reply.thinking or "", 2000), answer=_excerpt(reply.content, 2000),
                tool_calls=[c.model_dump() for c in reply.tool_calls], json_schema=bool(schema and not tools
                                                                                        and self.config.use_json_schema)))
            try:
                if reply.refusal:
                    raise ValueError(f"the model refused: {reply.refusal}")
                return read(reply), reply, events
            except (ValueError, ValidationError, KeyError, TypeError) as exc:
                last = _error_text(exc)
                events.append(event(step, "error", f"invalid answer: {last}", attempt=attempt + 1))
                messages = [*messages, {"role": "assistant", "content": reply.content or reply.refusal or ""},
                            {"role": "user", "content": prompts.RETRY.format(error=last)}]
        raise PlannerFailure(f"no usable answer from {self.config.model} after "
                             f"{self.config.max_model_retries + 1} attempt(s): {last}", events)

    def _image_message(self, text: str, image: np.ndarray) -> tuple[list[dict[str, Any]], int]:
        image = fit(image, self.config.model_image_px)
        content = [{"type": "image_url", "image_url": {"url": data_url(image)}}, {"type": "text", "text": text}]
        return ([{"role": "system", "content": prompts.SYSTEM}, {"role": "user", "content": content}],
                image_tokens(image.shape[1], image.shape[0]))

    # -- understanding ---------------------------------------------------------------------------
    def understand(self, query: str, info: VideoInfo) -> tuple[QueryPlan, list[TraceEvent]]:
        """The detector classes come from the embedded parser; the model reads the query verbatim."""
        plan, events = self.helper.understand(query, info)
        return plan, [*events, event("plan_time", "note", f"model planner: {self.config.model} at "
                                     f"{self.config.base_url} (boxes {self.profile.coords}, "
                                     f"{'native tool calls' if self.profile.native_tools else 'JSON actions'})")]

    # -- time ------------------------------------------------------------------------------------
    def plan_time(self, scene: Scene) -> tuple[list[Window], list[TraceEvent]]:
        """Ask for the intervals on a contact sheet of the whole video."""
        from tools.render import contact_sheet
        from tools.video import iter_samples

        info = scene.info
        last = last_second(info)
        if self.direct:
            return [Window(start=0, end=last, reason="direct mode: the model reads the whole video")], [
                event("plan_time", "plan", "direct mode: the model will read the whole video at 1 FPS")]
        rate = min(1.0, self.config.model_frames / max(1.0, last + 1))
        samples = [(s.time, s.image) for s in iter_samples(scene.video, rate)][: self.config.model_frames]
        cols = max(1, math.ceil(math.sqrt(len(samples) * 9 / 16 * 1.6)))
        tile = max(64, self.config.model_image_px // cols)
        sheet = contact_sheet([im for _, im in samples], [t for t, _ in samples], cols=cols, tile_width=tile)
        text = prompts.TIME.format(duration=info.duration, query=scene.query, last=last)
        messages, tokens = self._image_message(text, sheet)

        def read(reply: Reply) -> prompts.TimeAnswer:
            answer = prompts.TimeAnswer.model_validate(extract_json(reply.answer))
            bad = [s for s in answer.intervals if _clip_span(s, last) is None]
            if bad:
                raise ValueError(f"intervals {bad} lie outside the video (0-{last} s)")
            return answer

        answer, _, events = self._ask("plan_time", messages, tokens, read, schema=prompts.TimeAnswer.model_json_schema())
        spans = merge([(max(0, s - 1), min(last, e + 1)) for s, e in
                       (_clip_span(x, last) for x in answer.intervals) if s is not None], gap=2)
        if not spans:
            events.append(event("plan_time", "plan", f"the model sees no interval ({answer.reason}); the tools "
                                "will look at the whole video"))
            return [Window(start=0, end=last, reason="model saw no interval")], events
        windows = [Window(start=s, end=e, reason="the model's interval") for s, e in spans]
        events.append(event("plan_time", "plan", "model intervals: " + ", ".join(f"{w.start:g}-{w.end:g} s"
                                                                                   for w in windows)
                            + f" ({answer.reason})", intervals=[[w.start, w.end] for w in windows]))
        return windows, events

    # -- space -----------------------------------------------------------------------------------
    def _marked_sheet(self, scene: Scene, tracks: list[Track], seconds: list[int]) -> np.ndarray:
        from tools.render import contact_sheet, render_marks
        from tools.video import iter_samples

        frames = {round(s.time): s.image for s in iter_samples(scene.video, 1.0, min(seconds), max(seconds))
                  if round(s.time) in seconds}
        images, times = [], []
        for sec in seconds:
            if sec not in frames:
                continue
            marks = {t.id: t.boxes[sec] for t in tracks if sec in t.boxes}
            images.append(render_marks(frames[sec], marks, float(sec)))
            times.append(float(sec))
        if not images:
            raise ValueError(f"no frame at seconds {seconds}")
        cols = 1 if len(images) == 1 else 2
        return contact_sheet(images, times, cols=cols, tile_width=max(64, self.config.model_image_px // cols))

    @staticmethod
    def _key_seconds(tracks: list[Track], k: int = 4) -> list[int]:
        """Up to ``k`` seconds that together show every track (greedy cover, middle of each span first)."""
        left = {t.id for t in tracks}
        chosen: list[int] = []
        by_sec: dict[int, set[int]] = {}
        for t in tracks:
            for s in t.boxes:
                by_sec.setdefault(s, set()).add(t.id)
        while left and len(chosen) < k:
            sec = max(by_sec, key=lambda s: (len(by_sec[s] & left), -abs(s - np.median(list(by_sec)))))
            if not by_sec[sec] & left:
                break
            chosen.append(sec)
            left -= by_sec[sec]
        return sorted(chosen)

    @property
    def direct(self) -> bool:
        """True in direct mode (the model writes the tracks; no tools)."""
        return self.config.model_mode == "direct"

    def choose(self, scene: Scene, max_rounds: int) -> tuple[Decision, list[TraceEvent]]:
        """Show the marked tracks; the model names the ids (or asks to look elsewhere)."""
        if self.direct:  # the model's own tracks are its answer
            picks = [Pick(track_id=t.id, interval=(t.first, t.last), score=1.0, reason=f"the model tracked {t.label}")
                     for t in scene.tracks[: self.config.max_referents]]
            msg = f"direct mode: {len(picks)} track(s) from the model"
            return Decision(action="accept", picks=picks, message=msg), [event("choose_referents", "decision", msg)]
        plan = scene.plan
        cands = [t for t in scene.tracks if (not plan or class_matches(t, plan.classes)) and in_focus(t, scene.windows)]
        if not cands:
            return self.helper.choose(scene, max_rounds)  # nothing to show: the embedded rules decide where to look
        cands = sorted(cands, key=lambda t: -len(t.boxes))[:MAX_MARKED]
        info = scene.info
        last = last_second(info)
        seconds = self._key_seconds(cands)
        listing = "; ".join(f"id {t.id}: {t.label}, seen {t.first}-{t.last} s" for t in sorted(cands, key=lambda t: t.id))
        look = prompts.LOOK_NATIVE if self.profile.native_tools else prompts.LOOK_JSON
        text = prompts.SPACE.format(query=scene.query, tracks=listing, look=look)
        messages, tokens = self._image_message(text, self._marked_sheet(scene, cands, seconds))
        ids = {t.id for t in cands}
        events: list[TraceEvent] = [event("choose_referents", "tool", f"render_marks at {seconds} s for "
                                          f"{len(cands)} track(s)", seconds=seconds, tracks=sorted(ids))]
        tools = ([*self._registry_tools(self.config.model_tool_names), prompts.look_tool(), prompts.answer_tool()]
                 if self.profile.native_tools else None)

        def read(reply: Reply) -> prompts.SpaceAnswer | tuple[str, Any]:
            if reply.tool_calls:
                call = reply.tool_calls[0]
                if call.name == "answer":
                    return self._check(prompts.SpaceAnswer.model_validate(json.loads(call.arguments or "{}")), ids, last)
                return ("call", call)
            answer = self._check(prompts.SpaceAnswer.model_validate(extract_json(reply.answer)), ids, last)
            return answer

        for step in range(self.config.max_tool_steps + 1):
            final = step == self.config.max_tool_steps
            got, reply, more = self._ask("choose_referents", messages, tokens, read,
                                         schema=prompts.SpaceAnswer.model_json_schema(), tools=None if final else tools)
            events += more
            if isinstance(got, prompts.SpaceAnswer) and got.action != "look":
                return self._decision(got, scene, cands), events
            # A look or a tool call: run it, show the result, ask again.
            more_msgs, added = self._follow_up(got, reply, scene, cands, events)
            messages, tokens = [*messages, *more_msgs], tokens + added
            if final:
                break
        raise PlannerFailure("the model kept looking without answering", events)

    def _check(self, answer: prompts.SpaceAnswer, ids: set[int], last: int) -> prompts.SpaceAnswer:
        unknown = [r.id for r in answer.referents if r.id not in ids]
        if unknown:
            raise ValueError(f"track ids {unknown} are not marked; the marked ids are {sorted(ids)}")
        if answer.action in ("widen", "narrow") and not answer.intervals:
            raise ValueError(f"action {answer.action!r} needs 'intervals'")
        if answer.action == "look" and (answer.second is None or not 0 <= answer.second <= last):
            raise ValueError(f"action 'look' needs a 'second' between 0 and {last}")
        return answer

    def _follow_up(self, got: Any, reply: Reply, scene: Scene, cands: list[Track],
                   events: list[TraceEvent]) -> tuple[list[dict[str, Any]], int]:
        """Messages that carry a look / tool result back to the model, and the image tokens they add."""
        from tools.schemas import ToolContext, call_tool

        if isinstance(got, prompts.SpaceAnswer):  # JSON action "look"
            sheet = self._marked_sheet(scene, cands, [got.second])
            msgs, tokens = self._image_message(f"The marked tracks at {got.second} s. Now answer.", sheet)
            events.append(event("choose_referents", "tool", f"look at {got.second} s", second=got.second))
            return [{"role": "assistant", "content": reply.content}, msgs[1]], tokens
        call = got[1]
        added = 0
        assistant = {"role": "assistant", "content": reply.content or None, "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}]}
        try:
            args = json.loads(call.arguments or "{}")
            if call.name == "look":
                sheet = self._marked_sheet(scene, cands, [int(args["second"])])
                msgs, added = self._image_message(f"The marked tracks at {args['second']} s.", sheet)
                result_text, image_msg = "the frame is shown below", msgs[1]
            else:
                if "image_format" in (_input_fields(call.name)):
                    args["image_format"] = "base64"
                ctx = ToolContext(roots=[Path(scene.video).resolve().parent],
                                  out_dir=Path(tempfile.mkdtemp(prefix="stag-tool-")))
                out = call_tool(call.name, args, ctx).model_dump(mode="json")
                image = out.pop("image", None) if isinstance(out, dict) else None
                result_text = _excerpt(json.dumps(out), 4000)
                image_msg = None
                if isinstance(image, str) and image.startswith("data:"):
                    image_msg = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": image}},
                                                             {"type": "text", "text": f"output image of {call.name}"}]}
                    added = image_tokens(int(out.get("width", 448)), int(out.get("height", 448)))
            events.append(event("choose_referents", "tool", f"model called {call.name}({_excerpt(call.arguments, 120)})",
                                tool=call.name))
        except (ValueError, KeyError, TypeError, OSError, ValidationError) as exc:  # goes back to the model
            result_text, image_msg = f"error: {_error_text(exc)}", None
            events.append(event("choose_referents", "error", f"tool {call.name} failed: {_error_text(exc)}"))
        tool_msg = {"role": "tool", "tool_call_id": call.id, "content": result_text}
        return [assistant, tool_msg, *([image_msg] if image_msg else [])], added

    @staticmethod
    def _registry_tools(names: list[str] | None) -> list[dict[str, Any]]:
        from tools.schemas import openai_tools

        return [t for t in openai_tools() if names is None or t["function"]["name"] in names]

    def _decision(self, answer: prompts.SpaceAnswer, scene: Scene, cands: list[Track]) -> Decision:
        info = scene.info
        last = last_second(info)
        if answer.action in ("widen", "narrow"):
            spans = [s for s in (_clip_span(x, last) for x in answer.intervals) if s]
            looked = {w.key() for w in scene.windows}
            windows = [w for w in (Window(start=s, end=e, reason=f"the model asked to {answer.action}")
                                   for s, e in spans) if w.key() not in looked]
            return Decision(action=answer.action, windows=windows,
                            message=f"the model asks to {answer.action}: {spans} ({answer.reason})")
        by_id = {t.id: t for t in cands}
        picks = []
        for r in answer.referents[: self.config.max_referents]:
            t = by_id[r.id]
            span = _clip_span(r.interval, last) if r.interval else (t.first, t.last)
            score = float(np.mean(list(t.scores.values()) or [1.0]))
            picks.append(Pick(track_id=r.id, interval=span or (t.first, t.last), score=round(min(1.0, score), 3),
                              reason=f"the model chose track {r.id}: {answer.reason}"))
        msg = f"the model chose {[p.track_id for p in picks]} ({answer.reason})" if picks else (
            f"the model found no matching track ({answer.reason})")
        return Decision(action="accept", picks=picks, message=msg)

    # -- refine ----------------------------------------------------------------------------------
    def refine(self, scene: Scene, picks: list[Pick]) -> tuple[list[Pick], list[TraceEvent]]:
        """Trim each model interval to the seconds where its track has a box."""
        return self.helper.refine(scene, picks)

    # -- direct mode -----------------------------------------------------------------------------
    def track(self, scene: Scene) -> tuple[list[Track], list[TraceEvent]]:
        """The model writes per-second tracks for the query (paper 002 A.1) from a 1-FPS clip."""
        from tools.render import write_h264
        from tools.video import iter_samples
        from verifier.parsing import parse

        info = scene.info
        frames = [fit(s.image, self.config.model_image_px) for s in iter_samples(scene.video, 1.0)]
        frames = frames[: self.config.model_video_seconds]
        h, w = frames[0].shape[:2]
        with tempfile.TemporaryDirectory(prefix="stag-direct-") as tmp:
            clip = write_h264(frames, Path(tmp) / "clip.mp4", fps=1.0)
            url = "data:video/mp4;base64," + __import__("base64").b64encode(clip.read_bytes()).decode()
        text = prompts.TRACKING.format(target=scene.query)
        messages = [{"role": "user", "content": [{"type": "video_url", "video_url": {"url": url}},
                                                 {"type": "text", "text": text}]}]
        tokens = image_tokens(w, h) * len(frames) // 2  # GLM-V merges two frames in time
        size = (info.width, info.height) if self.profile.coords == "norm1000" else (w, h)
        scale = 1.0 if self.profile.coords == "norm1000" else info.width / w

        def read(reply: Reply) -> list[Track]:
            pred = parse(reply.content, coords=self.profile.coords, image_size=size)
            if not pred.ok:
                raise ValueError(pred.reason or "no tracks in the answer")
            out = []
            for i, t in enumerate(pred.tracks, start=1):
                boxes = {s: tuple(float(v) * scale for v in b) for s, b in t.boxes.items() if 0 <= s < len(frames)}
                if boxes:
                    out.append(Track(id=i, label=t.label, boxes=boxes, scores={s: 1.0 for s in boxes}))
            return out

        tracks, _, events = self._ask("perceive", messages, tokens, read, max_tokens=self.config.model_direct_tokens)
        events.append(event("perceive", "plan", f"the model tracked {len(tracks)} object(s) itself (direct mode)",
                            labels=[t.label for t in tracks]))
        return tracks, events


def _input_fields(tool: str) -> set[str]:
    from tools.schemas import REGISTRY

    spec = REGISTRY.get(tool)
    return set(spec.input.model_fields) if spec else set()


def _excerpt(text: str, n: int) -> str:
    text = text or ""
    return text if len(text) <= n else text[: n - 3] + "..."


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        errs = exc.errors()
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in errs[:3])
    return str(exc)
