"""Each action predicate and each choice rule of the embedded planner on hand-made tracks.

Tracks are per-second boxes of a 100 px tall person in a 640 x 360 picture (1 FPS); every test
names the motion it builds. The planner tests go through :meth:`EmbeddedPlanner.choose` with a
hand-made scene, so they check which tracks are chosen and which interval convention applies.
"""

from __future__ import annotations

import pytest

from agent.config import GroundConfig
from agent.embedded import EmbeddedPlanner, camera_relation, carriers, colour_match, continues, riders
from agent.kinematics import motion
from agent.plan import Scene, Window
from agent.predicates import evaluate, scene_speed
from agent.query import parse_query
from tools.track import Track
from verifier.result import VideoInfo

FRAME = (640, 360)
INFO = VideoInfo(path="v.mp4", width=640, height=360, fps=30.0, frame_count=600, duration=20.0)


def person(tid: int, xs: list[float], *, start: int = 0, y: float = 150.0, h: float = 100.0, w: float = 40.0,
           label: str = "person", **fields) -> Track:
    boxes = {start + k: (x, y, x + w, y + h) for k, x in enumerate(xs)}
    return Track(id=tid, label=label, boxes=boxes, scores={k: 0.9 for k in boxes}, height_px=h, **fields)


def choose(query: str, tracks: list[Track]):
    plan = parse_query(query)
    scene = Scene(query=query, video="v.mp4", info=INFO, plan=plan, tracks=tracks,
                  windows=[Window(start=0, end=19)])
    decision, _ = EmbeddedPlanner(GroundConfig()).choose(scene, max_rounds=0)
    return plan, {p.track_id: p.interval for p in decision.picks}


def walk(x0: float, step: float, n: int) -> list[float]:
    return [x0 + step * k for k in range(n)]


# -- predicates -------------------------------------------------------------------------------------

def test_running_is_fast_in_body_heights_and_relative_to_the_others():
    runner = motion(person(1, walk(0, 130, 5)))  # 1.3 heights per second
    walker = motion(person(2, walk(0, 50, 10)))  # 0.5
    assert evaluate("fast", runner, frame=FRAME).interval == (0, 4)
    assert evaluate("fast", walker, frame=FRAME).interval is None
    # relative: among people walking at 0.35 heights/s, one at 0.8 runs
    slow = [motion(person(10 + i, walk(0, 35, 10))) for i in range(3)]
    hurrying = motion(person(3, walk(0, 80, 8)))
    typical = scene_speed([*slow, hurrying])
    assert evaluate("fast", hurrying, frame=FRAME, typical_speed=typical).interval == (0, 7)
    assert evaluate("fast", slow[0], frame=FRAME, typical_speed=typical).interval is None


def test_a_runner_seen_twice_runs_one_way_only():
    """Two sightings of each of two runners crossing the picture in opposite directions: "running to
    the right" is the one going right."""
    right, left = motion(person(1, [100.0, 370], start=15)), motion(person(2, [560.0, 230], start=16))
    for m, way in ((right, "right"), (left, "left")):
        assert evaluate("fast", m, frame=FRAME, direction=way).interval is not None
        other = "left" if way == "right" else "right"
        assert evaluate("fast", m, frame=FRAME, direction=other).interval is None


def test_standing_stopping_starting():
    stand = motion(person(1, [300.0] * 10))
    assert evaluate("stationary", stand, frame=FRAME).interval == (0, 9)
    stopper = motion(person(2, walk(100, 50, 5) + [300.0] * 5))
    s, e = evaluate("stops", stopper, frame=FRAME).interval
    assert s <= 4 <= e and e == 9
    starter = motion(person(3, [100.0] * 5 + walk(150, 50, 5)))
    s, e = evaluate("starts_moving", starter, frame=FRAME).interval
    assert s <= 5 <= e
    assert evaluate("stops", motion(person(4, walk(0, 50, 10))), frame=FRAME).interval is None


