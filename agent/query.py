"""Read a typed query into what to look for: target classes, an action predicate, a direction, a count.

Exact words from :mod:`agent.vocabulary` are taken as they are; any other content word is matched
by meaning with the bundled sentence encoder, so the planner understands words it was never told
("automobile" -> car, "strolling" -> moving). A query with nothing to look for raises
:class:`QueryError` saying what to write instead.

>>> plan = parse_query("two people walking from the left")          # doctest: +SKIP
>>> plan.classes, plan.predicate, plan.direction, plan.count        # doctest: +SKIP
(['person'], 'moving', 'right', 2)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate
from typing import Literal

from pydantic import BaseModel, Field

from agent.encoder import Encoder
from agent.vocabulary import (
    CAMERA_PATTERNS,
    CLASS_WORDS,
    COLOURS,
    COUNT_WORDS,
    DIRECTION_PATTERNS,
    LOWER_WORDS,
    NOUN_ACTIONS,
    ORDINALS,
    PLURAL_WORDS,
    PREDICATES,
    RELATIONAL,
    SIZES,
    SPAN_OF,
    STOPWORDS,
    SUPERLATIVES,
    UPPER_WORDS,
    Direction,
    PredicateName,
    Span,
)
from tools.vocabulary import CARRIED, COMPOSITES, canonical_class
from tools.vocabulary import group as class_group

EncoderSource = Encoder | Callable[[], Encoder] | None
"""An encoder, or a function that loads one (called only when a word is not in the vocabulary)."""

CLASS_THRESHOLD = 0.65
"""Least encoder similarity for a word to name a class it is not listed under."""
PREDICATE_THRESHOLD = 0.58
"""Least encoder similarity for a word to express an action it is not listed under."""
MAX_QUERY_CHARS = 500

_PRIORITY: tuple[str, ...] = (
    "meets", "together", "leads", "overtakes", "follows", "approaches", "turns_back", "starts_moving", "stops", "enters",
    "leaves", "crosses", "fast", "slow", "stationary", "moving",
)
"""When several actions are named, the more specific wins ("starts walking" is starts_moving)."""


class QueryError(ValueError):
    """The query cannot be grounded as written; the message says what to write instead."""


class QueryPlan(BaseModel):
    """What the embedded planner looks for, and why (``notes`` go to the trace)."""

    text: str
    classes: list[str] = Field(default_factory=list, description="target classes; empty = any class")
    predicate: PredicateName = "present"
    direction: Direction | None = None
    other_classes: list[str] | None = Field(
        default=None, description="classes of the other object of a relational predicate; None = any"
    )
    count: int | None = Field(default=None, description="how many referents; None = every match")
    rank_by: str | None = Field(default=None, description="speed | size | start | duration (superlatives)")
    rank_descending: bool = True
    rank_index: int = Field(default=1, ge=1, description="which one in rank order ('the second to enter': 2)")
    riding: list[str] | None = Field(default=None, description="a composite referent rides on one of these "
                                                                "classes (a cyclist: a person on a bicycle)")
    manner: Literal["fast", "slow"] | None = Field(default=None, description="how the action is done when the "
                                                   "query also says it ('the woman sprinting across the street')")
    carrying: list[str] | None = Field(default=None, description="the referent carries, holds or wears one of "
                                                                  "these classes (a man with an umbrella)")
    colours: dict[str, str] = Field(default_factory=dict, description="colour -> where: 'upper', 'lower' or 'any'")
    size: Literal["large", "small"] | None = None
    camera: Literal["ahead", "passing"] | None = Field(default=None, description="relation to the camera")
    position: Literal["left", "right", "centre"] | None = Field(default=None, description="where in the picture")
    span: Span = Field(default="track", description="interval convention (see agent.vocabulary.SPAN_OF)")
    notes: list[str] = Field(default_factory=list)

    @property
    def plural(self) -> bool:
        """True when the query asks for every matching referent."""
        return self.count is None


_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_QUANTIFIERS = frozenset({"all", "every", "each", "everyone", "everybody", "several", "many", "multiple",
                          "various", "both"})


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _detector_class(word: str) -> str | None:
    """The detector class a listed word names (the one vocabulary, :mod:`tools.vocabulary`)."""
    return canonical_class(word)


def _predicate_index() -> dict[str, str]:
    return {phrase: name for name, phrases in PREDICATES.items() for phrase in phrases}


def _group(word: str) -> list[str] | None:
    """Classes a group word stands for ([] = every class), or None if it is no group word."""
    members = class_group(word)
    return None if members is None else sorted(members)


def _is_plural(word: str) -> bool:
    if word in PLURAL_WORDS:
        return True
    if not word.endswith("s") or word.endswith("ss") or len(word) < 4:
        return False
    stems = [word[:-1], word[:-2]] + ([word[:-3] + "y"] if word.endswith("ies") else [])
    return any(_detector_class(stem) is not None or _group(stem) is not None for stem in stems)


def _find_phrases(tokens: list[str], lookup) -> list[tuple[int, int, object]]:
    """Longest-first exact phrase hits ``(start token, length, lookup(phrase))``; hits do not overlap."""
    taken = [False] * len(tokens)
    hits: list[tuple[int, int, object]] = []
    for n in (6, 5, 4, 3, 2, 1):
        for i in range(len(tokens) - n + 1):
            if any(taken[i:i + n]):
                continue
            value = lookup(" ".join(tokens[i:i + n]))
            if value is not None:
                hits.append((i, n, value))
                for j in range(i, i + n):
                    taken[j] = True
    return sorted(hits, key=lambda h: h[0])


def _class_lookup(phrase: str) -> list[str] | None:
    if phrase in STOPWORDS or (phrase in COUNT_WORDS and phrase not in CLASS_WORDS["person"]):
        return None
    group = _group(phrase)
    if group is not None:
        return group
    name = _detector_class(phrase)
    return [name] if name else None


class _Encoder:
    """Loads the sentence encoder on first use only: most queries are read from the vocabulary alone."""

    def __init__(self, source: EncoderSource) -> None:
        self._source, self._loaded = source, isinstance(source, Encoder)

    def get(self) -> Encoder | None:
        if not self._loaded and callable(self._source):
            self._source, self._loaded = self._source(), True
        return self._source if isinstance(self._source, Encoder) else None


def _check(text: object) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        raise QueryError("the query is empty: describe what to find, e.g. 'the people walking'")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text)} characters long; keep it under {MAX_QUERY_CHARS}")
    tokens = _tokens(text)
    if not any(re.search(r"[a-z]", t) for t in tokens):
        raise QueryError(f"the query {text!r} has no words: describe what to find, e.g. 'a car moving left'")
    return tokens


def _skippable(tok: str) -> bool:
    return (tok in STOPWORDS or tok in COUNT_WORDS or tok in SUPERLATIVES or tok in ORDINALS or len(tok) < 3
            or not tok.isalpha() or any(tok in w for w in COLOURS.values()) or tok in SIZES)


def _objects(tokens: list[str], taken: set[int], encoder: _Encoder, notes: list[str]
             ) -> list[tuple[int, set[str], str]]:
    """Object mentions ``(token position, classes, words)``: listed words first, then by meaning."""
    hits = [h for h in _find_phrases(tokens, _class_lookup) if h[0] not in taken]
    if not hits:
        # No listed object word: match the content words by meaning (verb forms are left to actions).
        for i, tok in enumerate(tokens):
            if i in taken or _skippable(tok) or tok.endswith(("ing", "ed")) or tok in UPPER_WORDS | LOWER_WORDS:
                continue
            enc = encoder.get()
            if enc is None:
                break
            cls, sim = enc.best(tok, CLASS_WORDS)
            if cls is not None and sim >= CLASS_THRESHOLD:
                hits.append((i, 1, [cls]))
                notes.append(f"'{tok}' read as {cls} (similarity {sim:.2f})")
    return [(i, set(value), " ".join(tokens[i:i + n])) for i, n, value in hits]


def _action(tokens: list[str], pred_hits, mentions, encoder: _Encoder, notes: list[str]) -> tuple[str, list[str]]:
    """The action predicate: exact phrases (the most specific wins), else the nearest by meaning."""
    found = {value for _, _, value in pred_hits}
    for name in _PRIORITY:
        if name in found:
            return name, [" ".join(tokens[i:i + n]) for i, n, v in pred_hits if v == name]
    mention_positions = {i + k for i, _, w in mentions for k in range(len(w.split()))}
    candidates = [t for j, t in enumerate(tokens) if j not in mention_positions and not _skippable(t)
                  and t not in UPPER_WORDS | LOWER_WORDS]
    best: tuple[str | None, float, str] = (None, 0.0, "")
    for tok in candidates:
        enc = encoder.get()
        if enc is None:
            break
        name, sim = enc.best(tok, PREDICATES)
        if name is not None and sim > best[1]:
            best = (name, sim, tok)
    if best[0] is not None and best[1] >= PREDICATE_THRESHOLD:
        notes.append(f"'{best[2]}' read as {best[0]} (similarity {best[1]:.2f})")
        return best[0], [best[2]]
    return "present", []


_STATES_OF_MOTION = frozenset({"moving", "fast", "slow"})


def _secondary(tokens: list[str], hits: list[tuple[int, int, object]]) -> list[tuple[int, int, object]]:
    """Action hits without those that are not the referent's own where the query says another: a
    state word before the other object's noun ("walks past *the standing man*", "walks up to *a
    waiting person*") and a bare "behind" ("crossing behind the tram").

    >>> hits = _secondary("the person who walks past the standing man".split(),
    ...                   [(3, 1, "moving"), (6, 1, "stationary")])
    >>> [v for _, _, v in hits]
    ['moving']
    """
    out = []
    for i, n, value in hits:
        others = [v for j, _, v in hits if v != value and (j < i or value == "follows")]
        named_next = i + n < len(tokens) and _class_lookup(tokens[i + n]) is not None
        if others and value == "stationary" and named_next:
            continue  # describes the object after it, not the referent
        if others and value == "follows" and tokens[i:i + n] == ["behind"]:
            continue  # a place ("behind the tram"), not following
        out.append((i, n, value))
    return out


def _sequence(tokens: list[str], pred_hits) -> str | None:
    """A standing state and a moving one told in order: "stands and then walks off" (or "walks off after
    standing") is starts_moving; "walks, then stands still" is stops; else None."""
    still = [i for i, _, v in pred_hits if v == "stationary"]
    move = [i for i, _, v in pred_hits if v in _STATES_OF_MOTION]
    if not still or not move:
        return None
    lo, hi = sorted((still[0], move[0]))
    between = set(tokens[lo:hi])
    if not between & {"then", "before", "after", "until"}:
        return None
    still_first = (still[0] < move[0]) != ("after" in between)
    return "starts_moving" if still_first else "stops"


def _direction(lowered: str, predicate: str) -> tuple[str, Direction | None]:
    """The direction of motion, and the predicate it implies ("from the left" moves rightwards)."""
    direction: Direction | None = None
    for pattern, value in DIRECTION_PATTERNS:
        if re.search(pattern, lowered):
            direction = value
            break
    side = re.search(r"\b(?:on|at|to|towards?|through) the (left|right)(?: side| edge)?\b", lowered)
    if predicate == "leaves" and side:
        direction = side.group(1)  # leaving on the left moves leftwards
    at = re.search(r"\b(?:on|at) the (left|right)(?: side| edge)?\b", lowered)
    if predicate == "enters" and direction is None and at:
        direction = "right" if at.group(1) == "left" else "left"  # appearing on the left moves rightwards
    if direction == "toward" and predicate in {"present", "approaches", "enters"} and re.search(
            r"\b(?:camera|viewer|lens|us|our way|closer|nearer)\b", lowered):
        predicate = "moving"  # coming closer to the camera is a direction of motion, not an approach
    if direction is not None and predicate == "present":
        predicate = "moving"
    turn = re.search(r"\bturn(?:s|ing|ed)? (?:to the )?(left|right)\b", lowered)
    if predicate == "turns_back" and turn:
        predicate, direction = "moving", turn.group(1)  # a car turning left is not turning back
    if predicate == "moving" and re.search(r"\bfrom (?:the )?(?:left|right)(?: side)? to (?:the )?(?:left|right)\b",
                                           lowered):
        predicate = "crosses"  # "passing from the left side to the right" goes all the way across
    return predicate, direction


def _count(tokens: list[str], target: tuple[int, set[str], str] | None, notes: list[str]
           ) -> tuple[int | None, str | None, bool, int]:
    """How many referents (None = every match), what to rank by, descending?, which one in rank order."""
    count: int | None = None
    rank_by: str | None = None
    descending, index = True, 1
    pos = target[0] if target else len(tokens)
    window = tokens[max(0, pos - 3):pos]
    for tok in tokens:
        if tok in ORDINALS and tok != "first":
            rank_by, descending, index, count = "start", False, ORDINALS[tok], 1
            break
        if tok in SUPERLATIVES:
            rank_by, descending = SUPERLATIVES[tok]
            count = 1
            break
    if target and target[2] in COUNT_WORDS and target[2] not in {"a", "an", "one"}:
        count = COUNT_WORDS[target[2]]  # "the pair who meet"
    for tok in reversed(window):
        if tok.isdigit() and 0 < int(tok) <= 100:
            count = int(tok)
            break
        if tok in COUNT_WORDS and tok not in {"a", "an"} and not (tok == "one" and rank_by):
            count = COUNT_WORDS[tok]
            break
    if count is None and rank_by is None:
        word = target[2].split()[-1] if target else ""
        plural = (target is None or _is_plural(word) or any(t in _QUANTIFIERS for t in tokens)
                  or (_group(word) is not None and word.endswith("s")))
        count = None if plural else 1
    if rank_by is not None and count is not None and count > 1:
        notes.append(f"the {count} referents ranked by {rank_by}")
    return count, rank_by, descending, index


_POSITIONS: tuple[tuple[str, str], ...] = (
    (r"\b(?:on|at|in) the (?:far )?left(?: side| edge| of the (?:frame|picture|screen|image))?\b(?! to)", "left"),
    (r"\b(?:on|at|in) the (?:far )?right(?: side| edge| of the (?:frame|picture|screen|image))?\b(?! to)", "right"),
    (r"\bin the (?:middle|centre|center)\b", "centre"),
)
"""Where in the picture the referent is ("the man on the left"): chosen by its mean position."""

_RIDING_VERBS = frozenset({"riding", "rides", "ride", "astride", "pedalling", "pedaling", "atop", "mounted"})
_RIDES = re.compile(r"\b(?:on|riding|rides|ride|astride|pedalling|pedaling|atop)\s+(?:(?:an|a|the|his|her|their)\s+)?"
                    r"([a-z]+(?: [a-z]+)?)")


_CARRYING_VERBS = frozenset({"with", "carrying", "carries", "carry", "holding", "holds", "hold", "wearing",
                             "wears", "has", "having", "clutching", "pushing", "pulling", "dragging"})
_CARRIES = re.compile(r"\b(?:" + "|".join(sorted(_CARRYING_VERBS)) + r")\s+(?:(?:an|a|the|his|her|their|some)\s+)?"
                      r"([a-z]+(?: [a-z]+)?)")


def _carrying(lowered: str) -> list[str] | None:
    """What the referent carries, holds or wears ("a man with an umbrella", "the woman carrying a bag"), or None."""
    for match in _CARRIES.finditer(lowered):
        for words in (match.group(1), *match.group(1).split()):  # "a red umbrella"
            if (name := canonical_class(words)) in CARRIED:
                return [name]
    return None


def _riding(lowered: str) -> list[str] | None:
    """Vehicles the referent rides ("the man on a bicycle", "a woman riding a horse"), or None."""
    for match in _RIDES.finditer(lowered):
        for words in (match.group(1), *match.group(1).split()):  # "an old horse"
            if words in COMPOSITES and COMPOSITES[words][0] == "person":
                return list(COMPOSITES[words][1])
            name = canonical_class(words)
            if name in {"bicycle", "motorbike", "horse"}:
                return [name]
    return None


def _within(tokens: list[str], found: re.Match) -> set[int]:
    """Indices of the tokens that a match in ``" ".join(tokens)`` covers."""
    starts = list(accumulate((len(t) + 1 for t in tokens[:-1]), initial=0))
    return {i for i, (a, t) in enumerate(zip(starts, tokens)) if a < found.end() and a + len(t) > found.start()}


def _attributes(tokens: list[str]) -> tuple[dict[str, str], str | None]:
    """Colours (on the upper or lower half when a garment is named) and a size word."""
    colours: dict[str, str] = {}
    for i, tok in enumerate(tokens):
        name = next((c for c, words in COLOURS.items() if tok in words), None)
        if name is None or tok in {"light", "dark"} and i + 1 < len(tokens) and tokens[i + 1] in COLOURS:
            continue
        after = tokens[i + 1:i + 3]
        where = ("upper" if any(t in UPPER_WORDS for t in after) else
                 "lower" if any(t in LOWER_WORDS for t in after) else "any")
        colours[name] = where
    size = next((SIZES[t] for i, t in enumerate(tokens) if t in SIZES  # "on the far left" is a place
                 and not (t == "far" and tokens[i + 1:i + 2] in (["left"], ["right"]))), None)
    return colours, size


def parse_query(text: str, encoder: EncoderSource = None) -> QueryPlan:
    """Parse ``text`` into a :class:`QueryPlan`.

    ``encoder`` (or a function that loads it) matches words the vocabulary does not list by meaning;
    it is loaded only when such a word matters. Raises :class:`QueryError` for an empty query, one
    longer than 500 characters, or one in which neither an object nor an action can be recognised.

    >>> parse_query("the fastest car").rank_by, parse_query("the fastest car").count
    ('speed', 1)
    >>> parse_query("three horses").count
    3
    >>> p = parse_query("a man turns back"); p.predicate, p.span
    ('turns_back', 'track')
    >>> p = parse_query("the cyclists"); p.classes, p.riding, p.count
    (['person'], ['bicycle'], None)
    >>> parse_query("the woman in a white coat").colours
    {'white': 'upper'}
    """
    tokens = _check(text)
    enc = _Encoder(encoder)
    notes: list[str] = []
    lowered = " ".join(tokens)

    pred_hits = _secondary(tokens, _find_phrases(tokens, _predicate_index().get))
    taken = {i + k for i, n, _ in pred_hits for k in range(n)}
    mentions = _objects(tokens, taken, enc, notes)
    predicate, pred_words = _action(tokens, pred_hits, mentions, enc, notes)
    if predicate in ("stationary", "moving", "fast", "slow"):
        predicate = _sequence(tokens, pred_hits) or predicate
    predicate, direction = _direction(lowered, predicate)
    to_camera = next(((value, found) for pattern, value in CAMERA_PATTERNS if (found := re.search(pattern, lowered))),
                     None)
    camera = to_camera[0] if to_camera else None
    if camera and predicate in {"moving", "overtakes", "crosses", "leads"} and direction is None:
        # Filmed from a moving vehicle, what drives ahead of or past the camera hardly moves in the
        # picture: the relation to the camera is the test, and the answer is the whole track.
        predicate = "present"

    # Target = the first object named; the other object of a relation = the first one after the verb.
    pred_pos = min((i for i, _, v in pred_hits if v == predicate), default=len(tokens))
    targets = [m for m in mentions if m[0] < pred_pos] or mentions[:1]
    target = targets[0] if targets else None
    others = [m for m in mentions if m[0] > pred_pos and m is not target]
    if target is None and predicate == "present":
        raise QueryError(
            f"could not find anything to look for in {text!r}: name an object (person, car, horse, ...) "
            "and optionally what it does, e.g. 'the people walking' or 'a car moving left'"
        )
    classes = sorted(target[1]) if target else []
    noun = target[2].split()[-1] if target else ""
    riding = list(COMPOSITES[noun][1]) if noun in COMPOSITES else _riding(lowered)
    if riding and predicate == "moving" and direction is None:
        predicate = "present"  # "riding a horse" names the rider, not a state of motion
    carrying = _carrying(lowered)
    passed = re.search(r"\bpass(?:es|ed|ing)? (?:by )?(?:the |a |an |another |some )?([a-z]+)(?: ([a-z]+))?", lowered)
    if passed and predicate in ("present", "moving", "fast", "slow") and any(
            canonical_class(w) for w in passed.groups() if w) and passed.group(1) not in PREDICATES["stationary"]:
        predicate = "overtakes"  # "the runner who passes the walker" overtakes; "passes the parked truck" moves
    if noun in NOUN_ACTIONS and predicate in ("present", "moving"):
        predicate = NOUN_ACTIONS[noun]
    paces = ({v for _, _, v in pred_hits} | ({NOUN_ACTIONS[noun]} if noun in NOUN_ACTIONS else set())
             | {v for i, n, _ in pred_hits for t in tokens[i:i + n] for v in ("fast", "slow") if t in PREDICATES[v]})
    manner = (None if predicate in _STATES_OF_MOTION | {"stationary", "present"} else
              next((v for v in ("fast", "slow") if v in paces), None))  # "runs in from the left": enters, fast
    if target is None:
        notes.append("no object named: looking at every class the detector knows")
    if predicate == "present":
        known = {i + k for i, _, w in mentions for k in range(len(w.split()))} | (
            _within(tokens, to_camera[1]) if to_camera else set())
        unread = [t for j, t in enumerate(tokens) if j not in known and not _skippable(t) and t not in _QUANTIFIERS
                  and t not in UPPER_WORDS | LOWER_WORDS and canonical_class(t) is None
                  and not (riding and t in _RIDING_VERBS) and t not in _CARRYING_VERBS
                  and t not in _predicate_index()]
        if unread:
            notes.append(f"{', '.join(repr(t) for t in unread)} not in the vocabulary: best effort, answering "
                         f"every {' or '.join(classes) or 'object'} seen")
    other_classes = sorted(others[0][1]) if predicate in RELATIONAL and others else None
    count, rank_by, descending, index = _count(tokens, target, notes)
    colours, size = _attributes(tokens)
    position = (None if predicate in ("enters", "leaves") else  # "leaving on the left" names a side of exit
                next((value for pattern, value in _POSITIONS if re.search(pattern, lowered)), None))
    span = SPAN_OF[predicate]
    if predicate in ("moving", "fast") and re.search(r"\b(?:then|and then|before|after)\b", lowered):
        span = "track"  # "walks and then stops", "runs then walks": the whole described sequence

    described = [f"objects: {', '.join(classes) or 'any'}" + (f" on {'/'.join(riding)}" if riding else "")
                 + (f" with {'/'.join(carrying)}" if carrying else ""),
                 f"action: {predicate}" + (f" ({', '.join(pred_words)})" if pred_words else "")
                 + (f", {manner}" if manner else ""),
                 *([f"direction: {direction}"] if direction else []), *([f"camera: {camera}"] if camera else []),
                 *([f"colours: {colours}"] if colours else []), *([f"size: {size}"] if size else []),
                 *([f"position: {position}"] if position else []),
                 f"count: {count}" if count else "count: every match", f"interval: {span}"]
    return QueryPlan(
        text=text, classes=classes, predicate=predicate, direction=direction, other_classes=other_classes,
        count=count, rank_by=rank_by, rank_descending=descending, rank_index=index, riding=riding, manner=manner,
        carrying=carrying, colours=colours, size=size, camera=camera, position=position, span=span, notes=["; ".join(described), *notes],
    )
