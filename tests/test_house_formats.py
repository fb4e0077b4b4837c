"""The files `stag ground --out` writes are read correctly by the tools they are meant for.

The SVAG-Bench submission is checked the way the official SVAGEval converter
(github.com/Shuaicong97/SVAGEval, scripts/convert_submission.py) reads it: per dataset ``name`` and
``queries``; per query ``query_id`` (rows are sorted by it and matched to the ground truth's qid),
``query`` (lowercased, spaces to '-', a folder name), ``video_name`` (a folder name; its part before
the first '_' finds the ground truth), ``video_length`` and ``tracks``; per track ``track_id``,
``spatial`` (one entry per frame, ``None`` or ``[x, y, w, h]``, row frame = index + 1) and
``temporal`` (``[start, end, score]`` windows). The checks are written here in our words.
"""

from __future__ import annotations

import configparser
import json
from pathlib import Path
from typing import Any

import pytest

from agent.ground_cli import main as ground_main
from agent.outputs import write_outputs
from verifier.motchallenge import read_mot_txt
from verifier.result import GroundingResult, Referent, VideoInfo
from verifier.svageval import evaluate_svag

VIDEO = VideoInfo(path="/videos/street_01.mp4", width=640, height=360, fps=29.97, frame_count=300, duration=10.01)


def _result() -> GroundingResult:
    return GroundingResult(query="The people walking left", video=VIDEO, referents=[
        Referent(id=3, label="person", interval=(1, 4), score=0.8,
                 boxes={1: (64, 36, 128, 108), 2: (70, 36, 134, 108), 4: (82, 40, 146, 112)}),
        Referent(id=7, label="person", interval=(2, 3), boxes={2: (300, 100, 340, 200), 3: (310, 100, 350, 200)})])


def _official_reader_rows(submission: dict[str, Any]) -> tuple[dict[str, list[tuple]], list[dict[str, Any]]]:
    """What SVAGEval's converter makes of a submission: MOT rows per ``video/query`` folder and the
    temporal prediction lines; raises where the converter would (missing key, bad box shape)."""
    spatial: dict[str, list[tuple]] = {}
    temporal: list[dict[str, Any]] = []
    for dataset in submission["datasets"]:
        assert dataset["name"] in ("OVIS", "MOT17", "MOT20")
        for query in dataset["queries"]:
            folder = f"{query['video_name']}/{query['query'].lower().replace(' ', '-')}"
            rows = spatial.setdefault(folder, [])
            for track in query["tracks"]:
                for idx, box in enumerate(track["spatial"]):
                    if box is not None:
                        x, y, w, h = box
                        rows.append((idx + 1, track["track_id"], x, y, w, h))
                vid = f"{query['video_name']}_1.0_{query['video_length']}.0"
                temporal.append({"qid": query["query_id"], "vid": vid, "track_id": track["track_id"],
                                 "pred_relevant_windows": track["temporal"]})
    temporal.sort(key=lambda item: item["qid"])
    return spatial, temporal


def test_svag_submission_carries_the_given_ids_and_reads_like_svageval(tmp_path: Path) -> None:
    paths = write_outputs(_result(), tmp_path, video=False, svag_dataset="MOT17", query_id=12, video_id=3)
    submission = json.loads(paths["svag"].read_text())
    by_name = {d["name"]: d["queries"] for d in submission["datasets"]}
    assert [len(by_name[n]) for n in ("OVIS", "MOT17", "MOT20")] == [0, 1, 0]
    query = by_name["MOT17"][0]
    assert (query["query_id"], query["video_id"], query["video_name"]) == (12, 3, "street_01")
    assert query["video_length"] == VIDEO.frame_count
    assert all(len(t["spatial"]) == VIDEO.frame_count for t in query["tracks"])
    assert all(len(w) == 3 and w[0] < w[1] for t in query["tracks"] for w in t["temporal"])

    spatial, temporal = _official_reader_rows(submission)
    rows = spatial["street_01/the-people-walking-left"]
    assert {r[1] for r in rows} == {3, 7} and 1 <= min(r[0] for r in rows) <= max(r[0] for r in rows) <= 300
    assert [t["qid"] for t in temporal] == [12, 12] and temporal[0]["vid"] == "street_01_1.0_300.0"

    # scored against ground truth with the same ids it finds its query (id 0 would find nothing)
    gt = {"datasets": [{"name": n, "queries": [dict(query, tracks=[
        dict(t, temporal=[[w[0] + 1, w[1]] for w in t["temporal"]]) for t in query["tracks"]])] if n == "MOT17" else []}
        for n in ("OVIS", "MOT17", "MOT20")]}
    assert evaluate_svag(gt, submission)["MOT17"]["HOTA"] == pytest.approx(100.0)


def test_without_ids_no_submission_is_written_and_mot_has_its_seqinfo(tmp_path: Path) -> None:
    paths = write_outputs(_result(), tmp_path, video=False)
    assert "svag" not in paths and not (tmp_path / "svag_submission.json").exists()
    ini = configparser.ConfigParser()
    ini.read(paths["seqinfo"])
    assert ini["Sequence"]["seqLength"] == "300" and ini["Sequence"]["name"] == "street_01"
    mot = read_mot_txt(paths["mot"])
    assert mot.frames.max() <= int(ini["Sequence"]["seqLength"])
    assert mot.frames.min() == round(1 * VIDEO.fps) + 1          # second 1 of referent 3, 1-based frame
    with pytest.raises(ValueError, match="both"):
        write_outputs(_result(), tmp_path, video=False, query_id=1)


@pytest.mark.parametrize("extra", [["--query-id", "4"], ["--video-id", "2"], ["--query-id", "4", "--video-id", "2"]])
def test_ground_command_refuses_half_or_unwritten_ids(extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert ground_main(["video.mp4", "a person", *extra]) == 2
    assert "--query-id and --video-id go together, with --out" in capsys.readouterr().err