def test_directions_left_right_toward_away():
    right = motion(person(1, walk(100, 40, 8)))
    assert evaluate("moving", right, frame=FRAME, direction="right").interval == (0, 7)
    assert evaluate("moving", right, frame=FRAME, direction="left").interval is None
    growing = Track(id=2, label="person", boxes={k: (300 - 4 * k, 100 - 3 * k, 340 + 4 * k, 200 + 12 * k)
                                                 for k in range(8)})
    assert evaluate("moving", motion(growing), frame=FRAME, direction="toward").interval is not None
    assert evaluate("moving", motion(growing), frame=FRAME, direction="away").interval is None


def test_stepping_in_at_the_side_edge_is_not_coming_nearer():
    # walks in from the left at one distance: the box cut by the edge grows as the body steps in
    boxes = {0: (0.0, 113, 17, 175), 1: (0.0, 97, 40, 177), 2: (28.0, 97, 67, 177), 3: (79.0, 96, 118, 177),
             4: (129.0, 95, 167, 178), 5: (180.0, 96, 218, 177)}
    steps_in = Track(id=1, label="person", boxes=boxes)
    assert evaluate("moving", motion(steps_in), frame=FRAME, direction="toward").interval is None


def test_entering_needs_motion_away_from_the_edge():
    enters = motion(person(1, [0.0, 40, 80, 120, 160, 200], start=2))
    assert evaluate("enters", enters, frame=FRAME, direction="right", window=(0, 19)).interval is not None
    standing_at_edge = motion(person(2, [0.0] * 8))
    assert evaluate("enters", standing_at_edge, frame=FRAME, direction="right", window=(0, 19)).interval is None
    leaves = motion(person(3, [300.0, 240, 180, 120, 60, 0]))
    assert evaluate("leaves", leaves, frame=FRAME, direction="left", window=(0, 19)).interval is not None
    assert evaluate("leaves", leaves, frame=FRAME, direction="right", window=(0, 19)).interval is None


def test_entering_seen_a_step_late_or_from_a_doubled_box():
    # its entering second went to another track: first seen at 110 px, walking 60 px/s inwards
    late = motion(person(1, walk(110, 60, 6), start=3))
    assert evaluate("enters", late, frame=FRAME, direction="right", window=(0, 19)).interval[0] == 3
    # born far inside (a fragment, not an entry)
    inside = motion(person(2, walk(250, 60, 6), start=3))
    assert evaluate("enters", inside, frame=FRAME, direction="right", window=(0, 19)).interval is None
    # a first box that doubles someone inside, then the entry at the right edge and the walk in
    doubled = motion(person(3, [540.0, 600, 540, 480, 420], start=4))
    assert evaluate("enters", doubled, frame=FRAME, direction="left", window=(0, 19)).interval[0] == 4
    # mirrored for leaving: last seen a step before the left edge, walking out
    out = motion(person(4, walk(370, -60, 5)))
    assert evaluate("leaves", out, frame=FRAME, direction="left", window=(0, 19)).interval is not None


def test_approaching_is_the_walker_who_arrives_not_the_one_who_waits_or_passes():
    waiting = person(1, [400.0] * 10)
    arrives = person(2, walk(100, 60, 5) + [350.0] * 5)  # stops beside the waiting one
    passes = person(3, walk(640, -60, 10), y=160)  # walks past the waiting one without stopping
    others = [motion(t) for t in (waiting, arrives, passes)]
    holds = evaluate("approaches", motion(arrives), frame=FRAME, others=others)
    assert holds.interval is not None and holds.partner == 1
    assert evaluate("approaches", motion(waiting), frame=FRAME, others=others).interval is None
    assert evaluate("approaches", motion(passes), frame=FRAME, others=others).interval is None


