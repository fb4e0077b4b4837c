"""Query reading (with the bundled sentence encoder) and kinematic predicates on constructed tracks."""

from __future__ import annotations

import pytest

from agent.encoder import load_encoder
from agent.kinematics import motion
from agent.predicates import evaluate
from agent.query import QueryError, parse_query
from tools.track import Track


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


@pytest.mark.parametrize("query, classes, predicate, direction, count", [
    ("the people walking", ["person"], "moving", None, None),
    ("two people walking from the left", ["person"], "moving", "right", 2),
    ("the man crossing from right to left", ["person"], "crosses", "left", 1),
    ("the pedestrian passing from the right side to the left", ["person"], "crosses", "left", 1),
    ("everyone who walks toward the left", ["person"], "moving", "left", None),
    ("the runner heading left", ["person"], "fast", "left", 1),
    ("the pedestrian who does not move", ["person"], "stationary", None, 1),
    ("a standing man begins to walk", ["person"], "starts_moving", None, 1),
    ("the men who come together and stop", ["person"], "meets", None, None),
    ("the pair who meet in the street", ["person"], "meets", None, 2),
    ("the man being followed", ["person"], "leads", None, 1),
    ("the man leaving on the left", ["person"], "leaves", "left", 1),
    ("a man walks into view from the right", ["person"], "enters", "left", 1),
    ("whoever appears on the left", ["person"], "enters", "right", 1),        # the side of entry
    ("a woman coming in at the right edge", ["person"], "enters", "left", 1),
    ("somebody who stands and then walks off", ["person"], "starts_moving", None, 1),   # told in order
    ("a person who walks off after standing", ["person"], "starts_moving", None, 1),
    ("the man walking, then standing still", ["person"], "stops", None, 1),
    ("the automobile parked", ["car"], "stationary", None, 1),
    ("a horse carriage", ["horse"], "present", None, 1),
    ("all cars moving away from the camera", ["car"], "moving", "away", None),
    ("the fastest car", ["car"], "fast", None, 1),
    ("the two people who bump into each other", ["person"], "meets", None, 2),
    ("the people who run into each other", ["person"], "meets", None, None),
    ("the kid who runs into the street", ["person"], "fast", None, 1),
    ("a person loitering", ["person"], "stationary", None, 1),
    ("the person who freezes", ["person"], "stops", None, 1),
    ("the person who comes to a standstill", ["person"], "stops", None, 1),
    ("the pedestrian going from one side to the other", ["person"], "crosses", None, 1),
    ("the man who passes by the slower pedestrian", ["person"], "overtakes", None, 1),
    ("everyone who has someone walking right behind them", ["person"], "leads", None, None),  # "right" stresses
    ("the man who walks right up to the waiting woman", ["person"], "approaches", None, 1),
    ("the man walking right", ["person"], "moving", "right", 1),
    ("the car turning left", ["car"], "moving", "left", 1),                # not a U-turn
    ("the man who turns around", ["person"], "turns_back", None, 1),
    ("the dark car driving away", ["car"], "moving", "away", 1),
    ("the man walking away from the woman", ["person"], "moving", None, 1),  # not from the camera
])
def test_parse(encoder, query, classes, predicate, direction, count):
    plan = parse_query(query, encoder)
    assert (plan.classes, plan.predicate, plan.direction, plan.count) == (classes, predicate, direction, count)


def test_unlisted_words_are_matched_by_meaning(encoder):
    plan = parse_query("a lady who strolled", encoder)
    assert plan.classes == ["person"] and plan.predicate == "moving"
    assert any("'strolled' read as moving" in n for n in plan.notes)
    assert parse_query("the boy who jogged", encoder).predicate == "fast"
    plan = parse_query("the toddler", encoder)
    assert plan.classes == ["person"] and any("'toddler' read as person" in n for n in plan.notes)


def test_places_sizes_and_carried_things(encoder):
    plan = parse_query("the man on the far left", encoder)
    assert (plan.position, plan.size) == ("left", None)  # "far" names the place, not a distant person
    assert parse_query("the person far away", encoder).size == "small"
    plan = parse_query("the tallest person", encoder)
    assert (plan.rank_by, plan.rank_descending, plan.count) == ("size", True, 1) and len(plan.notes) == 1
    assert parse_query("the shortest woman", encoder).rank_descending is False
    plan = parse_query("the truck ahead of us", encoder)
    assert plan.camera == "ahead" and len(plan.notes) == 1  # no "'ahead' not in the vocabulary"
    for query, thing in [("the person carrying an umbrella", "umbrella"), ("a man with a red backpack", "backpack"),
                         ("the people with suitcases", "suitcase"), ("the woman holding a bag", "handbag")]:
        plan = parse_query(query, encoder)
        assert plan.classes == ["person"] and plan.carrying == [thing] and len(plan.notes) == 1, query
    assert parse_query("the man with a red shirt", encoder).carrying is None
    assert len(parse_query("a person wearing a dark coat", encoder).notes) == 1  # "wearing" is read


