"""Words the embedded planner knows: object classes, class groups, count words and action predicates.

Object words come from the one class vocabulary, :mod:`tools.vocabulary`; the action words live
here. These tables are the *prototypes* the sentence encoder compares query words against (see
:mod:`agent.query`): an exact hit is taken as is, any other word is matched by meaning, so
"automobile" finds ``car`` and "strolling" finds ``moving`` without being listed.

>>> CLASS_WORDS["person"][:3]
('person', 'people', 'persons')
>>> CLASS_WORDS["motorbike"][:3]
('motorbike', 'motorbikes', 'motorcycle')
>>> PREDICATES["fast"][:3]
('run', 'runs', 'running')
"""

from __future__ import annotations

from typing import Literal

from tools.vocabulary import COCO_CLASSES, COMPOSITES, SYNONYMS

CLASS_WORDS: dict[str, tuple[str, ...]] = {
    cls: (cls, *SYNONYMS.get(cls, ()), *(w for w, (c, _) in COMPOSITES.items() if c == cls and cls != "person"))
    for cls in COCO_CLASSES
}
"""Detector class -> words that name it: the encoder's prototypes (from :mod:`tools.vocabulary`)."""

PLURAL_WORDS = frozenset(
    {"people", "persons", "men", "women", "children", "kids", "pedestrians", "crowd", "individuals",
     "figures", "passersby", "adults", "folks", "all", "every", "each", "everyone", "everybody", "several",
     "many", "some", "multiple", "various", "both", "others", "ones", "group", "those", "these",
     "vehicles", "traffic", "animals", "objects", "things", "everything"}
)
"""Words that make a query plural (every matching referent) when no count is given."""

NOUN_ACTIONS: dict[str, str] = {"runner": "fast", "runners": "fast", "jogger": "fast", "joggers": "fast"}
"""Object words that also say what the object does ("the runner heading left" runs)."""

COUNT_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "pair": 2, "both": 2, "couple": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
"""Count words (digits are read directly)."""

PredicateName = Literal[
    "present", "moving", "fast", "slow", "stationary", "starts_moving", "stops", "enters", "leaves",
    "turns_back", "crosses", "approaches", "follows", "leads", "overtakes", "meets", "together",
]

