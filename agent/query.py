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

from pydantic import BaseModel, Field

from agent.encoder import Encoder
from agent.vocabulary import (
    CLASS_WORDS,
    COUNT_WORDS,
    DIRECTION_PATTERNS,
    NOUN_ACTIONS,
    PLURAL_WORDS,
    PREDICATES,
    RELATIONAL,
    STOPWORDS,
    SUPERLATIVES,
    Direction,
    PredicateName,
)

CLASS_THRESHOLD = 0.65
"""Least encoder similarity for a word to name a class it is not listed under."""
PREDICATE_THRESHOLD = 0.58
"""Least encoder similarity for a word to express an action it is not listed under."""
MAX_QUERY_CHARS = 500

_PRIORITY: tuple[str, ...] = (
    "meets", "leads", "overtakes", "follows", "approaches", "turns_back", "starts_moving", "stops", "enters",
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
    """The detector's class for a listed word (tools' synonyms first, then this planner's table)."""
    from tools.detect import canonical_class

    name = canonical_class(word)
    if name is None:
        for cls, words in CLASS_WORDS.items():
            if word in words:
                return canonical_class(cls) or cls
    return name


def _predicate_index() -> dict[str, str]:
    return {phrase: name for name, phrases in PREDICATES.items() for phrase in phrases}


def _group(word: str) -> list[str] | None:
    """Classes a group word stands for ([] = every class), or None if it is no group word."""
    from tools.detect import CLASS_GROUPS, resolve_classes

    for w in (word, word.removesuffix("s")):
        if w in CLASS_GROUPS:
            return resolve_classes([w]) or []
    return None


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
    for n in (4, 3, 2, 1):
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


def parse_query(text: str, encoder: Encoder | None = None) -> QueryPlan:
    """Parse ``text`` into a :class:`QueryPlan` (``encoder`` matches unlisted words by meaning).

    Raises :class:`QueryError` for an empty query, one longer than 500 characters, or one in which
    neither an object nor an action can be recognised.

    >>> parse_query("the fastest car").rank_by, parse_query("the fastest car").count
    ('speed', 1)
    >>> parse_query("three horses").count
    3
    >>> parse_query("a man turns back").predicate
    'turns_back'
    """
    if not isinstance(text, str) or not text.strip():
        raise QueryError("the query is empty: describe what to find, e.g. 'the people walking'")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text)} characters long; keep it under {MAX_QUERY_CHARS}")
    tokens = _tokens(text)
    if not any(re.search(r"[a-z]", t) for t in tokens):
        raise QueryError(f"the query {text!r} has no words: describe what to find, e.g. 'a car moving left'")
    notes: list[str] = []

    # Objects: exact words and groups first, then unlisted content words by meaning.
    predicates = _predicate_index()
    pred_hits = _find_phrases(tokens, predicates.get)
    pred_positions = {i + k for i, n, _ in pred_hits for k in range(n)}
    class_hits = [h for h in _find_phrases(tokens, _class_lookup) if h[0] not in pred_positions]
    if not class_hits and encoder is not None:
        # No listed object word: match the content words by meaning (verb forms are left to actions).
        for i, tok in enumerate(tokens):
            if (i in pred_positions or tok in STOPWORDS or tok in COUNT_WORDS or tok in SUPERLATIVES
                    or len(tok) < 3 or not tok.isalpha() or tok.endswith(("ing", "ed"))):
                continue
            cls, sim = encoder.best(tok, CLASS_WORDS)
            if cls is not None and sim >= CLASS_THRESHOLD:
                name = _detector_class(cls) or cls
                class_hits.append((i, 1, [name]))
                notes.append(f"'{tok}' read as {name} (similarity {sim:.2f})")

    mentions: list[tuple[int, set[str], str]] = []  # (token position, classes, word)
    for i, n, value in class_hits:
        mentions.append((i, set(value), " ".join(tokens[i:i + n])))

    # Action: exact phrases (most specific wins), else the nearest prototype by meaning.
    predicate: str = "present"
    pred_words: list[str] = []
    found = {value for _, _, value in pred_hits}
    for name in _PRIORITY:
        if name in found:
            predicate = name
            pred_words = [" ".join(tokens[i:i + n]) for i, n, v in pred_hits if v == name]
            break
    if predicate == "present" and encoder is not None:
        mention_positions = {i + k for i, n, _ in class_hits for k in range(n)}
        candidates = [t for j, t in enumerate(tokens) if j not in mention_positions and t not in STOPWORDS
                      and t.isalpha() and len(t) >= 3 and t not in COUNT_WORDS and t not in SUPERLATIVES]
        best: tuple[str | None, float, str] = (None, 0.0, "")
        for tok in candidates:
            name, sim = encoder.best(tok, PREDICATES)
            if name is not None and sim > best[1]:
                best = (name, sim, tok)
        if best[0] is not None and best[1] >= PREDICATE_THRESHOLD:
            predicate = best[0]
            pred_words = [best[2]]
            notes.append(f"'{best[2]}' read as {predicate} (similarity {best[1]:.2f})")

    direction: Direction | None = None
    lowered = " ".join(tokens)
    for pattern, value in DIRECTION_PATTERNS:
        if re.search(pattern, lowered):
            direction = value
            break
    side = re.search(r"\b(?:on|at|to|towards?) the (left|right)(?: side| edge)?\b", lowered)
    if predicate == "leaves" and side:
        direction = side.group(1)  # leaving on the left moves leftwards
    if direction is not None and predicate in {"present", "approaches"} and re.search(
            r"\btowards? (?:the )?(?:camera|viewer|us)\b", lowered):
        predicate = "moving"
    if direction is not None and predicate == "present":
        predicate = "moving"
    if predicate == "moving" and re.search(r"\bfrom (?:the )?(?:left|right)(?: side)? to (?:the )?(?:left|right)\b",
                                           lowered):
        predicate = "crosses"  # "passing from the left side to the right" goes all the way across

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
    if noun in NOUN_ACTIONS and predicate in ("present", "moving"):
        predicate = NOUN_ACTIONS[noun]
    if target is None:
        notes.append("no object named: looking at every class the detector knows")

    other_classes: list[str] | None = None
    if predicate in RELATIONAL:
        other_classes = sorted(others[0][1]) if others else None

    # How many: a number or count word before the target, a superlative, or plural -> every match.
    count: int | None = None
    rank_by: str | None = None
    descending = True
    window = tokens[max(0, (target[0] if target else len(tokens)) - 3):(target[0] if target else len(tokens))]
    for tok in tokens:
        if tok in SUPERLATIVES:
            rank_by, descending = SUPERLATIVES[tok]
            count = 1
            break
    if target and target[2] in COUNT_WORDS and target[2] not in {"a", "an"}:
        count = COUNT_WORDS[target[2]]  # "the pair who meet"
    for tok in reversed(window):
        if tok.isdigit() and 0 < int(tok) <= 100:
            count = int(tok)
            break
        if tok in COUNT_WORDS and tok not in {"a", "an"}:
            count = COUNT_WORDS[tok]
            break
    if count is None and rank_by is None:
        target_word = target[2].split()[-1] if target else ""
        plural = (target is None or _is_plural(target_word) or any(t in _QUANTIFIERS for t in tokens)
                  or _group(target_word) is not None)
        count = None if plural else 1
    if rank_by is not None and count is not None and count > 1:
        notes.append(f"the {count} referents ranked by {rank_by}")

    return QueryPlan(
        text=text, classes=classes, predicate=predicate, direction=direction, other_classes=other_classes,
        count=count, rank_by=rank_by, rank_descending=descending,
        notes=[f"objects: {', '.join(classes) or 'any'}; action: {predicate}"
               + (f" ({', '.join(pred_words)})" if pred_words else "")
               + (f"; direction: {direction}" if direction else "")
               + (f"; count: {count}" if count else "; count: every match"), *notes],
    )
