"""The sentence encoder's disk cache: vectors encoded once per machine, model loaded only on a miss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.encoder import Encoder, encoder_dir, load_encoder, model_key


def _refuse() -> object:
    raise AssertionError("the model must not load: every text is cached")


def test_real_encoder_vectors_are_cached_on_disk_and_reused_without_the_model(tmp_path: Path) -> None:
    words = ["car", "person", "a man running", "bicycle"]
    first = load_encoder.__wrapped__(cache=False)  # a fresh, real encoder (bundled all-MiniLM-L6-v2)
    cache = tmp_path / "enc.npz"
    real = Encoder(load=first.model, cache_file=cache)
    vectors = real.encode(words)
    assert vectors.shape == (4, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert real.best("automobile", {"car": ["car"], "person": ["person"]})[0] == "car"
    again = Encoder(load=_refuse, cache_file=cache)  # a later run: vectors from disk, no model
    assert np.array_equal(again.encode(words), vectors) and not again.loaded


def test_only_new_texts_load_the_model_and_grow_the_cache(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    class Model:  # stands in for the 3-s model load in this unit test of the cache around it
        def encode(self, texts, **_):
            calls.append(list(texts))
            return np.eye(384, dtype=np.float32)[[len(t) for t in texts]]

    cache = tmp_path / "enc.npz"
    enc = Encoder(load=Model, cache_file=cache)
    assert not enc.loaded
    enc.encode(["ab", "abc"])
    enc.encode(["abc", "abcd"])
    assert calls == [["ab", "abc"], ["abcd"]] and enc.loaded
    assert Encoder(load=_refuse, cache_file=cache).encode(["abcd"]).argmax() == 4


def test_corrupt_cache_is_reported_and_rebuilt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "enc.npz"
    cache.write_bytes(b"not numpy")
    enc = Encoder(load=lambda: type("M", (), {"encode": lambda self, t, **_: np.ones((len(t), 384))})(), cache_file=cache)
    assert "is corrupt" in capsys.readouterr().err
    enc.encode(["x"])
    assert np.load(cache)["texts"].tolist() == ["x"]


def test_model_key_follows_the_model_files() -> None:
    key = model_key(encoder_dir())
    assert len(key) == 16 and key == model_key(encoder_dir())
