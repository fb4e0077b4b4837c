"""Offline 1-FPS association (tools.associate) on hand-made detections whose identities are known."""

from __future__ import annotations

import numpy as np
import pytest

from tools.associate import AssociationConfig, Frame, associate, link, stitch

W, H = 30.0, 80.0


def _frame(t: float, boxes: list[tuple[float, float]], feats: list[np.ndarray] | None = None,
           conf: float = 0.9) -> Frame:
    """People of size W x H with top-left corners ``boxes`` at time ``t``."""
    xyxy = np.array([[x, y, x + W, y + H] for x, y in boxes]).reshape(-1, 4)
    return Frame(time=t, xyxy=xyxy, conf=np.full(len(boxes), conf), kind=np.array(["person"] * len(boxes)),
                 feat=np.array(feats) if feats else None, edge=(640, 360))


def _owners(chains, who) -> list[set[str]]:
    """For each chain, the set of true identities its detections belong to (``who[pos][j]``)."""
    return [{who[p][j] for p, j in c} for c in chains]


def _colour(i: int) -> np.ndarray:
    v = np.zeros(8)
    v[i] = 1.0
    v[(i + 1) % 8] = 0.3
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("widths_per_s", [1.5, 2.5])
def test_walker_faster_than_its_width_is_one_track_from_its_first_second(widths_per_s: float) -> None:
    frames = [_frame(k, [(10 + widths_per_s * W * k, 150)]) for k in range(8)]  # in the 640-px picture
    chains, _ = associate(frames)
    assert [[p for p, _ in c] for c in chains] == [list(range(8))]


def test_runner_at_two_heights_per_second_is_kept() -> None:
    frames = [_frame(k, [(10 + 2 * H * k, 150)]) for k in range(4)]
    assert len(associate(frames)[0]) == 1


def test_two_people_crossing_keep_their_ids() -> None:
    """A at 1.5 widths/s to the right, B the same to the left, 10 px apart vertically: they cross."""
    frames, who = [], []
    for k in range(12):
        a, b = (40 + 45 * k, 140), (535 - 45 * k, 150)
        frames.append(_frame(k, [a, b], [_colour(0), _colour(4)]))
        who.append(["a", "b"])
    chains, amb = associate(frames)
    assert len(chains) == 2 and all(len(o) == 1 for o in _owners(chains, who))
    assert all(len(c) == 12 for c in chains)
    assert any(a.why == "crossing" for a in amb)  # the crossing is flagged for densification


def test_crossing_without_appearance_relies_on_velocity() -> None:
    frames = [_frame(k, [(40 + 45 * k, 140), (535 - 45 * k, 150)]) for k in range(12)]
    who = [["a", "b"]] * 12
    chains, _ = associate(frames)
    assert len(chains) == 2 and all(len(o) == 1 for o in _owners(chains, who))


def test_short_occlusion_is_stitched() -> None:
    """A walker hidden for 3 seconds (behind a pillar) comes out where its motion says: one track."""
    frames = [_frame(k, [] if 5 <= k <= 7 else [(50 + 40 * k, 150)], None if 5 <= k <= 7 else [_colour(2)])
              for k in range(14)]
    linked, _ = link(frames)
    assert len(linked) == 2  # linking alone breaks at the gap
    chains, _ = associate(frames)
    assert len(chains) == 1 and len(chains[0]) == 11


def test_stitching_refuses_a_different_looking_person() -> None:
    frames = [_frame(k, [] if 5 <= k <= 6 else [(50 + 40 * k, 150)], None if 5 <= k <= 6 else
                     [_colour(2) if k < 5 else _colour(6)]) for k in range(12)]
    assert len(associate(frames)[0]) == 2


def test_stitching_refuses_a_far_away_restart() -> None:
    frames = [_frame(k, [] if 5 <= k <= 6 else [(50 + 10 * k if k < 5 else 560 - 10 * k, 150)]) for k in range(12)]
    assert len(associate(frames)[0]) == 2


def test_extra_frames_at_half_seconds_join_the_timeline() -> None:
    times = sorted([float(k) for k in range(8)] + [2.5, 3.5])
    frames = [_frame(t, [(40 + 45 * t, 140), (360 - 45 * t, 150)]) for t in times]
    chains, _ = associate(frames)
    assert sorted(len(c) for c in chains) == [10, 10]


def test_kinds_never_mix() -> None:
    frames = []
    for k in range(6):
        f = _frame(k, [(100 + 10 * k, 150)])
        f.kind = np.array(["person" if k < 3 else "vehicle"])
        frames.append(f)
    assert len(associate(frames, AssociationConfig(min_observations=1))[0]) == 2


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="time order"):
        link([_frame(1, [(0, 0)]), _frame(0, [(0, 0)])])
    with pytest.raises(ValueError, match="boxes"):
        Frame(time=0, xyxy=np.zeros((2, 4)), conf=np.ones(1), kind=np.array(["person"]))
    assert stitch([], []) == []