def test_meeting_is_two_walking_up_to_each_other_and_standing_together():
    left = person(1, [100.0, 140, 180, 220, 260, 280] + [280.0] * 4)  # both stop half a second after 4 s
    right = person(2, [580.0, 540, 500, 460, 420, 400] + [400.0] * 4)
    passer = person(3, walk(620, -60, 10))  # walks past them both without stopping
    ms = [motion(t) for t in (left, right, passer)]
    for m, partner in ((ms[0], 2), (ms[1], 1)):
        holds = evaluate("meets", m, frame=FRAME, others=ms)
        assert holds.interval == (0, 4) and holds.partner == partner  # one interval for both
    assert evaluate("meets", ms[2], frame=FRAME, others=ms).interval is None
    behind = person(4, [560.0, 520, 480, 440, 400, 360] + [360.0] * 4, y=130, h=60)  # feet a height higher up
    ms = [motion(left), motion(behind)]
    assert evaluate("meets", ms[0], frame=FRAME, others=ms).interval is None


def test_an_approach_is_found_when_the_one_waiting_fidgets():
    """Real boxes of someone standing jitter by a sixth of a height; the walker still arrives."""
    waiting = person(1, [400.0, 416, 400, 416, 400, 416, 400, 416, 400, 416])
    arrives = person(2, walk(100, 60, 5) + [350.0] * 5)
    holds = evaluate("approaches", motion(arrives), frame=FRAME, others=[motion(waiting), motion(arrives)])
    assert holds.interval == (0, 4) and holds.partner == 1


def test_an_approach_is_found_when_the_walker_settles_back_a_little_on_arriving():
    """Arrived at 4 s; the next second's box sits a little back and its top lower (the detector cut
    the head): the approach still ends at 4 s."""
    waiting = person(1, [400.0] * 10)
    xs = walk(100, 60, 5) + [335.0] * 5
    boxes = {k: (x, 150.0, x + 40, 250.0) for k, x in enumerate(xs)}
    boxes.update({k: (335.0, 162.0, 375.0, 250.0) for k in range(5, 10)})
    arrives = Track(id=2, label="person", boxes=boxes, scores={k: 0.9 for k in boxes}, height_px=100)
    holds = evaluate("approaches", motion(arrives), frame=FRAME, others=[motion(waiting), motion(arrives)])
    assert holds.interval is not None and holds.interval[0] == 0 and holds.interval[1] in (3, 4) and holds.partner == 1


def test_walking_up_to_someone_when_the_video_ends_first():
    """Closing in on a waiting person for the last seconds of the video: an approach, half as sure as
    one seen to the end, and none if the track ends before the video does or the two stand at other
    depths."""
    waiting = person(1, [400.0] * 10)
    coming = person(2, walk(100, 40, 7), start=3)  # seconds 3-9, 100 -> 340
    others = [motion(waiting), motion(coming)]
    holds = evaluate("approaches", motion(coming), frame=FRAME, others=others, window=(0, 9))
    assert holds.interval == (3, 9) and holds.partner == 1 and holds.strength == 0.5
    assert evaluate("approaches", motion(coming), frame=FRAME, others=others, window=(0, 12)).interval is None
    far = person(3, [400.0] * 10, y=110, h=60)
    assert evaluate("approaches", motion(coming), frame=FRAME, others=[motion(far)], window=(0, 9)).interval is None


def test_walking_up_to_someone_far_behind_in_the_picture_is_no_approach():
    far = person(1, [400.0] * 10, y=130, h=60)  # beside the walker's stop in the picture, its feet a height higher
    arrives = person(2, walk(100, 60, 5) + [350.0] * 5)
    assert evaluate("approaches", motion(arrives), frame=FRAME, others=[motion(far), motion(arrives)]).interval is None


def test_overtaking_is_passing_a_slower_walker_even_within_one_second():
    walker = person(1, walk(100, 40, 12))
    runner = person(2, [-20.0, 140, 300, 460, 620], start=3)  # 1.6 heights a second: ahead of the walker
    ms = [motion(walker), motion(runner)]                      # at 3-4 s, past it at 5 s, never level
    holds = evaluate("overtakes", ms[1], frame=FRAME, others=ms)
    assert holds.interval is not None and holds.interval[0] <= 4 and holds.interval[1] >= 5 and holds.partner == 1
    assert evaluate("overtakes", ms[0], frame=FRAME, others=ms).interval is None


