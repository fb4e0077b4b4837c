"""Run the agent over samples: grouped by video, on local processes or Ray, resumable.

Samples are grouped by the real video file, so each video is perceived once (its perception cache
folder, ``<out>/cache/<digest>``, is passed to :func:`agent.api.ground` as ``cache_dir``), and each
worker takes whole videos. A worker is a :class:`Grounder` (one per process, or one Ray actor, so
models load once per worker); it grounds its samples in order, and the driver appends each finished
one to ``predictions.jsonl`` at once, so a killed run loses at most the samples in flight, and a
rerun skips every sample id already there.

>>> from stagdata.sample import Sample
>>> a = Sample(sample_id="1", dataset="synth", video="/v/a.mp4", query="q", kind="single", fps=30, frame_count=9, width=8, height=8)
>>> b = a.model_copy(update={"sample_id": "2", "video": "/v/b.mp4"})
>>> c = a.model_copy(update={"sample_id": "3"})
>>> [[s.sample_id for s in q] for q in share(group_by_video([a, b, c]), 2)]
[['1', '3'], ['2']]
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import queue
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from agent.api import GroundConfig
from stagdata.sample import Sample
from verifier.result import GroundingResult

Executor = Literal["local", "ray"]


class Prediction(BaseModel):
    """One line of ``predictions.jsonl``: a sample's result (or the error that stopped it)."""

    sample_id: str
    query: str
    video: str
    result: GroundingResult | None = None
    error: str | None = None
    seconds: float = Field(default=0.0, description="wall time of the grounding call")
    worker: str = ""


class Grounder:
    """Grounds samples with one configuration; perception is cached per video under ``cache_root``."""

    def __init__(self, config: dict, cache_root: str) -> None:
        self.config = GroundConfig.model_validate(config)
        self.cache_root = Path(cache_root)

    def run(self, sample: dict) -> dict:
        """Ground one sample (a ``Sample`` as a dict); returns a ``Prediction`` as a dict."""
        from agent.api import ground
        from tools.video import VideoError

        s = Sample.model_validate(sample)
        cache = self.cache_root / hashlib.sha1(s.video_key.encode()).hexdigest()[:16]
        cache.mkdir(parents=True, exist_ok=True)
        config = self.config.model_copy(update={"cache_dir": str(cache)})
        t = time.perf_counter()
        try:
            result, error = ground(s.video, s.query, config), None
        except (VideoError, ValueError) as exc:          # bad video or query: this sample scores 0
            result, error = None, f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 (one failing sample must not stop a 100k-sample run)
            result, error = None, f"{type(exc).__name__}: {exc}"
        return Prediction(sample_id=s.sample_id, query=s.query, video=s.video, result=result, error=error,
                          seconds=round(time.perf_counter() - t, 3), worker=f"pid{os.getpid()}").model_dump(mode="json")


class PredictionLog:
    """``predictions.jsonl``: read what is done (dropping a line cut short by a kill), append the rest."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Prediction]:
        """Finished predictions by sample id; a torn last line is cut off the file."""
        if not self.path.exists():
            return {}
        raw = self.path.read_bytes()
        good = raw.rfind(b"\n") + 1
        if good < len(raw):
            with self.path.open("r+b") as f:
                f.truncate(good)
        out = {}
        for line in raw[:good].decode().splitlines():
            if line.strip():
                p = Prediction.model_validate_json(line)
                out[p.sample_id] = p
        return out

    def append(self, pred: Prediction) -> None:
        """Append one prediction as one line, flushed to disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(pred.model_dump_json() + "\n")
            f.flush()
            os.fsync(f.fileno())


def group_by_video(samples: Sequence[Sample]) -> list[list[Sample]]:
    """Samples grouped by real video file, groups in order of first appearance."""
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault(s.video_key, []).append(s)
    return list(groups.values())


def share(groups: Sequence[list[Sample]], workers: int) -> list[list[Sample]]:
    """Whole videos dealt to ``workers`` queues, each to the least loaded (empty queues dropped)."""
    queues: list[list[Sample]] = [[] for _ in range(max(1, workers))]
    for g in groups:
        min(queues, key=len).extend(g)
    return [q for q in queues if q]