PREDICATES: dict[str, tuple[str, ...]] = {
    "moving": (
        "walk", "walks", "walking", "walked", "move", "moves", "moving", "go", "goes", "going", "travel",
        "travels", "traveling", "drive", "drives", "driving", "ride", "rides", "riding", "pass", "passes",
        "passing", "stroll", "strolls", "strolling", "head", "heads", "heading", "proceed", "proceeds",
        "advance", "advances", "pull", "pulls", "pulling", "trot", "trots", "trotting", "roll", "rolling",
        "cycle", "cycling", "wander", "wandering", "march", "marching", "in motion",
    ),
    "fast": (
        "run", "runs", "running", "ran", "jog", "jogs", "jogging", "sprint", "sprints", "sprinting", "rush",
        "rushes", "rushing", "race", "races", "racing", "hurry", "hurries", "hurrying", "speed", "speeds",
        "speeding", "dash", "dashes", "dashing", "gallop", "gallops", "galloping", "fast", "quickly",
        "fastest", "flee", "flees", "fleeing",
    ),
    "slow": ("slowly", "slow", "slowest", "amble", "ambles", "ambling", "creep", "creeps", "creeping",
             "plod", "plodding", "shuffle", "shuffling"),
    "stationary": (
        "stand", "stands", "standing", "stood", "stay", "stays", "staying", "wait", "waits", "waiting",
        "remain", "remains", "remaining", "park", "parks", "parked", "sit", "sits", "sitting", "still",
        "stationary", "idle", "idling", "motionless", "rest", "rests", "resting", "static", "linger",
        "lingers", "lingering", "pause", "pauses", "pausing", "stopped", "halted", "not moving",
        "stands still", "stay still", "not move", "does not move", "doesn't move", "without moving",
        "in one place", "stays in one place", "stays put", "loiter", "loiters", "loitering", "hang around",
        "hangs around", "hanging around", "stands around", "standing around", "hang about", "hangs about",
    ),
    "starts_moving": (
        "start", "starts", "starting", "begin", "begins", "beginning", "set off", "sets off",
        "starts moving", "starts walking", "starts to walk", "begins to move", "begins walking",
        "gets going", "gets moving", "get moving", "getting moving", "sets out", "set out", "pulls away",
        "takes off", "resumes",
    ),
    "stops": (
        "stop", "stops", "stopping", "halt", "halts", "halting", "come to a stop", "comes to a stop",
        "comes to a halt", "brakes", "braking", "pull up", "pulls up", "stops walking", "stops moving",
        "come to a halt", "comes to rest", "freeze", "freezes", "freezing", "standstill",
        "comes to a standstill", "come to a standstill", "coming to a standstill",
    ),
    "enters": (
        "enter", "enters", "entering", "appear", "appears", "appearing", "arrive", "arrives", "arriving",
        "comes into view", "come into view", "comes in", "walks in", "runs in", "run in", "running in",
        "jogs in", "rushes in", "hurries in", "drives in", "rides in", "comes running in", "walks into the frame",
        "enters the scene", "shows up", "show up", "showing up", "turns up", "pops up", "into view",
        "walks into view", "comes into the frame", "into the picture", "into the frame", "come in",
        "coming in", "walking in", "walk in", "steps in", "stepping in", "emerge", "emerges", "emerging",
    ),
    "leaves": (
        "leave", "leaves", "leaving", "exit", "exits", "exiting", "disappear", "disappears",
        "disappearing", "goes out of view", "walks out", "walks away out of the frame", "departs the scene",
        "leaves the scene", "vanish", "vanishes", "moves out of frame", "out of view", "walks out of view",
        "depart", "departs", "departing", "out of the picture", "out of the frame", "out of frame", "off the edge",
        "goes out", "go out", "going out", "exits the frame", "leaves the frame", "leaves the picture",
    ),
    "turns_back": (
        "turn back", "turns back", "turning back", "turn around", "turns around", "turning around",
        "reverse", "reverses", "reversing", "u-turn", "changes direction", "walks back", "goes back",
        "returns", "return", "comes back", "turn", "turns", "turning", "heads back", "head back",
        "heading back", "walk back", "walking back", "double back", "doubles back",
        "doubling back", "retrace", "retraces", "retracing", "the way he came", "the way she came",
        "the way they came",
        "back and forth", "to and fro", "pacing", "paces", "pace up and down", "paces up and down",
    ),
    "crosses": (
        "cross", "crosses", "crossing", "crossed", "traverse", "traverses", "traversing",
        "crosses the street", "crossing the road", "goes across", "walks across", "across",
        "from one side to the other", "one side to the other", "side to side", "to the other side",
    ),
    "approaches": (
        "approach", "approaches", "approaching", "goes up to", "walks up to", "comes near", "gets closer to", "nears", "closes in",
        "goes over to", "walk up to", "walks over to", "walk over to", "walking over to", "walking up to",
        "walked up to", "walked over to", "go over to", "heads to", "goes to", "comes up to", "come up to",
        "coming up to", "heads over to", "makes their way to", "makes his way to", "makes her way to",
        "walks right up to", "walk right up to", "walking right up to", "goes right up to", "comes right up to",
    ),
    "follows": (
        "follow", "follows", "following", "followed", "chase", "chases", "chasing", "trail", "trails",
        "trailing", "walks behind", "tails", "tail", "tailing", "pursue", "pursues", "pursuing", "behind", "walking behind",
        "walking right behind",
    ),
    "leads": (
        "being followed", "is followed", "followed by", "ahead of", "walking ahead", "walks ahead", "leads",
        "leading", "has someone walking behind", "someone walking behind them", "someone walking right behind",
        "with someone walking behind", "with someone walking right behind", "on their heels", "on his heels",
        "on her heels", "is tailed", "being tailed", "being trailed", "being chased", "is chased",
    ),
    "overtakes": (
        "overtake", "overtakes", "overtaking", "pass someone", "passes someone", "passing someone",
        "gets ahead of", "get ahead of", "outpaces", "outpacing", "passing a slower", "pass a slower",
        "passes a slower",
        "catches up with", "catch up with", "catching up with", "catches up to", "catching up to", "overtook",
    ),
    "together": (
        "together", "side by side", "alongside each other", "next to each other", "in a group", "as a group",
        "as a pair", "in pairs", "with each other", "walking together", "walk together", "walks together",
        "in step", "arm in arm", "shoulder to shoulder", "abreast", "in company", "accompany", "accompanies",
        "accompanying",
        "side-by-side", "in twos", "two by two", "walking in pairs", "walk in pairs", "walks in pairs",
    ),
    "meets": (
        "meet", "meets", "meeting", "join", "joins", "joining", "greet", "greets", "greeting",
        "come together", "comes together", "walk up to each other", "converge", "converges", "gather",
        "gathers", "reunite", "talk", "talks", "talking", "chat", "chatting", "toward each other",
        "towards each other", "to each other", "meet up", "meets up", "bump into", "bumps into",
        "bumping into", "run into each other", "runs into each other", "running into each other", "collide",
        "collides", "colliding",
        "approach each other", "approaches each other", "approaching each other", "walk over to each other",
    ),
}
"""Action predicate -> phrases that express it (the encoder's prototypes)."""

