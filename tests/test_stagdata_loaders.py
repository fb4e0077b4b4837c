"""Dataset loaders: the synthetic benchmark written in each published layout reads back the same.

Fixture files are made here from a tiny synthetic benchmark (stagdata.convert), never copied from
anywhere: HC-STVG v1 and v2, VidSTG (records with embedded VidOR trajectories), SVAG-Bench. Every
loader must give back the synthetic ground truth frame for frame, and malformed files must be
refused with the file, the line and the field.
"""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import pytest

from stagdata.convert import main as convert_main
from stagdata.convert import to_hcstvg, to_svag, to_vidstg
from stagdata.load import load_samples
from stagdata.sample import AnnotationError, Sample
from stagdata.synth import ActCue, SynthConfig, generate
from stagdata.synthset import load_synth

TINY = SynthConfig(name="tiny", videos=2, duration=4.0,
                   programs=[[ActCue(act="meet", at=0.0)], [ActCue(act="cross", at=0.0)]])


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    generate(TINY, root, seed=3)
    return root


@pytest.fixture(scope="module")
def synth(bench: Path) -> list[Sample]:
    return load_synth(bench)


def _by_query(samples: list[Sample]) -> dict[tuple[str, str], Sample]:
    return {(Path(s.video_key).name, s.query): s for s in samples}


def _same_truth(a: Sample, b: Sample) -> None:
    assert a.query == b.query and a.video_key == b.video_key
    assert (a.fps, a.frame_count, a.width, a.height) == (b.fps, b.frame_count, b.width, b.height)
    assert len(a.tubes) == len(b.tubes)
    for ta, tb in zip(a.tubes, b.tubes):
        assert ta.interval == tb.interval
        assert ta.boxes.keys() == tb.boxes.keys()
        for f in ta.boxes:
            assert ta.boxes[f] == pytest.approx(tb.boxes[f])
    assert [(r.interval, r.boxes.keys()) for r in a.referents] == [(r.interval, r.boxes.keys()) for r in b.referents]


def test_synth_loader_matches_the_manifest(bench: Path, synth: list[Sample]) -> None:
    from stagdata.synth import SynthManifest

    m = SynthManifest.load(bench)
    assert len(synth) == sum(len(v.queries) for v in m.videos) > 0
    for s, (_, q) in zip(synth, m.queries()):
        assert [r.interval for r in s.referents] == [r.interval for r in q.referents]
        assert s.kind == ("multi" if q.multi else "single")


@pytest.mark.parametrize("version", [1, 2])
def test_hcstvg_round_trip(bench: Path, synth: list[Sample], tmp_path: Path, version: int) -> None:
    path = to_hcstvg(bench, tmp_path, version=version)
    raw = json.loads(path.read_text())
    first = next(iter(raw.values()))
    assert ("English" in first and "img_size" in first) if version == 2 else ("caption" in first and "width" in first)
    assert first["st_frame"] >= 1 and len(first["bbox"][0]) == 4
    loaded = load_samples(f"hcstvg-v{version}", path, tmp_path / "videos")
    singles = _by_query([s for s in synth if len(s.tubes) == 1])
    assert len(loaded) == len(singles)
    for s in loaded:
        assert s.frame_base == 1 and s.meta["st_frame"] == s.gt_frames()[0] + 1
        _same_truth(s, singles[(Path(s.video_key).name, s.query)])


def test_hcstvg_videos_in_sub_folders(bench: Path, synth: list[Sample], tmp_path: Path) -> None:
    path = to_hcstvg(bench, tmp_path)
    part = tmp_path / "videos" / "part0"
    part.mkdir()
    for link in sorted((tmp_path / "videos").glob("*.mp4"))[::2]:     # the real v2 ships clips in parts
        (part / link.name).symlink_to(link.resolve())
        link.unlink()
    loaded = load_samples("hcstvg-v2", path, tmp_path / "videos")
    assert any(Path(s.video).parent == part for s in loaded)
    assert [s.video_key for s in loaded] == [s.video_key for s in load_samples("hcstvg-v2", to_hcstvg(bench, tmp_path / "b"), tmp_path / "b" / "videos")]


def test_vidstg_round_trip_both_sentence_kinds(bench: Path, synth: list[Sample], tmp_path: Path) -> None:
    path = to_vidstg(bench, tmp_path)
    loaded = load_samples("vidstg", path, tmp_path / "videos")
    assert {s.kind for s in loaded} == {"declarative", "interrogative"}
    singles = _by_query([s for s in synth if len(s.tubes) == 1])
    for s in loaded:
        assert s.eval_window == (0, s.frame_count - 1)
        _same_truth(s, singles[(Path(s.video_key).name, s.query)])


def test_vidstg_reads_trajectories_from_a_vidor_folder(bench: Path, tmp_path: Path) -> None:
    path = to_vidstg(bench, tmp_path)
    records = json.loads(path.read_text())
    (tmp_path / "vidor" / "0000").mkdir(parents=True)
    for r in records:
        (tmp_path / "vidor" / "0000" / f"{r['vid']}.json").write_text(json.dumps({"trajectories": r.pop("trajectories")}))
    path.write_text(json.dumps(records))
    embedded = load_samples("vidstg", to_vidstg(bench, tmp_path / "again"), tmp_path / "again" / "videos")
    apart = load_samples("vidstg", path, tmp_path / "videos", vidor=tmp_path / "vidor")
    assert [s.tubes for s in apart] == [s.tubes for s in embedded]