def test_overtaking_a_walker_whose_track_ends_as_the_runner_hides_it():
    walker = person(1, walk(100, 40, 5))  # tracked until 4 s, then hidden by the runner going by
    runner = person(2, [-20.0, 150, 320, 490], start=3)  # behind at 4 s, past where the walker went at 5 s
    ms = [motion(walker), motion(runner)]
    holds = evaluate("overtakes", ms[1], frame=FRAME, others=ms)
    assert holds.interval is not None and holds.interval[1] >= 5 and holds.partner == 1
    standing = person(3, [300.0] * 5)  # someone standing is not walked past, seen or not
    assert evaluate("overtakes", ms[1], frame=FRAME, others=[ms[1], motion(standing)]).interval is None
    behind = person(3, walk(0, 55, 6))  # faster, behind the walker, never reaches it
    assert evaluate("overtakes", motion(behind), frame=FRAME, others=[ms[0], motion(behind)]).interval is None
    standing = person(4, [300.0] * 12)  # walking past someone standing is no overtaking
    assert evaluate("overtakes", ms[0], frame=FRAME, others=[ms[0], motion(standing)]).interval is None


def test_together_follow_and_partner():
    a = person(1, walk(100, 40, 8))
    b = person(2, walk(150, 40, 8), y=155)  # beside a, same way, same speed
    c = person(3, walk(600, -40, 8))  # the other way
    ms = [motion(t) for t in (a, b, c)]
    holds = evaluate("together", ms[0], frame=FRAME, others=ms)
    assert holds.interval == (0, 7) and holds.partner == 2
    assert evaluate("together", ms[2], frame=FRAME, others=ms).interval is None
    follower = person(4, walk(20, 40, 8))
    fm = motion(follower)
    assert evaluate("follows", fm, frame=FRAME, others=[ms[0], fm]).partner == 1


# -- attributes, composites, camera ---------------------------------------------------------------

def test_colours_and_riders():
    white = person(1, walk(0, 10, 5), upper_colors={"white": 0.6, "black": 0.2})
    dark = person(2, walk(0, 10, 5), upper_colors={"black": 0.7}, lower_colors={"black": 0.8})
    assert colour_match(white, {"white": "upper"}) == 1.0 and colour_match(dark, {"white": "upper"}) == 0.0
    assert colour_match(dark, {"black": "any"}) == 1.0
    rider = person(3, walk(100, 60, 6))
    bike = Track(id=4, label="bicycle", boxes={k: (95 + 60 * k, 200, 145 + 60 * k, 255) for k in range(6)})
    walker = person(5, walk(400, -30, 6))
    mounted = riders([rider, walker], [rider, bike, walker], ["bicycle"])
    assert [t.id for t in mounted] == [3] and mounted[0].label == "person on bicycle"
    assert mounted[0].boxes[0][3] == 255  # boxed with the bicycle


def test_carried_things_pick_the_person_who_holds_them():
    walkers = [person(i, walk(50 + 150 * i, 20, 8)) for i in range(1, 4)]
    # an umbrella above the second walker's head in three seconds; a bag on the floor far from anyone
    umbrella = Track(id=7, label="umbrella", boxes={k: (345 + 20 * k, 120, 395 + 20 * k, 150) for k in (1, 3, 5)})
    bag = Track(id=8, label="handbag", boxes={k: (600, 300, 620, 320) for k in range(8)})
    tracks = [*walkers, umbrella, bag]
    assert [t.id for t in carriers(walkers, tracks, ["umbrella"])] == [2]
    assert carriers(walkers, tracks, ["handbag"]) == []
    plan, picks = choose("the man with an umbrella", tracks)
    assert plan.carrying == ["umbrella"] and list(picks) == [2]
    # nobody seen with one: best effort over every person, and the trace says so
    scene = Scene(query="q", video="v.mp4", info=INFO, plan=parse_query("the woman carrying a suitcase"),
                  tracks=tracks, windows=[Window(start=0, end=19)])
    decision, events = EmbeddedPlanner(GroundConfig()).choose(scene, max_rounds=0)
    assert decision.picks and any("nobody is seen with a suitcase" in e.message for e in events)