RELATIONAL = frozenset({"approaches", "follows", "leads", "overtakes", "meets", "together"})
"""Predicates about the referent and another object (named after the verb, or of the same class)."""

MUTUAL = frozenset({"meets", "together"})
"""Relations that hold both ways: who walks together (or meets) does so with someone who does too."""

Direction = Literal["left", "right", "toward", "away", "up", "down"]

DIRECTION_PATTERNS: tuple[tuple[str, Direction], ...] = (
    # "from the left" moves rightwards; "to the left" moves leftwards.
    ((r"\bfrom (?:the )?left\b|\bleft to (?:the )?right\b|\bto(?:wards?)? the right\b|\brightwards?\b|"
      r"\bto the right side\b|\b(?:[a-z]+(?:ing|s|ed)|way) (?:to the |towards? the )?right\b"
      r"(?! (?:behind|in front|next to|beside|after|before|alongside|by|up to|at|into|there|here)\b)"), "right"),
    ((r"\bfrom (?:the )?right\b|\bright to (?:the )?left\b|\bto(?:wards?)? the left\b|\bleftwards?\b|"
      r"\bto the left side\b|\b(?:[a-z]+(?:ing|s|ed)|way) (?:to the |towards? the )?left\b"), "left"),
    ((r"\b(?:towards?|closer to|nearer to|near to|up to|approaching) (?:the )?(?:camera|viewer|lens|us)\b|"
      r"\bour way\b|\b(?:coming|getting|moves?|walks?|comes?|gets?) (?:closer|nearer)\b(?! to (?:a|an|the|another|someone|somebody) (?!camera|viewer))|"
      r"\bcomes? towards?\b(?! (?:the|a|an|another|each) \w+)"), "toward"),
    ((r"\baway from (?:the )?(?:camera|viewer|us)\b|\binto the distance\b|\brecedes?\b|\breceding\b|"
      r"\b(?:moves?|moving|walks?|walking|goes|going|go|drives?|driving|heads?|heading|rides?|riding|runs?|"
      r"running) away\b(?! from (?!(?:the )?(?:camera|viewer|us)\b))"), "away"),
)
"""Regular expressions that fix a direction of motion (checked in order; first match wins)."""

SUPERLATIVES: dict[str, tuple[str, bool]] = {
    "fastest": ("speed", True), "quickest": ("speed", True), "slowest": ("speed", False),
    "largest": ("size", True), "biggest": ("size", True), "closest": ("size", True),
    "nearest": ("size", True), "smallest": ("size", False), "farthest": ("size", False),
    "furthest": ("size", False), "tallest": ("size", True), "shortest": ("size", False),
    "first": ("start", False), "earliest": ("start", False),
    "last": ("start", True), "latest": ("start", True), "longest": ("duration", True),
}
"""Superlative word -> (attribute to rank by, descending?)."""

