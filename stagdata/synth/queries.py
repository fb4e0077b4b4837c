"""Natural-language queries from action labels: every actor doing the thing is a referent.

Labels with the same verb and direction form one query; its referents are all actors carrying
such a label (a plural phrasing when there are several, with the count sometimes spelled out).
Each query is written in several phrasings drawn from the templates below with the seeded RNG, in
the action-centric style of SVAG-Bench ("the people who stop", "the man walking to the left").
A group is skipped when one actor does the thing twice (one interval per referent is the rule of
second-level ground truth).

>>> from stagdata.synth.actions import Label
>>> labs = [Label(verb="walk", actor=1, start=0, end=90, direction="left"),
...         Label(verb="walk", actor=2, start=30, end=120, direction="left")]
>>> qs = make_queries(labs, {1: "man", 2: "man"}, random.Random(0), phrasings=1)
>>> [(q.text, [r.actor for r in q.referents]) for q in qs]
[('the two men walking leftward', [1, 2])]
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from stagdata.synth.actions import Label

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
PLURALS = {"man": "men", "woman": "women", "person": "people"}

# (verb, plural?) -> templates. Fields: {one} {many} noun, {dir} direction, {n} count word,
# {src}/{dst} sides for crossing.
TEMPLATES: dict[tuple[str, bool], list[str]] = {
    ("walk", False): ["the {one} walking to the {dir}", "a {one} walks toward the {dir} side of the street",
                      "the pedestrian heading {dir}", "the {one} who walks {dir}ward along the street"],
    ("walk", True): ["the {many} walking to the {dir}", "all pedestrians heading {dir}",
                     "everyone who walks toward the {dir}", "the {n} {many} walking {dir}ward"],
    ("run", False): ["the {one} running to the {dir}", "a {one} runs toward the {dir}",
                     "the runner heading {dir}", "the {one} who hurries {dir}ward"],
    ("run", True): ["the {many} running to the {dir}", "everyone running toward the {dir}",
                    "the {n} {many} who run {dir}ward"],
    ("stand", False): ["the {one} standing still", "a {one} who stays in one place",
                       "the {one} standing without moving", "the pedestrian who does not move"],
    ("stand", True): ["the {many} standing still", "everyone who stays in one place",
                      "the {n} {many} standing without moving"],
    ("stop", False): ["the {one} who stops walking", "a {one} comes to a stop",
                      "the pedestrian who stops", "the {one} halting in the street"],
    ("stop", True): ["the {many} who stop walking", "everyone who comes to a halt",
                     "the {n} {many} who stop"],
    ("start", False): ["the {one} who starts walking", "a standing {one} begins to walk",
                       "the {one} who sets off after waiting"],
    ("start", True): ["the {many} who start walking", "everyone who starts moving after standing",
                      "the {n} {many} who set off"],
    ("turn_back", False): ["the {one} who turns back", "a {one} turns around and walks back",
                           "the pedestrian reversing direction", "the {one} who changes direction"],
    ("turn_back", True): ["the {many} who turn back", "everyone who turns around and goes back",
                          "the {n} {many} reversing direction"],
    ("enter", False): ["the {one} entering from the {dir}", "a {one} walks into view from the {dir}",
                       "the {one} who comes in from the {dir} side"],
    ("enter", True): ["the {many} entering from the {dir}", "everyone who comes into view from the {dir}",
                      "the {n} {many} who come in from the {dir}"],
    ("leave", False): ["the {one} leaving on the {dir}", "a {one} walks out of view to the {dir}",
                       "the {one} who exits on the {dir} side"],
    ("leave", True): ["the {many} leaving on the {dir}", "everyone who walks out of view to the {dir}",
                      "the {n} {many} who exit on the {dir}"],
    ("cross", False): ["the {one} crossing from {src} to {dst}", "a {one} walks across the whole street from the {src}",
                       "the pedestrian passing from the {src} side to the {dst}"],
    ("cross", True): ["the {many} crossing from {src} to {dst}", "everyone who crosses from the {src} to the {dst}",
                      "the {n} {many} going across from {src} to {dst}"],
    ("follow", False): ["the {one} following another person", "a {one} walking right behind someone",
                        "the {one} who follows someone"],
    ("follow", True): ["the {many} following someone", "everyone walking right behind another person"],
    ("lead", False): ["the {one} being followed", "the {one} walking ahead of a follower",
                      "a {one} with someone walking right behind"],
    ("lead", True): ["the {many} being followed", "everyone who has someone walking behind them"],
    ("overtake", False): ["the {one} who overtakes another", "a {one} passing someone going the same way",
                          "the {one} who gets ahead of a slower walker"],
    ("overtake", True): ["the {many} who overtake others", "everyone passing a slower person"],
    ("approach", False): ["the {one} who walks up to a standing person", "a {one} approaching someone standing still",
                          "the {one} who goes over to a waiting person"],
    ("approach", True): ["the {many} who walk up to a standing person", "everyone approaching someone who waits"],
    ("meet", True): ["the {n} {many} who meet", "the {many} walking toward each other and meeting",
                     "the pair who meet in the street", "the {many} who come together and stop"],
}


class QueryReferent(BaseModel):
    """One referent of a query: an actor and the inclusive frame interval of its action."""

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
    referents: list[QueryReferent]


def _fill(template: str, verb: str, direction: str | None, nouns: Sequence[str]) -> str:
    one = nouns[0] if len(set(nouns)) == 1 else "person"
    many = PLURALS.get(one, one + "s") if len(set(nouns)) == 1 else "people"
    fields = {"one": one, "many": many, "n": NUMBER_WORDS.get(len(nouns), str(len(nouns))), "dir": direction or ""}
    if verb == "cross":
        fields["dst"] = direction or ""
        fields["src"] = "left" if direction == "right" else "right"
    return template.format(**fields)


def make_queries(labels: Sequence[Label], nouns: Mapping[int, str], rng: random.Random,
                 phrasings: int = 2) -> list[Query]:
    """Queries for every (verb, direction) group of ``labels``, ``phrasings`` wordings each."""
    groups: dict[tuple[str, str | None], list[Label]] = defaultdict(list)
    for lab in labels:
        groups[lab.key].append(lab)
    out: list[Query] = []
    for (verb, direction), labs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        actors = [lab.actor for lab in labs]
        if len(actors) != len(set(actors)):
            continue
        plural = len(labs) > 1
        templates = TEMPLATES.get((verb, plural), [])
        if not templates:
            continue
        referents = [QueryReferent(actor=lab.actor, start=lab.start, end=lab.end)
                     for lab in sorted(labs, key=lambda lab: lab.actor)]
        names = [nouns[r.actor] for r in referents]
        usable = [t for t in templates
                  if ("{n}" not in t or len(names) in NUMBER_WORDS) and ("pair" not in t or len(names) == 2)]
        for template in rng.sample(usable, min(phrasings, len(usable))):
            out.append(Query(text=_fill(template, verb, direction, names), verb=verb, direction=direction,
                             referents=referents))
    return out