def test_turning_back_is_at_about_the_pace_one_came():
    # a track born on one person that jumps onto another who walks away: a "turn" at a pace no one keeps
    jump = person(1, [358.0, 25, 92, 172, 251, 336, 414], start=8, y=40.0)
    turner = person(2, [613.0, 546, 478, 410, 364, 438, 503, 574, 629], start=3)
    _, picks = choose("the man who turns back", [jump, turner])
    assert list(picks) == [2]


def test_a_start_is_surer_after_a_long_stand_than_at_a_fast_pace():
    # a far person stands seven seconds, then walks off slowly; a near track "stands" two seconds
    # (a swap at the picture's edge) and then walks fast
    waiter = person(1, [440.0] * 7 + walk(445, 30, 5), h=78.0, w=24.0, y=90.0)
    swapped = person(2, [58.0, 56] + walk(150, 110, 5), start=2)
    _, picks = choose("the man who starts walking", [waiter, swapped])
    assert list(picks) == [1]


def test_a_runners_two_second_pass_is_a_whole_overtake():
    # at 1 FPS a runner is seen behind the walker one second and ahead of them the next; a long,
    # slow pass elsewhere in the picture does not outrank it for being longer
    walker = person(1, walk(100, 40, 12))
    runner = person(2, [240.0, 390.0], start=5)
    slow, slower = person(3, walk(60, 50, 12), y=40.0), person(4, walk(200, 20, 12), y=40.0)
    _, picks = choose("the man who overtakes another", [walker, runner, slow, slower])
    assert list(picks) == [2]


def test_how_an_action_is_done_picks_among_those_who_do_it():
    walker = person(1, walk(0, 40, 16))             # crosses in 16 s
    runner = person(2, walk(0, 150, 5), start=3)    # crosses in 5 s
    plan, picks = choose("the woman sprinting across the street", [walker, runner])
    assert (plan.predicate, plan.manner, list(picks)) == ("crosses", "fast", [2])
    _, picks = choose("the people running across", [walker, runner])
    assert list(picks) == [2]
    _, picks = choose("the slow walker crossing the street", [walker, runner])
    assert list(picks) == [1]
    _, picks = choose("everyone crossing the street", [walker, runner])
    assert sorted(picks) == [1, 2]


def test_a_track_cut_in_two_is_one_referent():
    # one walker's track cut where a second was missed (6), another walker, and someone who appears
    # at the same moment far from where the first fragment was going
    head, tail = person(1, walk(0, 40, 6)), person(2, walk(280, 40, 8), start=7)
    other, elsewhere = person(3, walk(0, 45, 16), y=20.0), person(4, walk(600, -40, 6), start=7, y=200.0)
    assert continues(head, tail) is not None and continues(head, elsewhere) is None
    assert continues(tail, head) is None  # only forward in time
    _, picks = choose("the people entering from the left", [head, tail, other, elsewhere])
    assert picks == {1: (0, 14), 3: (0, 15)}
    _, picks = choose("the men walking to the right", [head, tail, other])
    assert sorted(picks) == [1, 3]


def test_a_standing_object_seen_now_and_then_is_one_referent():
    # a tram at its stop, called car at first and bus later, seen at 2-5 and 11-16
    early = Track(id=1, label="car", boxes={k: (50.0, 80, 200, 200) for k in range(2, 6)},
                  scores={k: 0.6 for k in range(2, 6)})
    later = Track(id=2, label="bus", boxes={k: (52.0, 78, 203, 201) for k in range(11, 17)},
                  scores={k: 0.6 for k in range(11, 17)})
    elsewhere = Track(id=3, label="bus", boxes={k: (400.0, 80, 550, 200) for k in range(11, 17)},
                      scores={k: 0.6 for k in range(11, 17)})
    assert continues(early, later) is not None and continues(early, elsewhere) is None
    _, picks = choose("the streetcar", [early, later, elsewhere])
    assert (2, 16) in picks.values()