@pytest.mark.parametrize("module", ["tools.associate", "tools.colors", "tools.person_boxes", "tools.bytetrack", "tools.track"])
def test_doctests(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_a_track_without_a_good_option_never_forces_a_swap() -> None:
    """One person stands still; a second, 180 px to the left, is gone the next second, when someone new
    appears 180 px to the right. Pairing every track (Hungarian with finite 'infeasible' costs) would
    move the standing person onto the newcomer and the vanished one onto the standing person; the
    standing person keeps their own box instead."""
    frames = [_frame(0, [(20, 150), (200, 150)]), _frame(1, [(200, 150), (380, 150)])]
    chains, _ = link(frames)
    assert sorted(chains) == [[(0, 0)], [(0, 1), (1, 0)], [(1, 1)]]


def _far_walker(support: bool) -> tuple[list[Frame], list[list[str]]]:
    """A far walker: confident for 4 s, unseen for 2 s, then seen only at 0.2 for 4 s (the detector on
    a 40 px person); a second figure is only ever seen weakly. ``support``: the boxes cover what moves."""
    frames, who = [], []
    for k in range(10):
        boxes, confs, names = [], [], []
        if k < 4 or k >= 6:
            boxes.append((50 + 20 * k, 150))
            confs.append(0.6 if k < 4 else 0.2)
            names.append("walker")
        boxes.append((500, 40))
        confs.append(0.2)
        names.append("weak")
        f = _frame(k, boxes)
        f.conf, f.support = np.array(confs), np.full(len(boxes), support)
        frames.append(f)
        who.append(names)
    return frames, who


def test_supported_weak_detections_extend_a_lost_track_but_never_start_one() -> None:
    frames, who = _far_walker(support=True)
    chains, _ = associate(frames)
    assert _owners(chains, who) == [{"walker"}] and len(chains[0]) == 8


def test_unsupported_weak_detections_do_not_extend_a_lost_track() -> None:
    """Nothing confirms them (a moving camera): the track ends where the confident sightings end."""
    frames, who = _far_walker(support=False)
    chains, _ = associate(frames)
    assert _owners(chains, who) == [{"walker"}] and len(chains[0]) == 4


def test_someone_walking_away_is_stitched_across_a_gap_by_their_shrinking_size() -> None:
    """Walking straight away, a person shrinks 17% a second; unseen for two seconds, they come back
    1.7x smaller than when lost, which only the extrapolated size explains."""
    frames = []
    for k in [0, 1, 2, 3, 4, 7, 8]:
        h = 200 * np.exp(-0.17 * k)
        frames.append(Frame(time=k, xyxy=np.array([[300 - h / 6, 300 - h, 300 + h / 6, 300]]), conf=np.array([0.6]),
                            kind=np.array(["person"]), edge=(640, 360)))
    assert [len(c) for c in associate(frames)[0]] == [7]


@pytest.mark.parametrize("support", [None, True, False])
def test_on_a_fixed_camera_a_weak_detection_extends_a_track_only_where_something_moves(support) -> None:
    """Seen at 0.6 for 4 s, then at 0.2 for 3 s: a moving camera (None: nothing to ask) and a moving
    figure extend the track, a weak box on the still street does not."""
    frames = []
    for k in range(7):
        f = _frame(k, [(50 + 20 * k, 150)], conf=0.6 if k < 4 else 0.2)
        f.support = None if support is None else np.array([support])
        frames.append(f)
    assert [len(c) for c in associate(frames)[0]] == [4 if support is False else 7]


def test_a_clear_overlap_still_asks_how_they_look() -> None:
    """A walks in and stops; B, who looks different, appears just where A's stride would have taken it.
    Overlap with the predicted box alone hands A's track to B; the looks keep it on A."""
    a, b = _colour(0), _colour(4)
    frames = [_frame(0, [(100, 150)], [a]), _frame(1, [(140, 150)], [a]),
              _frame(2, [(140, 150), (178, 150)], [a, b]), _frame(3, [(140, 150), (178, 150)], [a, b])]
    who = [["a"], ["a"], ["a", "b"], ["a", "b"]]
    chains, _ = associate(frames)
    assert sorted(map(sorted, _owners(chains, who))) == [["a"], ["b"]]
    assert any(len(c) == 4 for c in chains)
    chains, _ = associate(frames, AssociationConfig(iou_appearance=0.0))  # overlap alone: the swap
    assert any(len(o) == 2 for o in _owners(chains, who))


@pytest.mark.parametrize("shift", [6, 20])
def test_tracklets_sharing_one_sample_on_one_person_are_stitched(shift: float) -> None:
    """A walker turning back next to someone: at the turn the detector gives them two boxes, one pushed
    over the neighbour, and linking ends one tracklet on one box and starts the next on the other.
    Boxes overlapping at IoU >= 0.5 are one person seen twice (one track, the surer box kept); boxes
    further apart are two people and stay two tracks."""
    xs = [60 + 40 * k for k in range(6)] + [260 - 40 * k for k in range(1, 6)]
    frames = [_frame(k, [(x, 150)] + ([(x + shift, 150)] if k == 5 else []), conf=0.9) for k, x in enumerate(xs)]
    frames[5].conf = np.array([0.5, 0.7])
    before, after = [(k, 0) for k in range(6)], [(5, 1)] + [(k, 0) for k in range(6, 11)]
    chains = stitch([before, after], frames)
    if shift == 6:  # IoU 0.67 (20 px: 0.2)
        assert chains == [[(k, 0) for k in range(5)] + [(5, 1)] + [(k, 0) for k in range(6, 11)]]
    else:
        assert len(chains) == 2


def test_who_walked_out_of_the_picture_is_not_who_comes_in_at_that_edge() -> None:
    """One walks out on the left; two seconds later someone else walks in there, the other way.
    Followed out of the picture by its motion the first is gone: two tracks, even within the time a
    lost track stays live and the gap stitching bridges."""
    out = [(120 - 40 * k, 150) for k in range(4)]  # the last box at the edge
    frames = [_frame(k, [b]) for k, b in enumerate(out)] + [_frame(k, [(5 + 40 * (k - 5), 150)]) for k in range(5, 10)]
    chains, _ = associate(frames)
    assert sorted(len(c) for c in chains) == [4, 5]
