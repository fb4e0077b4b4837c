"""The one class vocabulary: detector class names, the words people use for them, groups, close
classes and composite referents. The detectors (:mod:`tools.detect`), the tracks' labels and the
query reader (:mod:`agent.query`) all speak it.

Class names are spelled as the bundled YOLOv3-tiny's ``coco.names`` spells them (``motorbike``,
``aeroplane``, ``tvmonitor``); the person checkpoint's own names (``Normal``, ``Fall``) map to
``person``. ``tests/test_tools_vocabulary.py`` checks every name here against both detectors.

- **Synonyms**: ``"automobile" -> car``, ``"streetcar" -> bus`` (trams and cable cars are detected as
  buses or trains), ``"carriage" -> horse`` (a carriage is found by the horse pulling it).
- **Close classes**: a detector calls the same car seen from behind car, bus or truck in different
  seconds, so a query for one accepts the others (:func:`accepts`).
- **Composites**: a cyclist is a person on a bicycle, a rider a person on a horse or motorbike
  (:data:`COMPOSITES`: the person is the referent, found by its overlap with the vehicle).

>>> canonical_class("Automobiles"), canonical_class("motorcycle"), canonical_class("tram")
('car', 'motorbike', 'bus')
>>> accepts(["car"], "truck"), accepts(["person"], "horse")
(True, False)
>>> COMPOSITES["cyclist"]
('person', ('bicycle',))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorbike", "aeroplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "sofa",
    "pottedplant", "bed", "diningtable", "toilet", "tvmonitor", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)
"""The 80 COCO classes in the bundled detector's class-id order and spelling."""

PERSON_ALIASES: tuple[str, ...] = ("normal", "fall", "person", "people", "pedestrian", "human")
"""Names that mean ``person`` in a checkpoint's own vocabulary (the bundled person model: Normal/Fall)."""

SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": (
        "people", "persons", "man", "men", "woman", "women", "pedestrian", "pedestrians", "child", "children",
        "kid", "kids", "boy", "boys", "girl", "girls", "guy", "guys", "lady", "ladies", "gentleman", "gentlemen",
        "human", "humans", "someone", "somebody", "individual", "individuals", "figure", "figures", "passerby",
        "passersby", "walker", "walkers", "runner", "runners", "jogger", "joggers", "worker", "workers",
        "player", "players", "dancer", "dancers", "crowd", "adult", "adults", "policeman", "officer",
        "passenger", "passengers", "everyone", "everybody", "pair", "couple", "duo", "follower", "followers",
        "fellow", "gent", "chap", "youngster", "teenager", "student", "shopper", "onlooker", "bystander",
        "anyone", "anybody", "one", "ones", "whoever", "those", "folk", "folks", "bloke", "blokes", "lad",
        "lads", "lass", "teen", "teens", "teenagers", "chaps", "fellows", "gents", "youngsters", "shoppers",
        "onlookers", "bystanders", "students",
    ),
    "bicycle": ("bicycles", "bike", "bikes", "cycle", "cycles"),
    "car": ("cars", "automobile", "automobiles", "auto", "autos", "taxi", "taxis", "cab", "cabs", "sedan", "jeep",
            "van", "vans", "suv", "motorcar", "motorcars", "roadster", "convertible"),
    "motorbike": ("motorbikes", "motorcycle", "motorcycles", "scooter", "scooters", "moped", "mopeds"),
    "aeroplane": ("airplane", "airplanes", "aeroplanes", "plane", "planes", "aircraft", "jet", "jets"),
    "bus": ("buses", "coach", "omnibus", "trolleybus", "tram", "trams", "streetcar", "streetcars", "trolley",
            "trolleys", "cable car", "cable cars", "cablecar", "tramcar"),
    "train": ("trains", "locomotive", "railcar"),
    "truck": ("trucks", "lorry", "lorries", "pickup", "wagon", "wagons", "delivery truck"),
    "boat": ("boats", "ship", "ships", "ferry", "canoe", "yacht"),
    "horse": ("horses", "pony", "ponies", "carriage", "carriages", "cart", "carts", "buggy", "buggies",
              "stagecoach", "horse-drawn", "horsecart", "mare", "stallion", "coach and horses"),
    "dog": ("dogs", "puppy", "puppies"),
    "cat": ("cats", "kitten", "kittens"),
    "bird": ("birds", "pigeon", "pigeons", "seagull", "gull"),
    "cow": ("cows", "cattle", "bull", "calf"),
    "sheep": ("lamb", "lambs"),
    "umbrella": ("umbrellas", "parasol"),
    "backpack": ("backpacks", "rucksack"),
    "handbag": ("handbags", "purse", "bag", "bags"),
    "suitcase": ("suitcases", "luggage"),
    "sports ball": ("ball", "balls", "football", "soccer ball", "basketball"),
    "sofa": ("couch",),
    "tvmonitor": ("tv", "television", "monitor"),
    "diningtable": ("table", "dining table"),
    "pottedplant": ("plant", "potted plant"),
    "cell phone": ("phone", "smartphone", "mobile"),
    "traffic light": ("traffic lights", "signal"),
}
"""Canonical class -> other words (singular and plural) people use for it."""

