"""Natural-language queries from action labels: every actor doing the thing is a referent.

Labels with the same verb and direction form one query; its referents are all actors carrying
such a label (a plural phrasing when there are several, with the count sometimes spelled out).
Ordinal queries ("the first man to enter") pick the one actor whose event comes first by >= 1 s.
Each query is written in several phrasings drawn with the seeded RNG from the templates of its
*split*: the ``tune`` and ``heldout`` splits use disjoint sets of paraphrases, so a held-out
benchmark measures wording the agent was not tuned on ("a guy jogging", "somebody who halts").

Every query carries its ``kind`` (the vocabulary item it tests: :data:`KINDS`) and ``form``
(``one``, ``plural`` or ``counted``). Its referents' intervals follow the interval conventions
(:data:`CONVENTION`):

- a **state** (walking left, running, standing still, walking toward the camera, walking side by
  side) answers the frames in which the state holds (the label);
- a query that **identifies** a person by an event or a sequence (enters from the left, leaves on
  the right, stops, starts, turns around and walks back, crosses, passes someone, the first to
  enter) answers that person's whole visible track;
- **follow** (and "being followed") answers the frames in which both people are visible;
- **approach** ("walks up to") and **meet** answer the approach, up to the stop.

A group is skipped when a state holds twice for one actor (one interval per referent is the rule
of second-level ground truth).

>>> from stagdata.synth.actions import Label
>>> labs = [Label(verb="walk", actor=1, start=0, end=90, direction="left"),
...         Label(verb="walk", actor=2, start=30, end=120, direction="left")]
>>> spans = {1: (0, 200), 2: (20, 150)}
>>> qs = make_queries(labs, {1: "man", 2: "man"}, spans, random.Random(0), phrasings=1)
>>> [(q.text, q.kind, q.form, [(r.actor, r.start, r.end) for r in q.referents]) for q in qs]
[('all pedestrians heading left', 'walk', 'plural', [(1, 0, 90), (2, 30, 120)])]
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from stagdata.synth.actions import Label

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
PLURALS = {"man": "men", "woman": "women", "person": "people"}

Split = Literal["tune", "heldout"]
Form = Literal["one", "plural", "counted"]

KINDS = ("walk", "run", "stand", "stop", "start", "toward", "away", "enter", "leave", "turn_back",
         "approach", "follow", "cross", "pass", "together", "meet", "ordinal")
"""Every kind of query, in table order."""

# template group -> kind
KIND_OF: dict[str, str] = {
    "walk_dir": "walk", "run_dir": "run", "run": "run", "toward": "toward", "away": "away", "stand": "stand",
    "stop": "stop", "start": "start", "turn_back": "turn_back", "enter": "enter", "leave": "leave",
    "cross": "cross", "follow": "follow", "lead": "follow", "together": "together", "overtake": "pass",
    "approach": "approach", "meet": "meet", "first_enter": "ordinal", "first_enter_side": "ordinal",
    "last_leave": "ordinal",
}
CONVENTION: dict[str, Literal["state", "track", "both_visible", "approach"]] = {
    "walk": "state", "run": "state", "toward": "state", "away": "state", "stand": "state", "together": "state",
    "stop": "track", "start": "track", "turn_back": "track", "enter": "track", "leave": "track", "cross": "track",
    "pass": "track", "ordinal": "track", "follow": "both_visible", "approach": "approach", "meet": "approach",
}
"""Kind -> what its referents' intervals cover (see module docs)."""