def test_camera_relations():
    ahead = motion(Track(id=1, label="car", boxes={k: (250.0, 200, 390, 330) for k in range(6)}))
    aside = motion(Track(id=2, label="car", boxes={k: (10.0, 200, 90, 260) for k in range(6)}))
    assert camera_relation(ahead, "ahead", FRAME) and not camera_relation(aside, "ahead", FRAME)
    passing = motion(Track(id=3, label="car", boxes={k: (400 + 50 * k, 150, 500 + 60 * k, 300) for k in range(5)}))
    assert camera_relation(passing, "passing", FRAME)


# -- choices and interval conventions --------------------------------------------------------------

def test_state_queries_answer_the_seconds_the_state_holds():
    t = person(1, [100.0] * 6 + walk(140, 45, 8))  # stands 0-5, walks 6-13
    _, picks = choose("the man walking", [t])
    s, e = picks[1]
    assert 5 <= s <= 6 and e == 13


def test_event_queries_answer_the_whole_visible_track():
    t = person(1, [0.0, 40, 80, 120, 160, 200, 240, 280, 320], start=3)
    plan, picks = choose("the man who walks in from the left", [t])
    assert plan.span == "track" and picks == {1: (3, 11)}
    back = person(2, walk(200, 50, 5) + walk(350, -50, 6))
    plan, picks = choose("the guy who turns around and walks back", [back])
    assert plan.span == "track" and picks == {2: (0, 10)}


def test_follow_answers_the_seconds_both_are_visible():
    leader = person(1, walk(200, 40, 12))
    follower = person(2, walk(120, 40, 8), start=2)
    plan, picks = choose("the man following someone", [leader, follower])
    assert plan.span == "pair" and picks == {2: (2, 9)}


def test_plural_answers_only_the_tracks_that_satisfy_the_query():
    standing = [person(i, [100.0 + 100 * i] * 12) for i in (1, 2)]
    walking = [person(i, walk(50, 40, 12), y=200) for i in (3, 4)]
    _, picks = choose("the people standing still", [*standing, *walking])
    assert set(picks) == {1, 2}
    _, picks = choose("two people", [*standing, *walking])
    assert len(picks) == 2


def test_ordinals_rank_by_when_the_action_starts():
    first = person(1, [0.0, 40, 80, 120, 160, 200], start=2)
    second = person(2, [0.0, 40, 80, 120, 160, 200], start=6, y=200)
    assert choose("the first person to enter from the left", [second, first])[1] == {1: (2, 7)}
    assert set(choose("the second person to enter from the left", [second, first])[1]) == {2}


def test_a_query_for_a_car_accepts_close_classes_by_vote():
    car = Track(id=1, label="truck", class_counts={"truck": 3, "car": 2},
                boxes={k: (100 + 20 * k, 200, 200 + 20 * k, 260) for k in range(5)})
    horse = Track(id=2, label="horse", boxes={k: (400.0, 200, 480, 280) for k in range(5)})
    assert set(choose("the car", [car, horse])[1]) == {1}


def test_out_of_vocabulary_action_is_a_best_effort_said_in_the_trace():
    plan = parse_query("the man juggling")
    assert plan.classes == ["person"]
    assert any("juggling" in n for n in plan.notes)


@pytest.mark.parametrize("query, predicate", [
    ("a guy jogging", "fast"), ("somebody who halts", "stops"), ("the woman strolling to the left", "moving"),
    ("the man who comes in from the right", "enters"), ("everyone who stays put", "stationary"),
    ("the two people walking side by side", "together"), ("the man who walks up to the woman", "approaches"),
    ("the guy who heads back the way he came", "turns_back"), ("the woman who doubles back", "turns_back"),
    ("the runner who passes the walker", "overtakes"), ("a cyclist passing a pedestrian", "overtakes"),
    ("people walking in pairs", "together"), ("the couple walking side-by-side", "together"),
    ("the lady pacing back and forth", "turns_back"), ("the man who catches up with another walker", "overtakes"),
    ("the men who approach each other and stop", "meets"), ("the bloke loitering by the door", "stationary"),
    # the referent's own action, not the other object's state or place
    ("the person who walks past the standing man", "moving"), ("a pedestrian crossing behind the tram", "crosses"),
    ("the car that passes the parked truck", "moving"), ("the man who walks up to a waiting person", "approaches"),
    ("the standing man", "stationary"), ("the man right behind her", "follows"),
])
def test_other_phrasings_read_the_same(query, predicate):
    assert parse_query(query).predicate == predicate