def test_svag_round_trip(bench: Path, synth: list[Sample], tmp_path: Path) -> None:
    path = to_svag(bench, tmp_path)
    loaded = load_samples("svag", path, tmp_path / "videos")
    assert {s.kind for s in loaded} <= {"OVIS", "MOT17", "MOT20"}
    by_id = {s.sample_id: s for s in synth}
    assert len(loaded) == len(synth)
    for s in loaded:
        _same_truth(s, by_id[str(s.meta["query_id"])])


def test_convert_cli(bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert convert_main([str(bench), str(tmp_path), "--to", "hcstvg-v2"]) == 0
    assert Path(capsys.readouterr().out.strip()).is_file()
    assert convert_main([str(tmp_path / "nothing"), str(tmp_path), "--to", "svag"]) == 2


# -- malformed files: file, line and field named ------------------------------------------------

def _hcstvg_file(bench: Path, tmp_path: Path) -> tuple[Path, dict]:
    path = to_hcstvg(bench, tmp_path)
    return path, json.loads(path.read_text())


def _write_lines(path: Path, data: object) -> str:
    text = json.dumps(data, indent=1)
    path.write_text(text)
    return text


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("bbox", [[1, 2, 3]], "bbox[0] must be [x, y, w, h]"),
    ("st_frame", 0, "1-based"),
    ("img_size", [360], "[height, width]"),
    ("img_num", 3, "run past img_num"),
    ("English", "", "missing or empty"),
])
def test_hcstvg_malformed_names_line_and_field(bench: Path, tmp_path: Path, field: str, value: object, problem: str) -> None:
    path, data = _hcstvg_file(bench, tmp_path)
    key = list(data)[1]
    data[key][field] = value
    text = _write_lines(path, data)
    with pytest.raises(AnnotationError) as err:
        load_samples("hcstvg-v2", path, tmp_path / "videos")
    at_key = text.split("\n").index(f' "{key}": {{') + 1
    bad_field = "bbox" if field == "img_num" else field
    expected_line = next(i for i, line in enumerate(text.split("\n"), 1) if i > at_key and f'"{bad_field}"' in line)
    assert err.value.line == expected_line and err.value.field == bad_field, str(err.value)
    assert str(path) in str(err.value) and f"line {expected_line}" in str(err.value) and problem in str(err.value)


def test_hcstvg_missing_field_and_bad_json(bench: Path, tmp_path: Path) -> None:
    path, data = _hcstvg_file(bench, tmp_path)
    key = next(iter(data))
    del data[key]["bbox"]
    _write_lines(path, data)
    with pytest.raises(AnnotationError, match=r"line 2: video .*: field 'bbox': is missing"):
        load_samples("hcstvg-v2", path)
    path.write_text('{\n "a.mp4": {\n  "bbox": [1,\n }')
    with pytest.raises(AnnotationError, match=r"line 4: .*not valid JSON"):
        load_samples("hcstvg-v2", path)
    with pytest.raises(AnnotationError, match="does not exist"):
        load_samples("hcstvg-v1", tmp_path / "none.json")
    path.write_text(json.dumps({key: {**json.loads(json.dumps(_hcstvg_file(bench, tmp_path / "b")[1][key]))}}))
    with pytest.raises(AnnotationError, match="field 'video': no file"):
        load_samples("hcstvg-v2", path, tmp_path / "empty")


def test_vidstg_malformed_names_record_line_and_field(bench: Path, tmp_path: Path) -> None:
    path = to_vidstg(bench, tmp_path)
    records = json.loads(path.read_text())
    records[1]["temporal_gt"] = {"begin_fid": 50, "end_fid": 10}
    text = json.dumps(records, indent=1)
    path.write_text(text)
    with pytest.raises(AnnotationError) as err:
        load_samples("vidstg", path)
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines, 1) if line == " {"]
    expected = next(i for i, line in enumerate(lines, 1) if i > starts[1] and '"temporal_gt"' in line)
    assert err.value.line == expected and err.value.field == "temporal_gt" and "record 1" in str(err.value)
    records[1]["temporal_gt"] = {"begin_fid": 0, "end_fid": 10}
    records[0]["captions"] = records[0]["questions"] = [{"description": "x", "target_id": 99}]
    path.write_text(json.dumps(records))
    with pytest.raises(AnnotationError, match="target_id 99 is not in subject/objects"):
        load_samples("vidstg", path)
    del records[0]["trajectories"]
    path.write_text(json.dumps(records))
    with pytest.raises(AnnotationError, match="field 'trajectories': not embedded"):
        load_samples("vidstg", path)
    path.write_text(json.dumps({"vid": "x"}))
    with pytest.raises(AnnotationError, match="must be a list of records"):
        load_samples("vidstg", path)


def test_svag_malformed_names_line_and_field(bench: Path, tmp_path: Path) -> None:
    path = to_svag(bench, tmp_path)
    data = json.loads(path.read_text())
    q = next(q for ds in data["datasets"] for q in ds["queries"])
    q["tracks"][0]["temporal"] = [[0, 5]]
    path.write_text(json.dumps(data, indent=1))
    with pytest.raises(AnnotationError, match=r"line \d+: subset .* query .*: field 'temporal': .*1-based"):
        load_samples("svag", path, tmp_path / "videos")
    data["datasets"][0]["name"] = "KITTI"
    path.write_text(json.dumps(data))
    with pytest.raises(AnnotationError, match="field 'name': must be one of"):
        load_samples("svag", path, tmp_path / "videos")
    with pytest.raises(ValueError, match="pass the videos folder"):
        load_samples("svag", path)


@pytest.mark.parametrize("name", ["sample", "hcstvg", "vidstg", "svag", "synthset", "load", "convert"])
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"stagdata.{name}"))
    assert result.failed == 0 and result.attempted > 0
