"""Words the embedded planner knows: object classes, class groups, count words and action predicates.

These tables are the *prototypes* the sentence encoder compares query words against (see
:mod:`agent.query`): an exact hit is taken as is, any other word is matched by meaning, so
"automobile" finds ``car`` and "strolling" finds ``moving`` without being listed.

>>> CLASS_WORDS["person"][:3]
('person', 'people', 'persons')
>>> PREDICATES["fast"][:3]
('run', 'runs', 'running')
"""

from __future__ import annotations

from typing import Literal

CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "person": (
        "person", "people", "persons", "man", "men", "woman", "women", "pedestrian", "pedestrians",
        "child", "children", "kid", "kids", "boy", "boys", "girl", "girls", "guy", "guys", "lady",
        "ladies", "gentleman", "gentlemen", "human", "humans", "someone", "somebody", "individual",
        "individuals", "figure", "figures", "passerby", "passersby", "walker", "walkers", "runner",
        "runners", "worker", "workers", "player", "players", "dancer", "dancers", "crowd", "adult",
        "adults", "policeman", "everyone", "everybody", "pair", "couple", "duo", "jogger", "joggers",
        "follower", "followers",
    ),
    "bicycle": ("bicycle", "bicycles", "bike", "bikes", "cyclist", "cyclists"),
    "car": ("car", "cars", "automobile", "automobiles", "auto", "autos", "taxi", "taxis", "cab", "sedan",
            "motorcar", "motorcars"),
    "motorcycle": ("motorcycle", "motorcycles", "motorbike", "motorbikes", "scooter", "scooters"),
    "airplane": ("airplane", "airplanes", "aeroplane", "plane", "planes", "aircraft", "jet"),
    "bus": ("bus", "buses", "coach", "omnibus"),
    "train": ("train", "trains", "tram", "trams", "streetcar", "streetcars", "trolley", "trolleys",
              "locomotive", "railcar"),
    "truck": ("truck", "trucks", "lorry", "lorries", "van", "vans", "pickup"),
    "boat": ("boat", "boats", "ship", "ships", "canoe", "yacht"),
    "horse": ("horse", "horses", "pony", "ponies", "carriage", "carriages", "buggy", "buggies",
              "wagon", "wagons", "cart", "carts", "stagecoach"),
    "dog": ("dog", "dogs", "puppy", "puppies"),
    "cat": ("cat", "cats", "kitten", "kittens"),
    "bird": ("bird", "birds", "pigeon", "pigeons", "seagull", "gull"),
    "cow": ("cow", "cows", "cattle", "bull", "calf"),
    "sheep": ("sheep", "lamb", "lambs"),
    "elephant": ("elephant", "elephants"),
    "bear": ("bear", "bears"),
    "zebra": ("zebra", "zebras"),
    "giraffe": ("giraffe", "giraffes"),
    "umbrella": ("umbrella", "umbrellas"),
    "backpack": ("backpack", "backpacks", "rucksack"),
    "handbag": ("handbag", "handbags", "purse"),
    "suitcase": ("suitcase", "suitcases", "luggage"),
    "sports ball": ("ball", "balls", "football", "soccer ball", "basketball"),
    "skateboard": ("skateboard", "skateboards"),
    "bench": ("bench", "benches"),
    "chair": ("chair", "chairs"),
    "traffic light": ("traffic light", "traffic lights", "signal"),
    "stop sign": ("stop sign",),
    "kite": ("kite", "kites"),
    "frisbee": ("frisbee",),
    "bottle": ("bottle", "bottles"),
}
"""Canonical COCO class -> words that name it (singular and plural)."""