STOPWORDS = frozenset(
    {"the", "a", "an", "is", "are", "was", "were", "be", "being", "been", "of", "in", "on", "at", "to",
     "from", "into", "onto", "with", "and", "or", "that", "which", "who", "whom", "its", "their", "his",
     "her", "this", "there", "here", "it", "they", "he", "she", "by", "for", "as", "then", "while",
     "when", "where", "over", "under", "through", "along", "near", "video", "scene", "frame", "clip",
     "shot", "footage", "camera", "one", "other", "another", "each", "side", "street", "road", "way",
     "find", "show", "track", "locate", "me", "please", "all", "every", "some", "several", "many",
     "does", "do", "did", "has", "have", "had", "not", "no", "out", "up", "down", "around", "across",
     "left", "right", "toward", "towards", "away", "back", "front", "behind", "after", "before",
     "during", "open", "area", "view", "picture", "image"}
)
"""Words that never name an object (skipped when looking for classes by meaning)."""

Span = Literal["state", "track", "pair", "approach", "meet"]

SPAN_OF: dict[str, Span] = {
    "present": "track", "moving": "state", "fast": "state", "slow": "state", "stationary": "state",
    "starts_moving": "track", "stops": "track", "enters": "track", "leaves": "track", "turns_back": "track",
    "crosses": "track", "overtakes": "track", "follows": "pair", "leads": "pair", "approaches": "approach",
    "meets": "meet", "together": "state",
}
"""The interval convention of each predicate (README, "Interval conventions"): a query about a *state*
answers the seconds in which it holds; one that identifies an object by an event or a sequence
answers that object's whole visible track; "follows" the seconds in which both are visible;
"walks up to" the approach; "meet" the mutual approach and the meeting."""

COLOURS: dict[str, tuple[str, ...]] = {
    "black": ("black", "dark", "darkly"), "white": ("white", "light", "pale"), "grey": ("grey", "gray", "silver"),
    "red": ("red", "crimson", "maroon"), "orange": ("orange",), "yellow": ("yellow", "golden", "blond", "blonde"),
    "green": ("green",), "blue": ("blue", "navy"), "brown": ("brown", "tan", "beige"), "pink": ("pink",),
    "purple": ("purple", "violet"),
}
"""Colour name the tools measure -> words for it."""

UPPER_WORDS = frozenset({"shirt", "shirts", "jacket", "jackets", "coat", "coats", "top", "tops", "hat", "hats",
                         "blouse", "sweater", "hoodie", "vest", "cap", "dress", "suit"})
LOWER_WORDS = frozenset({"trousers", "pants", "jeans", "skirt", "shorts", "shoes", "boots", "legs"})
"""Clothing words that put a colour on the upper or the lower half of a person's box."""

SIZES: dict[str, str] = {
    "big": "large", "large": "large", "huge": "large", "tall": "large", "giant": "large", "close": "large",
    "small": "small", "little": "small", "tiny": "small", "short": "small", "distant": "small", "far": "small",
}
"""Size words (relative to the other objects of the class)."""

CAMERA_PATTERNS: tuple[tuple[str, str], ...] = (
    ((r"\b(?:in front of|ahead of) (?:the |our )?(?:camera|viewer|us|vehicle|tram|streetcar|cable car)\b|"
     r"\bahead of us\b|\bin front of us\b|\bright in front\b|\bstraight ahead\b"), "ahead"),
    ((r"\bpass(?:es|ing)? (?:by )?(?:the )?(?:camera|viewer|us)\b|\bgoes? past (?:the )?(?:camera|us)\b|"
     r"\boverta(?:kes?|king) (?:the )?(?:camera|us)\b"), "passing"),
)
"""Relations to the camera in footage shot from a moving vehicle (first match wins); "toward the
camera" is a direction (see DIRECTION_PATTERNS)."""

ORDINALS: dict[str, int] = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
"""Ordinal words: the n-th object, in order of when its action starts."""