def test_how_the_action_is_done(encoder):
    for query, predicate, manner in [("the woman sprinting across the street", "crosses", "fast"),
                                     ("the man who runs in from the left", "enters", "fast"),
                                     ("the jogger leaving on the right", "leaves", "fast"),
                                     ("the slow walker crossing the street", "crosses", "slow"),
                                     ("the man who walks in from the left", "enters", None),
                                     ("the man running to the left", "fast", None)]:
        plan = parse_query(query, encoder)
        assert (plan.predicate, plan.manner) == (predicate, manner), query
    assert parse_query("a woman riding an old horse", encoder).riding == ["horse"]


def test_vehicle_group_and_relations(encoder):
    assert parse_query("a vehicle", encoder).classes == ["bicycle", "bus", "car", "motorbike", "train", "truck"]
    plan = parse_query("the dog following the man", encoder)
    assert plan.classes == ["dog"] and plan.predicate == "follows" and plan.other_classes == ["person"]
    assert parse_query("the fastest car", encoder).rank_by == "speed"


@pytest.mark.parametrize("query", ["", "   ", "...", "qwerty asdfgh"])
def test_nothing_to_look_for(encoder, query):
    with pytest.raises(QueryError):
        parse_query(query, encoder)


def _track(tid: int, xs: list[float], y: float = 100.0, w: float = 40.0, h: float = 100.0) -> Track:
    return Track(id=tid, label="person", boxes={k: (x, y, x + w, y + h) for k, x in enumerate(xs)},
                 scores={k: 0.9 for k in range(len(xs))})


FRAME = (640, 360)


def test_moving_and_direction():
    walker = motion(_track(1, [20.0 + 40 * k for k in range(10)]))
    assert evaluate("moving", walker, frame=FRAME).interval == (0, 9)
    assert evaluate("moving", walker, frame=FRAME, direction="right").interval == (0, 9)
    assert evaluate("moving", walker, frame=FRAME, direction="left").interval is None
    assert evaluate("stationary", walker, frame=FRAME).interval is None


def test_interval_is_where_the_predicate_holds():
    # stands 0-4, walks right 5-11: "moving" holds from about 5 s, "stationary" until about 4 s.
    xs = [100.0] * 5 + [100.0 + 40 * k for k in range(1, 8)]
    m = motion(_track(1, xs))
    s, e = evaluate("moving", m, frame=FRAME).interval
    assert 4 <= s <= 5 and e == 11
    s, e = evaluate("stationary", m, frame=FRAME).interval
    assert s == 0 and 3 <= e <= 4
    s, e = evaluate("starts_moving", m, frame=FRAME).interval
    assert s <= 5 <= e and e - s <= 3


def test_turns_back_and_edges():
    xs = [300.0 + 40 * k for k in range(5)] + [460.0 - 40 * k for k in range(1, 6)]
    m = motion(_track(1, xs))
    s, e = evaluate("turns_back", m, frame=FRAME).interval
    assert s <= 4 <= e and e - s <= 4
    enter = motion(_track(2, [0.0, 30, 70, 110, 150, 190]))
    assert evaluate("enters", enter, frame=FRAME, direction="right").interval[0] == 0
    assert evaluate("enters", enter, frame=FRAME, direction="left").interval is None


def test_follows_leads_meets():
    leader = motion(_track(1, [200.0 + 40 * k for k in range(8)]))
    follower = motion(_track(2, [120.0 + 40 * k for k in range(8)]))
    assert evaluate("follows", follower, frame=FRAME, others=[leader]).interval == (0, 7)
    assert evaluate("leads", leader, frame=FRAME, others=[follower]).interval == (0, 7)
    assert evaluate("follows", leader, frame=FRAME, others=[follower]).interval is None
    a = motion(_track(3, [100.0, 130, 160, 190, 220] + [235.0] * 4))  # stops half a second after 4 s
    b = motion(_track(4, [500.0, 470, 440, 410, 380] + [365.0] * 4))
    assert evaluate("meets", a, frame=FRAME, others=[b]).interval == (0, 4)  # the mutual approach, to the stop