# group -> split -> (singular templates, plural templates). Fields: {one} {many} noun, {dir}
# direction or side, {n} count word, {src}/{dst} sides for crossing.
_T = dict[str, tuple[list[str], list[str]]]
TEMPLATES: dict[str, _T] = {
    "walk_dir": {
        "tune": (["the {one} walking to the {dir}", "the pedestrian heading {dir}",
                  "the {one} who walks {dir}ward along the street"],
                 ["the {many} walking to the {dir}", "all pedestrians heading {dir}", "the {n} {many} walking {dir}ward"]),
        "heldout": (["a {one} strolling towards the {dir}", "somebody making their way {dir}",
                     "the person going {dir} on foot"],
                    ["everyone who is walking {dir}", "the people strolling towards the {dir}",
                     "the {n} pedestrians moving {dir}"]),
    },
    "run_dir": {
        "tune": (["the {one} running to the {dir}", "the runner heading {dir}"],
                 ["the {many} running to the {dir}", "the {n} {many} who run {dir}ward"]),
        "heldout": (["a guy jogging {dir}", "somebody sprinting to the {dir}"],
                    ["everyone jogging {dir}", "the {n} people sprinting toward the {dir}"]),
    },
    "run": {
        "tune": (["the {one} who runs", "the running {one}"], ["the {many} who run", "the {n} runners"]),
        "heldout": (["a guy jogging", "someone dashing along the street"],
                    ["everybody who is jogging", "the {n} people dashing along"]),
    },
    "toward": {
        "tune": (["the {one} walking toward the camera", "the {one} coming closer to the camera"],
                 ["the {many} walking toward the camera", "the {n} {many} coming toward the camera"]),
        "heldout": (["somebody heading our way", "a person getting nearer to the viewer"],
                    ["everyone walking toward us", "the {n} people heading toward the viewer"]),
    },
    "away": {
        "tune": (["the {one} walking away from the camera", "the {one} heading into the distance"],
                 ["the {many} walking away from the camera", "the {n} {many} heading into the distance"]),
        "heldout": (["somebody walking off away from us", "a person receding down the street"],
                    ["everyone moving away from the viewer", "the {n} people receding from us"]),
    },
    "stand": {
        "tune": (["the {one} standing still", "the {one} standing without moving"],
                 ["the {many} standing still", "the {n} {many} standing without moving"]),
        "heldout": (["somebody who stays put", "a motionless person"],
                    ["everyone who is not moving", "the {n} people staying put"]),
    },
    "stop": {
        "tune": (["the {one} who stops walking", "the pedestrian who comes to a stop"],
                 ["the {many} who stop walking", "the {n} {many} who come to a stop"]),
        "heldout": (["somebody who halts", "a guy who walks and then stops"],
                    ["everyone who halts", "the {n} people who walk and then stop"]),
    },
    "start": {
        "tune": (["the {one} who starts walking", "the {one} who sets off after waiting"],
                 ["the {many} who start walking", "the {n} {many} who set off"]),
        "heldout": (["somebody who stands and then walks off", "a person who begins to move after standing"],
                    ["everyone who gets moving after standing", "the {n} people who begin to walk"]),
    },
    "turn_back": {
        "tune": (["the {one} who turns back", "the {one} who turns around and walks back"],
                 ["the {many} who turn back", "the {n} {many} who turn around"]),
        "heldout": (["somebody who reverses and goes back the way they came", "a guy doing a U-turn on foot"],
                    ["everyone who turns around", "the {n} people heading back the way they came"]),
    },
    "enter": {
        "tune": (["the {one} entering from the {dir}", "a {one} walks into view from the {dir}"],
                 ["the {many} entering from the {dir}", "the {n} {many} who walk into view from the {dir}"]),
        "heldout": (["the {one} who comes in from the {dir}", "somebody appearing at the {dir} edge"],
                    ["everyone arriving from the {dir}", "the {n} people who show up from the {dir}"]),
    },
    "leave": {
        "tune": (["the {one} leaving on the {dir}", "the {one} who exits on the {dir} side"],
                 ["the {many} leaving on the {dir}", "the {n} {many} who exit on the {dir}"]),
        "heldout": (["somebody who disappears off the {dir} edge", "the {one} who goes out of the picture to the {dir}"],
                    ["everyone departing to the {dir}", "the {n} people who vanish off the {dir} side"]),
    },
    "cross": {
        "tune": (["the {one} crossing from {src} to {dst}", "the pedestrian passing from the {src} side to the {dst}"],
                 ["the {many} crossing from {src} to {dst}", "the {n} {many} going across from {src} to {dst}"]),
        "heldout": (["somebody who walks all the way across, {src} to {dst}",
                     "a person traversing the whole scene from the {src}"],
                    ["everyone who traverses the scene from {src} to {dst}",
                     "the {n} people who go the whole way from the {src} to the {dst}"]),
    },
    "follow": {
        "tune": (["the {one} following another person", "the {one} who follows someone"],
                 ["the {many} following someone", "everyone walking right behind another person"]),
        "heldout": (["somebody trailing behind another pedestrian", "a guy tailing someone"],
                    ["everyone who trails another person", "the people tailing someone"]),
    },
    "lead": {
        "tune": (["the {one} being followed", "the {one} walking ahead of a follower"],
                 ["the {many} being followed", "everyone who has someone walking behind them"]),
        "heldout": (["somebody with another person on their heels", "the person who is being tailed"],
                    ["everyone being tailed", "the people with someone on their heels"]),
    },
    "together": {
        "tune": ([], ["the {many} walking together", "the {n} {many} walking side by side"]),
        "heldout": ([], ["the people strolling next to each other", "the {n} people walking as a group"]),
    },
    "overtake": {
        "tune": (["the {one} who overtakes another", "the {one} who gets ahead of a slower walker"],
                 ["the {many} who overtake others", "everyone passing a slower person"]),
        "heldout": (["somebody who passes a slower pedestrian", "the guy who outpaces someone going the same way"],
                    ["everyone who passes someone", "the people who outpace a slower walker"]),
    },
    "approach": {
        "tune": (["the {one} who walks up to a standing person", "the {one} who goes over to a waiting person"],
                 ["the {many} who walk up to a standing person", "everyone approaching someone who waits"]),
        "heldout": (["somebody who approaches a person standing there", "a guy who comes up to someone waiting"],
                    ["everyone who comes up to a waiting person", "the people who walk over to somebody standing"]),
    },
    "meet": {
        "tune": ([], ["the {n} {many} who meet", "the pair who meet in the street"]),
        "heldout": ([], ["the people who come toward each other and stop together", "the {n} people meeting up"]),
    },
    "first_enter": {
        "tune": (["the first {one} to enter", "the {one} who enters first"], []),
        "heldout": (["whoever shows up first", "the earliest person to come into view"], []),
    },
    "first_enter_side": {
        "tune": (["the first {one} to enter from the {dir}", "the {one} who comes in first from the {dir}"], []),
        "heldout": (["the first person arriving from the {dir}", "whoever appears first on the {dir}"], []),
    },
    "last_leave": {
        "tune": (["the last {one} to leave", "the {one} who leaves last"], []),
        "heldout": (["the final person to walk out of view", "whoever is the last to go"], []),
    },
}
"""Paraphrases per template group and split (disjoint between splits)."""