def test_passing_the_camera_or_passing_by_is_no_overtaking():
    assert parse_query("the bus passing the camera").camera == "passing"
    assert parse_query("the man passing by").predicate == "moving"


def test_folks_are_people_and_plural():
    plan = parse_query("folks walking to the right")
    assert plan.classes == ["person"] and plan.count is None


def test_a_count_is_answered_in_full_with_the_best_effort_after_the_exact_matches():
    # one man walks in from the left edge; two more walk right from mid-picture (their entry was missed);
    # one stands; "the three men who walk in from the left" gets the entering one first, then the movers
    entering = person(1, walk(0, 40, 8), start=2)
    movers = [person(2, walk(200, 40, 8), start=5), person(3, walk(250, 35, 8), start=9, y=120)]
    stander = person(4, [500.0] * 12, y=100)
    plan, picks = choose("the three men who walk in from the left", [entering, *movers, stander])
    assert plan.count == 3 and plan.predicate == "enters"
    assert set(picks) == {1, 2, 3}
    scene = Scene(query=plan.text, video="v.mp4", info=INFO, plan=plan, tracks=[entering, *movers, stander],
                  windows=[Window(start=0, end=19)])
    _, events = EmbeddedPlanner(GroundConfig()).choose(scene, max_rounds=0)
    assert any("best effort, moving right" in e.message for e in events)
    # without a count, only what the query says
    assert set(choose("the men who walk in from the left", [entering, *movers, stander])[1]) == {1}


def test_a_short_stand_between_walks_is_stationary_for_all_its_seconds():
    # walks 60 px (0.6 heights) a second to second 5, stands at x=300 for seconds 5-7, walks on from 8
    xs = walk(0, 60, 6) + [300.0, 300.0] + walk(360, 60, 5)
    holds = evaluate("stationary", motion(person(1, xs)), frame=(640, 360))
    assert holds.interval == (5, 7)
    # a steady walker has no still second
    assert evaluate("stationary", motion(person(2, walk(0, 60, 10))), frame=(640, 360)).interval is None


def test_the_slow_moment_of_a_turn_is_no_stand():
    # walks right 0.6 heights a second, slows to turn at 5-6 s, walks back left
    turner = person(1, walk(0, 60, 5) + [270.0, 275.0] + walk(215, -60, 5))
    assert evaluate("stationary", motion(turner), frame=FRAME).interval is None
    # the same slow seconds between two walks the same way: a pause, still a stand
    pauser = person(2, walk(0, 60, 5) + [270.0, 275.0] + walk(335, 60, 5))
    assert evaluate("stationary", motion(pauser), frame=FRAME).interval is not None


def test_standing_through_someone_walking_by_in_front():
    """Seconds 4-6: people pass in front; the box is lost, then cut at the top, then back in place."""
    boxes = {s: (409.0, 92, 460, 183) for s in range(11) if s not in (4, 5, 6)}
    boxes[5] = (409.0, 121, 461, 194)
    stood = Track(id=1, label="person", boxes=boxes, scores=dict.fromkeys(boxes, 0.9))
    assert evaluate("stationary", motion(stood), frame=FRAME).interval == (0, 10)
    left = {**boxes, **{s: (409.0 + 60 * (s - 6), 92, 460 + 60 * (s - 6), 183) for s in range(7, 11)}}
    walked_off = Track(id=2, label="person", boxes=left, scores=dict.fromkeys(left, 0.9))
    assert evaluate("stationary", motion(walked_off), frame=FRAME).interval == (0, 3)  # not back in place


