"""Scene direction: small scripted 'acts' (crossing, stopping, meeting, following, ...) put together.

An act writes the motion scripts of one to three actors so that a particular thing happens (two
people meet in the middle, a runner overtakes a walker, ...); a scene is several acts overlapping in
time on one background, so every query has distractors doing other things. People appear only at
the picture's sides or at the first frame, stand on a few depth lanes (feet rows) with sizes from
the background's perspective (by default the near ground band, 150-200 px; a config may ask for
e.g. 40-200 px, far lanes up the street), walk in depth growing or shrinking with their feet row,
move at speeds in body heights per second, and no identity is used twice at the same time.

Everything random comes from one ``random.Random`` passed in: a seed gives one scene.

>>> import random
>>> from stagdata.synth.catalog import load_catalog
>>> cat = load_catalog()
>>> ctx = SceneContext(cat, cat.backgrounds[0], fps=30, frame_count=300, rng=random.Random(1))
>>> scripts = ACTS["meet"](ctx, 0)
>>> len(scripts), scripts[0].segments[0].vx > 0 > scripts[1].segments[0].vx
(2, True)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stagdata.synth.catalog import BackgroundSource, Catalog
from stagdata.synth.motion import ActorScript, Segment

WALK_SPEED = (0.45, 0.65)
"""Walking speed range, body heights per second (a 170 px tall person: 75-110 px/s)."""
RUN_SPEED = (1.3, 1.65)
"""Running speed range, body heights per second."""
DEPTH_RATE = (0.1, 0.16)
"""Walking in depth: relative growth (toward the camera) or shrinking of the body per second."""
LANES = 5
"""Depth lanes (feet rows) spread over the people's height range."""
OFFSCREEN = 0.45
"""An actor entering starts this many body heights beyond the picture's side (wholly outside)."""


class SceneContext:
    """What acts need: geometry, the RNG, fresh ids and sprites free at a given time."""

    def __init__(self, catalog: Catalog, background: BackgroundSource, fps: int, frame_count: int,
                 rng: random.Random, heights: tuple[float, float] | None = None, mirror: bool | None = None) -> None:
        self.catalog, self.background, self.fps, self.frame_count, self.rng = catalog, background, fps, frame_count, rng
        self.width = catalog.width
        self.mirror = mirror
        if heights is None:
            top, bottom = background.ground
        else:
            top, bottom = (background.horizon + h / catalog.person_scale for h in heights)
            if not 0 < top < bottom <= catalog.height:
                raise ValueError(f"people {heights[0]}-{heights[1]} px tall do not fit background {background.id!r}")
        self.lanes = [top + (bottom - top) * i / (LANES - 1) for i in range(LANES)]
        self._next_id = 1
        self._busy: dict[str, list[tuple[int, int]]] = {}

    def lane(self, exclude: float | None = None) -> float:
        """A feet row: one of the lanes, jittered by up to 3 px."""
        choices = [y for y in self.lanes if exclude is None or abs(y - exclude) > 1e-6]
        return self.rng.choice(choices) + self.rng.uniform(-3.0, 3.0)

    def height(self, feet_y: float) -> float:
        return self.catalog.object_height("person", feet_y, self.background)

    def seconds(self, s: float) -> int:
        return max(1, round(s * self.fps))

    def walk_speed(self, feet_y: float) -> float:
        """A walking speed in px/s for someone whose feet are on row ``feet_y``."""
        return self.rng.uniform(*WALK_SPEED) * self.height(feet_y)

    def run_speed(self, feet_y: float) -> float:
        """A running speed in px/s for someone whose feet are on row ``feet_y``."""
        return self.rng.uniform(*RUN_SPEED) * self.height(feet_y)

    def side_x(self, side: Literal["left", "right"], feet_y: float) -> float:
        """Centre column just outside the picture on ``side``."""
        off = OFFSCREEN * self.height(feet_y)
        return -off if side == "left" else self.width + off

    def new_actor(self, start: int, x: float, y: float, segments: list[Segment]) -> ActorScript:
        """A script with a fresh id and a sprite whose identity is free over the actor's life."""
        length = sum(s.frames for s in segments)
        sprite = self._free_sprite(start, start + length - 1)
        mirror = self.rng.random() < 0.5 if self.mirror is None else self.mirror
        actor = ActorScript(id=self._next_id, sprite=sprite, start=start, x=x, y=y, segments=segments, mirror=mirror)
        self._next_id += 1
        return actor

    def _free_sprite(self, a: int, b: int) -> str:
        sprites = self.catalog.of_kind("person")
        overlap = {}
        for s in sprites:
            spans = self._busy.get(s.identity, [])
            overlap[s.id] = sum(max(0, min(b, e) - max(a, st) + 1) for st, e in spans)
        free = [s for s in sprites if overlap[s.id] == 0]
        if not free:
            raise NoFreeIdentity(f"every one of the {len(sprites)} people is on screen between frames {a} and {b}")
        choice = self.rng.choice(free)
        self._busy.setdefault(choice.identity, []).append((a, b))
        return choice.id

    def snapshot(self) -> tuple[int, dict[str, list[tuple[int, int]]]]:
        """State to return to if an act cannot be cast."""
        return self._next_id, {k: list(v) for k, v in self._busy.items()}

    def restore(self, state: tuple[int, dict[str, list[tuple[int, int]]]]) -> None:
        self._next_id, self._busy = state[0], {k: list(v) for k, v in state[1].items()}