PLURAL_WORDS = frozenset(
    {"people", "persons", "men", "women", "children", "kids", "pedestrians", "crowd", "individuals",
     "figures", "passersby", "adults", "all", "every", "each", "everyone", "everybody", "several",
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
    "turns_back", "crosses", "approaches", "follows", "leads", "overtakes", "meets",
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
        "in one place", "stays in one place", "stays put",
    ),
    "starts_moving": (
        "start", "starts", "starting", "begin", "begins", "beginning", "set off", "sets off",
        "starts moving", "starts walking", "starts to walk", "begins to move", "begins walking",
        "gets going", "departs", "departing", "pulls away", "takes off", "resumes",
    ),
    "stops": (
        "stop", "stops", "stopping", "halt", "halts", "halting", "come to a stop", "comes to a stop",
        "comes to a halt", "brakes", "braking", "pull up", "pulls up", "stops walking", "stops moving",
        "come to a halt", "comes to rest",
    ),
    "enters": (
        "enter", "enters", "entering", "appear", "appears", "appearing", "arrive", "arrives", "arriving",
        "comes into view", "come into view", "comes in", "walks in", "walks into the frame",
        "enters the scene", "shows up", "into view", "walks into view", "comes into the frame",
    ),
    "leaves": (
        "leave", "leaves", "leaving", "exit", "exits", "exiting", "disappear", "disappears",
        "disappearing", "goes out of view", "walks out", "walks away out of the frame", "departs the scene",
        "leaves the scene", "vanish", "vanishes", "moves out of frame", "out of view", "walks out of view",
    ),
    "turns_back": (
        "turn back", "turns back", "turning back", "turn around", "turns around", "turning around",
        "reverse", "reverses", "reversing", "u-turn", "changes direction", "walks back", "goes back",
        "returns", "return", "comes back", "turn", "turns", "turning",
    ),
    "crosses": (
        "cross", "crosses", "crossing", "crossed", "traverse", "traverses", "traversing",
        "crosses the street", "crossing the road", "goes across", "walks across", "across",
    ),
    "approaches": (
        "approach", "approaches", "approaching", "goes up to", "walks up to", "comes near", "gets closer to", "nears", "closes in",
        "goes over to", "walk up to", "walks over to", "heads to", "goes to",
    ),
    "follows": (
        "follow", "follows", "following", "followed", "chase", "chases", "chasing", "trail", "trails",
        "trailing", "walks behind", "tails", "pursue", "pursues", "pursuing", "behind", "walking behind",
        "walking right behind",
    ),
    "leads": (
        "being followed", "is followed", "followed by", "ahead of", "walking ahead", "walks ahead", "leads",
        "leading", "has someone walking behind", "someone walking behind them", "someone walking right behind",
        "with someone walking behind", "with someone walking right behind",
    ),
    "overtakes": (
        "overtake", "overtakes", "overtaking", "pass someone", "passes someone", "passing someone",
        "gets ahead of", "get ahead of", "outpaces", "outpacing", "passing a slower", "pass a slower",
        "passes a slower",
    ),
    "meets": (
        "meet", "meets", "meeting", "join", "joins", "joining", "greet", "greets", "greeting",
        "come together", "comes together", "walk up to each other", "converge", "converges", "gather",
        "gathers", "reunite", "talk", "talks", "talking", "chat", "chatting",
    ),
}
"""Action predicate -> phrases that express it (the encoder's prototypes)."""

RELATIONAL = frozenset({"approaches", "follows", "leads", "overtakes", "meets"})
"""Predicates about the referent and another object (named after the verb, or of the same class)."""

Direction = Literal["left", "right", "toward", "away", "up", "down"]

DIRECTION_PATTERNS: tuple[tuple[str, Direction], ...] = (
    # "from the left" moves rightwards; "to the left" moves leftwards.
    ((r"\bfrom (?:the )?left\b|\bleft to (?:the )?right\b|\bto(?:wards?)? the right\b|\brightwards?\b|"
      r"\bto the right side\b|\bheading right\b|\bmoving right\b|\bgoing right\b|\bwalks? right\b"), "right"),
    ((r"\bfrom (?:the )?right\b|\bright to (?:the )?left\b|\bto(?:wards?)? the left\b|\bleftwards?\b|"
      r"\bto the left side\b|\bheading left\b|\bmoving left\b|\bgoing left\b|\bwalks? left\b"), "left"),
    ((r"\btowards? (?:the )?(?:camera|viewer|us)\b|\bcloser to the camera\b|\bcoming closer\b|"
      r"\bapproaching the camera\b|\bcomes? towards?\b(?! (?:the|a|an|another|each) \w+)"), "toward"),
    ((r"\baway from (?:the )?(?:camera|viewer|us)\b|\binto the distance\b|\brecedes?\b|\breceding\b|"
      r"\bmoves? away\b|\bwalks? away\b|\bgoes? away\b|\bdrives? away\b"), "away"),
)
"""Regular expressions that fix a direction of motion (checked in order; first match wins)."""

SUPERLATIVES: dict[str, tuple[str, bool]] = {
    "fastest": ("speed", True), "quickest": ("speed", True), "slowest": ("speed", False),
    "largest": ("size", True), "biggest": ("size", True), "closest": ("size", True),
    "nearest": ("size", True), "smallest": ("size", False), "farthest": ("size", False),
    "furthest": ("size", False), "first": ("start", False), "earliest": ("start", False),
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