ORDINAL_GAP_S = 1.0
"""An ordinal query needs its event to come this much before (after) every other actor's."""


class QueryReferent(BaseModel):
    """One referent of a query: an actor and the inclusive frame interval of its answer."""

    model_config = ConfigDict(frozen=True)

    actor: int
    start: int
    end: int


class Query(BaseModel):
    """A query text and its referents (all actors whose labels match)."""

    model_config = ConfigDict(frozen=True)

    text: str
    verb: str
    direction: str | None = None
    kind: str
    form: Form
    referents: list[QueryReferent]


def _group(verb: str, direction: str | None) -> str | None:
    if verb in ("walk", "run") and direction in ("left", "right"):
        return f"{verb}_dir"
    if verb == "walk" and direction in ("toward", "away"):
        return direction
    if verb == "walk":
        return None
    return verb if verb in TEMPLATES else None


def _says_direction(group: str) -> bool:
    """Whether the wordings of ``group`` name a direction, or the group is one (toward, away); else its
    labels of every direction are one query.

    >>> _says_direction("enter"), _says_direction("toward"), _says_direction("follow")
    (True, True, False)
    """
    return group in ("toward", "away") or any(f in t for pair in TEMPLATES[group].values() for ts in pair for t in ts
                                              for f in ("{dir}", "{src}", "{dst}"))


def _fill(template: str, direction: str | None, nouns: Sequence[str]) -> str:
    one = nouns[0] if len(set(nouns)) == 1 else "person"
    many = PLURALS.get(one, one + "s") if len(set(nouns)) == 1 else "people"
    fields = {"one": one, "many": many, "n": NUMBER_WORDS.get(len(nouns), str(len(nouns))), "dir": direction or ""}
    fields["dst"] = direction or ""
    fields["src"] = "left" if direction == "right" else "right"
    return template.format(**fields)