def test_a_three_second_stop_between_walks_is_a_stop_and_a_start():
    xs = walk(0, 60, 6) + [300.0, 300.0] + walk(360, 60, 5)
    m = motion(person(1, xs))
    assert evaluate("stops", m, frame=(640, 360)).interval is not None
    assert evaluate("starts_moving", m, frame=(640, 360)).interval is not None
    steady = motion(person(2, walk(0, 60, 10)))
    assert evaluate("stops", steady, frame=(640, 360)).interval is None


def test_one_clear_step_before_a_stand_is_a_stop_a_twitch_is_not():
    """A track often begins a step before the stand (the person walked in at the edge of what was
    seen): one clear walking step then three seconds standing is a stop. A standing person whose box
    twitches by a fifth of a height for one second neither stops nor starts."""
    arrives = motion(person(1, [100.0, 160] + [160.0] * 4))
    assert evaluate("stops", arrives, frame=FRAME).interval is not None
    twitch = motion(person(2, [300.0] * 4 + [320.0] + [300.0] * 4))
    assert evaluate("stops", twitch, frame=FRAME).interval is None
    assert evaluate("starts_moving", twitch, frame=FRAME).interval is None


def test_an_approach_ends_the_second_the_walker_stops():
    waiting = person(1, [400.0] * 10)
    arrives = person(2, walk(100, 60, 5) + [350.0] * 5)  # walks at 0-4, a sixth of a step more, stands
    others = [motion(t) for t in (waiting, arrives)]
    holds = evaluate("approaches", motion(arrives), frame=FRAME, others=others)
    assert holds.interval == (0, 4) and "0-4 s" in holds.reason


def test_the_followed_one_is_the_partner_not_whoever_walks_alongside():
    leader = person(1, walk(300, 30, 8))
    follower = person(2, walk(200, 30, 8))  # one height behind the leader, on the same row
    alongside = person(3, walk(200, 30, 8), y=70)  # level with the follower, nearer to it, another row
    others = [motion(t) for t in (leader, follower, alongside)]
    holds = evaluate("follows", motion(follower), frame=FRAME, others=others)
    assert holds.interval is not None and holds.partner == 1


def test_side_by_side_is_shoulder_to_shoulder_not_a_body_height_apart():
    a = person(1, walk(100, 30, 8))
    near = person(2, walk(140, 30, 8))  # 0.4 heights apart, same row, same pace
    apart = person(3, walk(170, 30, 8))  # 0.7 heights apart: one walks a little ahead of the other
    assert evaluate("together", motion(a), frame=FRAME, others=[motion(a), motion(near)]).interval is not None
    assert evaluate("together", motion(a), frame=FRAME, others=[motion(a), motion(apart)]).interval is None
    twice = person(4, walk(105, 30, 8))  # 0.05 heights off: the detector's second box on the same person
    assert evaluate("together", motion(a), frame=FRAME, others=[motion(a), motion(twice)]).interval is None


def test_stopping_two_heights_short_of_someone_is_no_approach():
    waiting = person(1, [400.0] * 10)
    short = person(2, walk(0, 50, 5) + [210.0] * 5)  # walks towards them, stops 1.9 heights away
    others = [motion(t) for t in (waiting, short)]
    assert evaluate("approaches", motion(short), frame=FRAME, others=others).interval is None


def test_a_state_holds_across_seconds_the_detector_missed():
    """Walking away (shrinking 15% a second) for 10 s, missed in seconds 5 and 6: one span 0-9, as the
    answer's boxes fill the same gap."""
    boxes = {k: (300.0, 250 - 150 * 0.85 ** k, 300 + 50 * 0.85 ** k, 250.0) for k in range(10) if k not in (5, 6)}
    away = Track(id=1, label="person", boxes=boxes, scores=dict.fromkeys(boxes, 0.9), height_px=100)
    assert evaluate("moving", motion(away), frame=FRAME, direction="away").interval == (0, 9)