GROUPS: dict[str, tuple[str, ...]] = {
    "vehicle": ("bicycle", "car", "motorbike", "bus", "train", "truck"),
    "traffic": ("bicycle", "car", "motorbike", "bus", "train", "truck", "horse"),
    "animal": ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"),
    "object": (),  # every class
    "thing": (),
}
"""Words that stand for several classes (an empty tuple means every class)."""

CLOSE: tuple[frozenset[str], ...] = (
    frozenset({"car", "truck", "bus"}),
    frozenset({"bus", "train", "truck"}),
    frozenset({"bicycle", "motorbike"}),
)
"""Classes a detector confuses for one object: a query for one accepts the others."""

COMPOSITES: dict[str, tuple[str, tuple[str, ...]]] = {
    **{w: ("person", ("bicycle",)) for w in ("cyclist", "cyclists", "biker", "bikers", "bicyclist", "bicyclists")},
    **{w: ("person", ("motorbike",)) for w in ("motorcyclist", "motorcyclists", "motorist")},
    **{w: ("person", ("horse",)) for w in ("rider", "riders", "horseman", "horsemen", "jockey", "equestrian",
                                           "horseback")},
    **{w: ("person", ("car", "truck", "bus", "horse")) for w in ("driver", "drivers", "coachman")},
}
"""Referent word -> (class of the referent, classes it rides on or drives): found by overlap."""

CARRIED: frozenset[str] = frozenset({
    "backpack", "umbrella", "handbag", "suitcase", "bottle", "cup", "cell phone", "book", "sports ball",
    "frisbee", "kite", "skateboard", "surfboard", "tennis racket", "baseball bat", "teddy bear", "skis",
    "snowboard",
})
"""Classes a person carries, holds or wears ("a man with an umbrella"): found inside the person's box."""

_WORD_INDEX: dict[str, str] = {
    **{name: name for name in COCO_CLASSES},
    **{alias: "person" for alias in PERSON_ALIASES},
    **{w: cls for cls, words in SYNONYMS.items() for w in words},
    **{w: cls for w, (cls, _) in COMPOSITES.items()},
}


def _normal(word: str) -> str:
    return re.sub(r"[\s_\-]+", " ", word.strip().lower())


def _singular(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def canonical_class(word: str) -> str | None:
    """The detector class a word names ("people" -> person, "cable car" -> bus), or None if none.

    >>> [canonical_class(w) for w in ("person", "Cars", "carriage", "dining table", "xyz")]
    ['person', 'car', 'horse', 'diningtable', None]
    """
    w = _normal(word)
    for candidate in (w, _singular(w), w.replace(" ", "")):
        if candidate in _WORD_INDEX:
            return _WORD_INDEX[candidate]
    return None


def group(word: str) -> tuple[str, ...] | None:
    """The classes a group word stands for (``()`` = every class), or None if it is no group word."""
    w = _normal(word)
    for candidate in (w, _singular(w)):
        if candidate in GROUPS:
            return GROUPS[candidate]
    return None


def resolve_classes(words: Sequence[str] | None) -> list[str] | None:
    """Detector class names for a list of words, groups expanded; None means every class.

    Raises ``ValueError`` naming any word that is no known class.

    >>> resolve_classes(["people", "horse"])
    ['horse', 'person']
    >>> resolve_classes(["vehicles"])
    ['bicycle', 'bus', 'car', 'motorbike', 'train', 'truck']
    """
    if words is None:
        return None
    out: set[str] = set()
    unknown = []
    for word in words:
        members = group(word)
        if members is not None:
            if not members:
                return None
            out.update(members)
            continue
        name = canonical_class(word)
        if name is None:
            unknown.append(word)
        else:
            out.add(name)
    if unknown:
        raise ValueError(f"unknown class word(s) {unknown}; use COCO classes such as person, car, bus, horse, "
                         "bicycle (or words like people, vehicle)")
    return sorted(out)


def close_classes(name: str) -> frozenset[str]:
    """``name`` and every class a detector confuses it with.

    >>> sorted(close_classes("truck"))
    ['bus', 'car', 'train', 'truck']
    """
    out = {name}
    for family in CLOSE:
        if name in family:
            out |= family
    return frozenset(out)


def accepts(wanted: Iterable[str], label: str, votes: dict[str, int] | None = None) -> bool:
    """True when a track labelled ``label`` (with per-class ``votes`` over its life) is one of ``wanted``.

    The label is a vote over the track's life; a class the track was also called in at least a
    quarter of its seconds counts too, and close classes (car / truck / bus) accept each other.
    An empty ``wanted`` accepts everything.
    """
    wanted = set(wanted)
    if not wanted:
        return True
    names = {label}
    if votes:
        total = max(sum(votes.values()), 1)
        names |= {c for c, n in votes.items() if n / total >= 0.25}
    return any(close_classes(w) & names for w in wanted)