def _interval(kind: str, labs: list[Label], spans: Mapping[int, tuple[int, int]]) -> tuple[int, int] | None:
    """The answer interval of one actor for a query of ``kind`` (its labels ``labs``), or None."""
    rule = CONVENTION[kind]
    actor = labs[0].actor
    if rule == "track":
        return spans[actor]
    if rule == "both_visible":
        s0, s1 = spans[actor]
        o0, o1 = spans.get(labs[0].other, (s0, s1))
        return max(s0, o0), min(s1, o1)
    if len(labs) > 1:  # a state twice, or two approaches: not one interval
        return None
    return labs[0].start, labs[0].end


def _phrase(group: str, split: Split, names: list[str], direction: str | None, rng: random.Random,
            phrasings: int) -> list[tuple[str, Form]]:
    one, many = TEMPLATES[group][split]
    templates = many if len(names) > 1 else one
    usable = [t for t in templates
              if ("{n}" not in t or len(names) in NUMBER_WORDS) and ("pair" not in t or len(names) == 2)]
    chosen = rng.sample(usable, min(phrasings, len(usable)))
    form = lambda t: "counted" if "{n}" in t or "pair" in t else ("plural" if len(names) > 1 else "one")
    return [(_fill(t, direction, names), form(t)) for t in chosen]


def _ordinals(labels: Sequence[Label], spans: Mapping[int, tuple[int, int]], fps: float,
              frame_count: int) -> list[tuple[str, str | None, int]]:
    """(group, side, actor) of the ordinal queries that have a clear answer."""
    gap = round(ORDINAL_GAP_S * fps)
    out = []
    enters = sorted((lab.start, lab.actor, lab.direction) for lab in labels if lab.verb == "enter")
    if len(enters) >= 2 and enters[1][0] - enters[0][0] >= gap:
        out.append(("first_enter", None, enters[0][1]))
    for side in ("left", "right"):
        e = [x for x in enters if x[2] == side]
        if len(e) >= 2 and e[1][0] - e[0][0] >= gap:
            out.append(("first_enter_side", side, e[0][1]))
    leaves = sorted(((lab.end, lab.actor) for lab in labels if lab.verb == "leave"), reverse=True)
    still_there = [a for a, (_, e) in spans.items() if e >= frame_count - 1]
    if len(leaves) >= 2 and not still_there and leaves[0][0] - leaves[1][0] >= gap:
        out.append(("last_leave", None, leaves[0][1]))
    return out


def make_queries(labels: Sequence[Label], nouns: Mapping[int, str], spans: Mapping[int, tuple[int, int]],
                 rng: random.Random, phrasings: int = 2, split: Split = "tune", *, fps: float = 30.0,
                 frame_count: int | None = None) -> list[Query]:
    """Queries for every (verb, direction) group of ``labels`` (and the clear ordinals),
    ``phrasings`` wordings each from ``split``'s templates.

    ``spans`` is each actor's visible span (first, last frame), used by the interval conventions.
    """
    groups: dict[tuple[str, str, str | None], list[Label]] = defaultdict(list)
    for lab in labels:
        if (group := _group(lab.verb, lab.direction)) is not None:
            # a wording that does not say the direction asks for every direction at once
            groups[(group, lab.verb, lab.direction if _says_direction(group) else None)].append(lab)
    out: list[Query] = []
    for (group, verb, direction), labs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][2] or "", kv[0][0])):
        kind = KIND_OF[group]
        by_actor: dict[int, list[Label]] = defaultdict(list)
        for lab in labs:
            by_actor[lab.actor].append(lab)
        referents = []
        for actor in sorted(by_actor):
            iv = _interval(kind, by_actor[actor], spans)
            if iv is None:
                break
            referents.append(QueryReferent(actor=actor, start=iv[0], end=iv[1]))
        else:
            names = [nouns[r.actor] for r in referents]
            for text, form in _phrase(group, split, names, direction, rng, phrasings):
                out.append(Query(text=text, verb=verb, direction=direction, kind=kind, form=form,
                                 referents=referents))
    if frame_count is not None:
        for group, side, actor in _ordinals(labels, spans, fps, frame_count):
            s0, s1 = spans[actor]
            verb = "enter" if "enter" in group else "leave"
            for text, form in _phrase(group, split, [nouns[actor]], side, rng, phrasings):
                out.append(Query(text=text, verb=verb, direction=side, kind="ordinal", form=form,
                                 referents=[QueryReferent(actor=actor, start=s0, end=s1)]))
    return out