def _worker(config: dict, cache_root: str, samples: list[dict], outbox: mp.Queue, parent: int) -> None:
    """A local worker process: one Grounder over its samples, each result sent as it finishes; it
    stops when the driver is gone (killed), so a rerun never shares a video with an orphan."""
    from tools.offline import apply_offline_env

    apply_offline_env()
    g = Grounder(config, cache_root)
    for s in samples:
        if os.getppid() != parent:
            return
        outbox.put(g.run(s))


def run_local(queues: list[list[Sample]], config: GroundConfig, cache_root: str,
              on_done: Callable[[Prediction], None]) -> None:
    """One queue in this process; several in spawned worker processes."""
    cfg = config.model_dump(mode="json")
    if len(queues) == 1:
        g = Grounder(cfg, cache_root)
        for s in queues[0]:
            on_done(Prediction.model_validate(g.run(s.model_dump(mode="json"))))
        return
    ctx = mp.get_context("spawn")
    outbox = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(cfg, cache_root, [s.model_dump(mode="json") for s in q], outbox, os.getpid()),
                         daemon=True) for q in queues]
    for p in procs:
        p.start()
    pending = {s.sample_id: s for q in queues for s in q}
    try:
        while pending:
            try:
                pred = Prediction.model_validate(outbox.get(timeout=1.0))
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and outbox.empty():
                    raise RuntimeError(f"workers exited with {len(pending)} samples unfinished "
                                       f"(exit codes {[p.exitcode for p in procs]})") from None
                continue
            pending.pop(pred.sample_id, None)
            on_done(pred)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join(timeout=10)


def run_ray(queues: list[list[Sample]], config: GroundConfig, cache_root: str,
            on_done: Callable[[Prediction], None], address: str | None = None) -> None:
    """One Ray actor per queue (a :class:`Grounder`), on a local Ray on loopback or at ``address``.

    A local Ray gets one CPU per queue and the repository on its workers' ``PYTHONPATH``; on a cluster
    (``address``) stag must be installed on every node and the videos and ``cache_root`` must be
    reachable at the same paths (a shared file system).
    """
    import ray

    repo = str(Path(__file__).resolve().parents[1])
    env = {"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])),
                        "YOLO_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}}
    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, runtime_env=env, log_to_driver=False)
        else:
            ray.init(num_cpus=len(queues), include_dashboard=False, _node_ip_address="127.0.0.1",
                     runtime_env=env, log_to_driver=False, configure_logging=False)
        started = True
    try:
        actor_cls = ray.remote(num_cpus=1)(Grounder)
        cfg = config.model_dump(mode="json")
        actors = [actor_cls.remote(cfg, cache_root) for _ in queues]
        pending = [a.run.remote(s.model_dump(mode="json")) for a, q in zip(actors, queues) for s in q]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            on_done(Prediction.model_validate(ray.get(done[0])))
    finally:
        if started:
            ray.shutdown()


def run(samples: Sequence[Sample], out: str | Path, config: GroundConfig, *, workers: int = 1,
        executor: Executor = "local", ray_address: str | None = None,
        on_done: Callable[[Prediction], None] | None = None) -> dict[str, Prediction]:
    """Ground every sample not yet in ``out/predictions.jsonl``; returns all predictions of ``samples``."""
    out = Path(out)
    log = PredictionLog(out / "predictions.jsonl")
    done = log.load()
    todo = [s for s in samples if s.sample_id not in done]
    cache_root = str(config.cache_dir or (out / "cache"))

    def finish(p: Prediction) -> None:
        log.append(p)
        done[p.sample_id] = p
        if on_done:
            on_done(p)

    if todo:
        queues = share(group_by_video(todo), workers)
        if executor == "ray":
            run_ray(queues, config, cache_root, finish, ray_address)
        else:
            run_local(queues, config, cache_root, finish)
    return {s.sample_id: done[s.sample_id] for s in samples if s.sample_id in done}