class NoFreeIdentity(RuntimeError):
    """An act needs more people than are off screen at that time."""


def _frames_to_cover(distance: float, speed: float, fps: int) -> int:
    return max(1, math.ceil(abs(distance) / speed * fps))


def _side(rng: random.Random) -> Literal["left", "right"]:
    return rng.choice(["left", "right"])


def _sign(side: str) -> int:
    """Direction of motion of someone entering from ``side``."""
    return 1 if side == "left" else -1


def cross(ctx: SceneContext, t0: int, gait: Literal["walk", "run"] | None = None) -> list[ActorScript]:
    """Someone walks (or runs) across the whole picture from one side to the other."""
    gait = gait or ("run" if ctx.rng.random() < 0.3 else "walk")
    y, side = ctx.lane(), _side(ctx.rng)
    speed = ctx.run_speed(y) if gait == "run" else ctx.walk_speed(y)
    x0 = ctx.side_x(side, y)
    x1 = ctx.side_x("right" if side == "left" else "left", y)
    seg = Segment(frames=_frames_to_cover(x1 - x0, speed, ctx.fps), vx=_sign(side) * speed, gait=gait)
    return [ctx.new_actor(t0, x0, y, [seg])]


def stop(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Someone walks in, stops for a few seconds, then walks on (or back where they came from)."""
    y, side = ctx.lane(), _side(ctx.rng)
    speed, d = ctx.walk_speed(y), _sign(side)
    x0 = ctx.side_x(side, y)
    x_stop = ctx.width * ctx.rng.uniform(0.3, 0.7)
    back = ctx.rng.random() < 0.4
    exit_x = x0 if back else ctx.side_x("right" if side == "left" else "left", y)
    segs = [
        Segment(frames=_frames_to_cover(x_stop - x0, speed, ctx.fps), vx=d * speed, gait="walk"),
        Segment(frames=ctx.seconds(ctx.rng.uniform(2.5, 4.5)), gait="still"),
        Segment(frames=_frames_to_cover(exit_x - x_stop, speed, ctx.fps), vx=(-d if back else d) * speed, gait="walk"),
    ]
    return [ctx.new_actor(t0, x0, y, segs)]


def turn_back(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Someone walks in, turns round without stopping, and walks back out."""
    y, side = ctx.lane(), _side(ctx.rng)
    speed, d = ctx.walk_speed(y), _sign(side)
    x0 = ctx.side_x(side, y)
    depth = ctx.width * ctx.rng.uniform(0.45, 0.75)
    x_turn = depth if side == "left" else ctx.width - depth
    segs = [
        Segment(frames=_frames_to_cover(x_turn - x0, speed, ctx.fps), vx=d * speed, gait="walk"),
        Segment(frames=_frames_to_cover(x_turn - x0, speed, ctx.fps), vx=-d * speed, gait="walk"),
    ]
    return [ctx.new_actor(t0, x0, y, segs)]


def stand(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Someone stands still (at the first frame: already there; later: walks in first), then leaves."""
    y = ctx.lane()
    x = ctx.width * ctx.rng.uniform(0.1, 0.9)
    hold = ctx.seconds(ctx.rng.uniform(6.0, 12.0))
    out_side = "left" if x < ctx.width / 2 else "right"
    speed = ctx.walk_speed(y)
    leave = Segment(frames=_frames_to_cover(ctx.side_x(out_side, y) - x, speed, ctx.fps),
                    vx=-speed if out_side == "left" else speed, gait="walk")
    if t0 == 0:
        return [ctx.new_actor(0, x, y, [Segment(frames=hold, gait="still"), leave])]
    in_side = _side(ctx.rng)
    x0 = ctx.side_x(in_side, y)
    walk_in = Segment(frames=_frames_to_cover(x - x0, speed, ctx.fps), vx=speed if x > x0 else -speed, gait="walk")
    return [ctx.new_actor(t0, x0, y, [walk_in, Segment(frames=hold, gait="still"), leave])]


def meet(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Two people walk towards each other from both sides, stop face to face, then walk off together."""
    y = ctx.lane()
    h = ctx.height(y)
    xm = ctx.width * ctx.rng.uniform(0.4, 0.6)
    sa, sb = ctx.walk_speed(y), ctx.walk_speed(y)
    xa0, xb0 = ctx.side_x("left", y), ctx.side_x("right", y)
    xa1, xb1 = xm - 0.3 * h, xm + 0.3 * h
    fa, fb = _frames_to_cover(xa1 - xa0, sa, ctx.fps), _frames_to_cover(xb1 - xb0, sb, ctx.fps)
    arrive = t0 + max(fa, fb)
    hold = ctx.seconds(ctx.rng.uniform(2.5, 4.0))
    off = _side(ctx.rng)
    speed = ctx.walk_speed(y)
    d = -1 if off == "left" else 1
    x_exit = ctx.side_x(off, y)
    out = []
    for x0, x1, f, s in ((xa0, xa1, fa, sa), (xb0, xb1, fb, sb)):
        lead_in = arrive - f
        segs = [Segment(frames=f, vx=(s if x1 > x0 else -s), gait="walk"),
                Segment(frames=hold, gait="still"),
                Segment(frames=_frames_to_cover(x_exit - x1, speed, ctx.fps), vx=d * speed, gait="walk")]
        out.append(ctx.new_actor(lead_in, x0, y, segs))
    return out


def follow(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Two people cross the picture one right behind the other at the same pace."""
    y, side = ctx.lane(), _side(ctx.rng)
    h, d = ctx.height(y), _sign(side)
    speed = ctx.walk_speed(y)
    gap = h * ctx.rng.uniform(0.8, 1.2)
    x0 = ctx.side_x(side, y)
    x1 = ctx.side_x("right" if side == "left" else "left", y)
    frames = _frames_to_cover(x1 - x0, speed, ctx.fps)
    lag = _frames_to_cover(gap, speed, ctx.fps)
    leader = ctx.new_actor(t0, x0, y, [Segment(frames=frames, vx=d * speed, gait="walk")])
    follower = ctx.new_actor(t0 + lag, x0, y, [Segment(frames=frames, vx=d * speed, gait="walk")])
    return [leader, follower]


def approach(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Someone stands waiting; another walks up to them and stops beside them; both then leave."""
    y = ctx.lane()
    h = ctx.height(y)
    xb = ctx.width * ctx.rng.uniform(0.3, 0.7)
    side = "left" if xb > ctx.width / 2 else "right"  # the approacher comes from the farther side
    d = _sign(side)
    sa = ctx.walk_speed(y)
    xa0 = ctx.side_x(side, y)
    xa1 = xb - d * 0.5 * h
    fa = _frames_to_cover(xa1 - xa0, sa, ctx.fps)
    wait_after = ctx.seconds(ctx.rng.uniform(2.0, 3.0))
    off = "right" if side == "left" else "left"
    speed = ctx.walk_speed(y)
    x_exit = ctx.side_x(off, y)
    leave_a = Segment(frames=_frames_to_cover(x_exit - xa1, speed, ctx.fps), vx=d * speed, gait="walk")
    leave_b = Segment(frames=_frames_to_cover(x_exit - xb, speed, ctx.fps), vx=d * speed, gait="walk")
    if t0 == 0:
        b_first = Segment(frames=ctx.seconds(1.0) + fa + wait_after, gait="still")
        b = ctx.new_actor(0, xb, y, [b_first, leave_b])
        a_start = ctx.seconds(1.0)
    else:  # the waiting person walks in first and stops
        sb = ctx.walk_speed(y)
        xb0 = ctx.side_x(off, y)
        fb = _frames_to_cover(xb - xb0, sb, ctx.fps)
        wait = ctx.seconds(1.5) + fa + wait_after
        b = ctx.new_actor(t0, xb0, y, [Segment(frames=fb, vx=-d * sb, gait="walk"),
                                       Segment(frames=wait, gait="still"), leave_b])
        a_start = t0 + fb + ctx.seconds(1.5)
    a = ctx.new_actor(a_start, xa0, y, [Segment(frames=fa, vx=d * sa, gait="walk"),
                                        Segment(frames=wait_after + ctx.seconds(0.2), gait="still"), leave_a])
    return [b, a]


def overtake(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """A runner catches up with a walker going the same way (on another lane) and passes them."""
    k = ctx.rng.randrange(len(ctx.lanes) // 2, len(ctx.lanes) - 1)  # neighbouring lanes, near the camera
    lane_w, lane_r = ctx.rng.sample(ctx.lanes[k:k + 2], 2)
    y_walk, y_run = lane_w + ctx.rng.uniform(-3.0, 3.0), lane_r + ctx.rng.uniform(-3.0, 3.0)
    side = _side(ctx.rng)
    d = _sign(side)
    vw, vr = ctx.rng.uniform(0.42, 0.52) * ctx.height(y_walk), ctx.run_speed(y_run)
    xw0, xr0 = ctx.side_x(side, y_walk), ctx.side_x(side, y_run)
    far = "right" if side == "left" else "left"
    fw = _frames_to_cover(ctx.side_x(far, y_walk) - xw0, vw, ctx.fps)
    fr = _frames_to_cover(ctx.side_x(far, y_run) - xr0, vr, ctx.fps)
    meet_at = ctx.width * ctx.rng.uniform(0.45, 0.65)
    x_meet = meet_at if side == "left" else ctx.width - meet_at
    tw = abs(x_meet - xw0) / vw
    tr = abs(x_meet - xr0) / vr
    walker = ctx.new_actor(t0, xw0, y_walk, [Segment(frames=fw, vx=d * vw, gait="walk")])
    runner = ctx.new_actor(t0 + ctx.seconds(tw - tr), xr0, y_run, [Segment(frames=fr, vx=d * vr, gait="run")])
    return [walker, runner]


def _depth_walk(ctx: SceneContext, y: float, sign: int, seconds: float, stop_row: float) -> tuple[list[Segment], float]:
    """One-second segments walking straight toward (``sign`` 1) or away from (-1) the camera.

    The feet row moves so that the body grows (shrinks) at a steady relative rate; it stops short
    of ``stop_row``. Returns the segments and the last feet row.
    """
    rate = ctx.rng.uniform(*DEPTH_RATE)
    horizon = ctx.background.horizon
    segs: list[Segment] = []
    for _ in range(max(1, round(seconds))):
        vy = sign * rate * (y - horizon)
        y_next = y + vy
        if (sign > 0 and y_next > stop_row) or (sign < 0 and y_next < stop_row):
            break
        segs.append(Segment(frames=ctx.seconds(1.0), vy=vy, gait="walk"))
        y = y_next
    return segs, y


def _in_depth(ctx: SceneContext, t0: int, sign: int) -> list[ActorScript]:
    """Someone walks in on a lane, then straight toward (away from) the camera, then off to a side."""
    lanes = ctx.lanes
    y = (lanes[0] if sign > 0 else lanes[-1]) + ctx.rng.uniform(0.0, 3.0) * sign
    side = _side(ctx.rng)
    x = ctx.width * ctx.rng.uniform(0.2, 0.4)
    x = x if side == "left" else ctx.width - x
    segs: list[Segment] = []
    x0 = x
    if t0 > 0:  # walk in from a side first (a short way: the walk in depth is the point)
        x0 = ctx.side_x(side, y)
        speed = ctx.walk_speed(y)
        segs.append(Segment(frames=_frames_to_cover(x - x0, speed, ctx.fps), vx=speed if x > x0 else -speed))
    depth, y_end = _depth_walk(ctx, y, sign, ctx.rng.uniform(5.0, 8.0), lanes[-1] if sign > 0 else lanes[0])
    segs += depth
    out_side = "left" if x < ctx.width / 2 else "right"
    speed = ctx.walk_speed(y_end)
    segs.append(Segment(frames=_frames_to_cover(ctx.side_x(out_side, y_end) - x, speed, ctx.fps),
                        vx=-speed if out_side == "left" else speed))
    return [ctx.new_actor(t0, x0, y, segs)]


def toward(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Someone far up the street walks straight toward the camera (growing), then off to a side."""
    return _in_depth(ctx, t0, 1)


def away(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Someone near the camera walks straight away from it (shrinking), then off to a side."""
    return _in_depth(ctx, t0, -1)


def group(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Two people walk across side by side at one pace (one a little nearer, partly overlapping)."""
    y, side = ctx.lane(), _side(ctx.rng)
    h, d = ctx.height(y), _sign(side)
    y2 = y + ctx.rng.uniform(0.04, 0.08) * h
    speed = ctx.walk_speed(y)
    x0 = ctx.side_x(side, y2)
    x1 = ctx.side_x("right" if side == "left" else "left", y2)
    frames = _frames_to_cover(x1 - x0, speed, ctx.fps)
    lag = _frames_to_cover(ctx.rng.uniform(0.25, 0.4) * h, speed, ctx.fps)
    first = ctx.new_actor(t0, x0, y, [Segment(frames=frames + lag, vx=d * speed, gait="walk")])
    second = ctx.new_actor(t0 + lag, x0, y2, [Segment(frames=frames, vx=d * speed, gait="walk")])
    return [first, second]


def crossing(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """Two people walk across from opposite sides on neighbouring lanes; their paths cross mid-picture."""
    k = ctx.rng.randrange(len(ctx.lanes) - 1)
    ya, yb = ctx.lanes[k] + ctx.rng.uniform(-2.0, 2.0), ctx.lanes[k + 1] + ctx.rng.uniform(-2.0, 2.0)
    if ctx.rng.random() < 0.5:
        ya, yb = yb, ya
    sa, sb = ctx.walk_speed(ya), ctx.walk_speed(yb)
    xa0, xa1 = ctx.side_x("left", ya), ctx.side_x("right", ya)
    xb0, xb1 = ctx.side_x("right", yb), ctx.side_x("left", yb)
    xm = ctx.width * ctx.rng.uniform(0.35, 0.65)
    ta, tb = ctx.seconds((xm - xa0) / sa), ctx.seconds((xb0 - xm) / sb)
    start_a, start_b = t0 + max(0, tb - ta), t0 + max(0, ta - tb)
    a = ctx.new_actor(start_a, xa0, ya, [Segment(frames=_frames_to_cover(xa1 - xa0, sa, ctx.fps), vx=sa)])
    b = ctx.new_actor(start_b, xb0, yb, [Segment(frames=_frames_to_cover(xb1 - xb0, sb, ctx.fps), vx=-sb)])
    return [a, b]


def wait(ctx: SceneContext, t0: int) -> list[ActorScript]:
    """A distractor who stands still until the video ends (already there at 0 s, else walks in first)."""
    y = ctx.lane()
    x = ctx.width * ctx.rng.uniform(0.08, 0.92)
    hold = max(1, ctx.frame_count - t0)
    if t0 == 0:
        return [ctx.new_actor(0, x, y, [Segment(frames=hold, gait="still")])]
    side = _side(ctx.rng)
    x0 = ctx.side_x(side, y)
    speed = ctx.walk_speed(y)
    walk_in = Segment(frames=_frames_to_cover(x - x0, speed, ctx.fps), vx=speed if x > x0 else -speed, gait="walk")
    return [ctx.new_actor(t0, x0, y, [walk_in, Segment(frames=hold, gait="still")])]


Act = Callable[[SceneContext, int], list[ActorScript]]
ACTS: dict[str, Act] = {
    "cross": cross, "stop": stop, "turn_back": turn_back, "stand": stand, "meet": meet,
    "follow": follow, "approach": approach, "overtake": overtake, "toward": toward, "away": away,
    "group": group, "crossing": crossing, "wait": wait,
}
"""Every act by name."""
ACT_WEIGHTS = {"cross": 1, "stop": 2, "turn_back": 3, "stand": 1, "meet": 2, "follow": 2, "approach": 3, "overtake": 3,
               "toward": 3, "away": 3, "group": 2, "crossing": 2, "wait": 1}
"""Relative frequency of each act in random programs (the kinds that need a whole act to show up weigh more)."""
LAST_CUE_S = 7.0
"""Random programs start no act later than this many seconds before the end (so acts play out)."""


class ActCue(BaseModel):
    """One act of a program: which, and at what second it starts."""

    model_config = ConfigDict(frozen=True)

    act: str
    at: float = Field(ge=0, description="start, seconds")


def random_program(rng: random.Random, duration: float, channels: int = 2) -> list[ActCue]:
    """Acts for a scene of ``duration`` seconds: ``channels`` overlapping streams of random acts."""
    names = sorted(ACT_WEIGHTS)
    weights = [ACT_WEIGHTS[n] for n in names]
    cues = [ActCue(act=rng.choice(["stand", "wait"]), at=0.0)] if rng.random() < 0.7 else []
    for _ in range(channels):
        t = rng.uniform(0.0, 2.0)
        while t < duration - LAST_CUE_S:
            name = rng.choices(names, weights)[0]
            cues.append(ActCue(act=name, at=round(t, 2)))
            t += rng.uniform(5.0, 9.0)
    return sorted(cues, key=lambda c: (c.at, c.act))


RECAST_DELAY_S = 1.0
RECAST_TRIES = 5


def direct(ctx: SceneContext, program: list[ActCue]) -> list[ActorScript]:
    """Run a program's acts in order; actors starting after the video's end are dropped.

    An act that needs a person while every identity is on screen is postponed by
    :data:`RECAST_DELAY_S` (up to :data:`RECAST_TRIES` times), then dropped: nobody is ever shown
    twice at once.
    """
    scripts: list[ActorScript] = []
    for cue in program:
        if cue.act not in ACTS:
            raise ValueError(f"unknown act {cue.act!r}; known: {sorted(ACTS)}")
        for attempt in range(RECAST_TRIES):
            state = ctx.snapshot()
            try:
                scripts += ACTS[cue.act](ctx, round((cue.at + attempt * RECAST_DELAY_S) * ctx.fps))
                break
            except NoFreeIdentity:
                ctx.restore(state)
    return [s for s in scripts if s.start < ctx.frame_count]
