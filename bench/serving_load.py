"""Bounded load on the tool endpoint over loopback: every request answered or refused with 429, none lost.

Starts a real ``stag serve`` (real agent, a short clip cut from the bundled street film), then:

1. burst: ``--burst`` concurrent ``track_objects`` calls at once, spread over ``--clients``
   simulated clients (each its own bearer token, so its own client with its own limits);
2. stream: one call every ``1/--rate`` seconds for ``--stream-seconds`` (open loop), clients in turn,
   while a poller measures ``/healthz`` latency (is the event loop free while the agent works?).

Then it checks that nothing was lost: every request got 200 or 429, and the server's job table holds
exactly one succeeded job per 200 and nothing else. Prints a table and the command that made it.

    .venv/bin/python bench/serving_load.py                       # 50 burst + 60 s stream at 1/s
    .venv/bin/python bench/serving_load.py --burst 20 --stream-seconds 20 --rate 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path

import httpx

from serving.local import LocalServer, start_local_server
from tools.assets import asset_path
from tools.offline import apply_offline_env
from tools.render import write_h264
from tools.video import iter_frames, probe

ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"


def client_token(i: int) -> str:
    """The bearer token of simulated client ``i``."""
    return f"bench-client-{i:03d}-token-0123456789"


@dataclass
class Outcome:
    status: int | None  # None: no answer (lost)
    seconds: float
    error: str = ""


@dataclass
class Scenario:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0

    def count(self, status: int | None) -> int:
        return sum(o.status == status for o in self.outcomes)

    def row(self) -> list[str]:
        ok = sorted(o.seconds for o in self.outcomes if o.status == 200)
        refused = sorted(o.seconds for o in self.outcomes if o.status == 429)
        other = sum(o.status not in (200, 429, None) for o in self.outcomes)
        return [self.name, str(len(self.outcomes)), str(len(ok)), str(len(refused)), str(other),
                str(self.count(None)), f"{self.wall_s:.1f}", f"{len(ok) / self.wall_s:.2f}" if self.wall_s else "-",
                _q(ok, 0.5), _q(ok, 0.95), _q(refused, 0.5)]


def _q(values: list[float], q: float) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[round(q * 100) - 1]:.2f}"


def cut_clip(dst: Path, start_s: float, seconds: float) -> Path:
    src = asset_path("sample_video")
    fps = probe(src).fps
    first, stop = round(start_s * fps), round((start_s + seconds) * fps)
    return write_h264((im for i, im in takewhile(lambda f: f[0] < stop, iter_frames(src)) if i >= first), dst, fps)


def _clients(server: LocalServer, n: int, timeout: float) -> list[httpx.AsyncClient]:
    return [httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {client_token(i)}"},
                              timeout=timeout) for i in range(n)]


async def _call(client: httpx.AsyncClient, body: dict) -> Outcome:
    start = time.perf_counter()
    try:
        response = await client.post("/tools/invoke", json=body)
    except httpx.HTTPError as exc:
        return Outcome(None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    elapsed = time.perf_counter() - start
    ok = response.status_code == 200 and response.json().get("ok") is True
    if response.status_code == 200 and not ok:
        return Outcome(-1, elapsed, "200 without ok envelope")
    return Outcome(response.status_code, elapsed, "" if ok or response.status_code == 429 else response.text[:200])


async def burst(clients: list[httpx.AsyncClient], body: dict, n: int) -> Scenario:
    scenario = Scenario(f"burst: {n} at once")
    start = time.perf_counter()
    scenario.outcomes = list(await asyncio.gather(*(_call(clients[i % len(clients)], body) for i in range(n))))
    scenario.wall_s = time.perf_counter() - start
    return scenario


async def stream(clients: list[httpx.AsyncClient], body: dict, seconds: float, rate: float,
                 health: httpx.AsyncClient) -> tuple[Scenario, Scenario]:
    scenario = Scenario(f"stream: {rate:g}/s for {seconds:g} s")
    polls = Scenario("/healthz during stream")
    start = time.perf_counter()
    tasks = []
    stop = asyncio.Event()

    async def poll() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            try:
                r = await health.get("/healthz")
                polls.outcomes.append(Outcome(r.status_code, time.perf_counter() - t))
            except httpx.HTTPError as exc:
                polls.outcomes.append(Outcome(None, time.perf_counter() - t, str(exc)))
            await asyncio.sleep(0.25)

    poller = asyncio.create_task(poll())
    for i in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(_call(clients[i % len(clients)], body)))
    scenario.outcomes = list(await asyncio.gather(*tasks))
    stop.set()
    await poller
    scenario.wall_s = polls.wall_s = time.perf_counter() - start
    return scenario, polls


async def run(args: argparse.Namespace, server: LocalServer, video: str) -> list[Scenario]:
    body = {"tool": "track_objects", "args": {"target": "the person", "video": video}}
    clients = _clients(server, args.clients, timeout=args.request_timeout)
    health = httpx.AsyncClient(base_url=server.url, timeout=30)
    try:
        warm = Scenario("warm-up: 1 call")
        t = time.perf_counter()
        warm.outcomes = [await _call(clients[0], body)]
        warm.wall_s = time.perf_counter() - t
        scenarios = [warm, await burst(clients, body, args.burst)]
        scenarios.extend(await stream(clients, body, args.stream_seconds, args.rate, health))
        return scenarios
    finally:
        for c in [*clients, health]:
            await c.aclose()


def check_nothing_lost(server: LocalServer, scenarios: list[Scenario]) -> list[str]:
    """Problems found: lost requests, unexpected statuses, jobs that do not match the 200s."""
    calls = [s for s in scenarios if not s.name.startswith("/healthz")]
    problems = [f"{s.name}: {s.count(None)} request(s) got no answer" for s in calls if s.count(None)]
    for s in calls:
        odd = [o for o in s.outcomes if o.status not in (200, 429, None)]
        if odd:
            problems.append(f"{s.name}: {len(odd)} answer(s) neither 200 nor 429, e.g. {odd[0].status} {odd[0].error}")
    jobs = httpx.get(f"{server.url}/jobs", params={"limit": 500},
                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["result"]  # every client's
    states = {state: sum(j["state"] == state for j in jobs) for state in {j["state"] for j in jobs}}
    answered = sum(s.count(200) for s in calls)
    if states.get("succeeded", 0) != answered or len(jobs) != answered:
        problems.append(f"job table {states} does not match {answered} answered call(s)")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--burst", type=int, default=50, help="concurrent calls in the burst (default 50)")
    p.add_argument("--stream-seconds", type=float, default=60.0, help="length of the steady stream (default 60)")
    p.add_argument("--rate", type=float, default=1.0, help="calls per second in the stream (default 1)")
    p.add_argument("--clients", type=int, default=10, help="simulated clients (one bearer token each)")
    p.add_argument("--clip-seconds", type=float, default=2.0, help="length of the clip every call grounds")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-active-per-client", type=int, default=4)
    p.add_argument("--max-queued", type=int, default=16)
    p.add_argument("--request-timeout", type=float, default=600.0)
    p.add_argument("--ground", action="append", default=[], metavar="NAME=VALUE",
                   help="agent setting passed to stag serve (e.g. detector=coco); default: the agent's defaults")
    args = p.parse_args(argv)
    if not (1 <= args.burst <= 500 and 0 < args.stream_seconds <= 600 and 0 < args.rate <= 20
            and 1 <= args.clients <= 200):
        p.error("keep it bounded: burst 1-500, stream-seconds <= 600, rate <= 20/s, clients 1-200")
    apply_offline_env()

    with tempfile.TemporaryDirectory(prefix="stag-load-") as tmp:
        media = Path(tmp) / "media"
        cut_clip(media / "clip.mp4", start_s=10, seconds=args.clip_seconds)
        server = start_local_server(
            ["--media-root", str(media), "--db", str(Path(tmp) / "jobs.sqlite3"), "--log-level", "warning",
             "--limit", f"workers={args.workers}", "--limit", f"max_active_per_client={args.max_active_per_client}",
             "--limit", f"max_queued={args.max_queued}", *(f"--ground={g}" for g in args.ground),
             *(f"--token={client_token(i)}" for i in range(args.clients)), f"--admin-token={ADMIN_TOKEN}"],
            log_path=Path(tmp) / "server.log",
        )
        try:
            scenarios = asyncio.run(run(args, server, "clip.mp4"))
            problems = check_nothing_lost(server, scenarios)
        finally:
            server.stop()

    head = ["scenario", "sent", "200", "429", "other", "lost", "wall s", "ok/s", "p50 s", "p95 s", "429 p50 s"]
    rows = [head, *[s.row() for s in scenarios]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    print(f"stag serve under load: workers={args.workers}, max_active_per_client={args.max_active_per_client}, "
          f"max_queued={args.max_queued}, {args.clients} clients, {args.clip_seconds:g} s clip, "
          f"track_objects, agent settings {args.ground or 'default'}, {os.cpu_count()} CPU cores")
    for i, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("none lost: every call answered 200 or 429; one succeeded job per 200" if not problems
          else "PROBLEMS:\n  " + "\n  ".join(problems))
    print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
