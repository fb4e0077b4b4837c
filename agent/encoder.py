"""The bundled sentence encoder (all-MiniLM-L6-v2), used to match query words to classes and actions.

:class:`Encoder` wraps a ``SentenceTransformer`` loaded from the bundled package's folder (no hub,
no download) and remembers the vectors of texts it has encoded, so the planner's prototype tables
are encoded once per process.

>>> enc = load_encoder()                                      # doctest: +SKIP
>>> enc.best("automobile", {"car": ["car"], "person": ["person"]})   # doctest: +SKIP
('car', 0.8...)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np


class Encoder:
    """Sentence vectors with a memo; ``similarity`` is the cosine of normalised vectors."""

    def __init__(self, model: object) -> None:
        self._model = model
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text (memoised)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            vectors = self._model.encode(list(todo), normalize_embeddings=True, batch_size=64,
                                         show_progress_bar=False)
            self._memo.update(zip(todo, np.asarray(vectors, dtype=np.float32)))
        return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def best(self, text: str, prototypes: Mapping[str, Iterable[str]]) -> tuple[str | None, float]:
        """The key of ``prototypes`` whose phrases are nearest ``text`` in meaning, and that similarity."""
        query = self.encode([text])[0]
        best_key, best_sim = None, -1.0
        for key, phrases in prototypes.items():
            phrases = list(phrases)
            if not phrases:
                continue
            sim = float(np.max(self.encode(phrases) @ query))
            if sim > best_sim:
                best_key, best_sim = key, sim
        return best_key, best_sim


def encoder_dir() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 model (raises ``AssetMissing`` with the fix)."""
    from tools.assets import asset_path

    root = asset_path("sentence_encoder")
    return root / "model" if (root / "model" / "modules.json").exists() else root


@functools.lru_cache(maxsize=2)
def load_encoder(path: str | None = None, device: str = "cpu") -> Encoder:
    """Load the encoder once per process (the model is read-only; later calls share it)."""
    from tools.offline import apply_offline_env

    apply_offline_env()
    from sentence_transformers import SentenceTransformer

    return Encoder(SentenceTransformer(str(path or encoder_dir()), device=device))
