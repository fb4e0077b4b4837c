"""The bundled sentence encoder (all-MiniLM-L6-v2), used to match query words to classes and actions.

:class:`Encoder` remembers the vector of every text it has encoded, in memory and in a file under
the user cache (``<cache>/encoder/<model key>.npz``, see :func:`tools.runtime.cache_root`), so the
planner's vocabulary tables are encoded once per machine, not once per run. The model itself
(``SentenceTransformer`` from the bundled package's folder: no hub, no download; it imports torch)
loads only when a text is not in the cache yet.

>>> enc = Encoder(load=lambda: None, cache_file=None)
>>> enc.loaded
False
>>> enc = load_encoder()                                      # doctest: +SKIP
>>> enc.best("automobile", {"car": ["car"], "person": ["person"]})   # doctest: +SKIP
('car', 0.8...)
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

DIM = 384
"""Vector size of all-MiniLM-L6-v2."""


class Encoder:
    """Sentence vectors with a memo kept on disk; ``similarity`` is the cosine of normalised vectors.

    ``model`` is a loaded model (anything with ``encode(texts, normalize_embeddings=...)``), or
    ``load`` a function returning one, called on the first text not in the memo. ``cache_file``
    (``.npz``) holds the memo between runs; a corrupt file is reported on stderr and replaced.
    """

    def __init__(
        self,
        model: object | None = None,
        cache_file: str | os.PathLike[str] | None = None,
        *,
        load: Callable[[], object] | None = None,
    ) -> None:
        if (model is None) == (load is None):
            raise ValueError("give either a loaded model or a function that loads one (load=...)")
        self._model, self._load = model, load
        self._lock = threading.Lock()
        self.cache_file = Path(cache_file) if cache_file else None
        self._memo: dict[str, np.ndarray] = self._read_cache()

    @property
    def loaded(self) -> bool:
        """Whether the model itself has been loaded (False while every text came from the cache)."""
        return self._model is not None

    def _read_cache(self) -> dict[str, np.ndarray]:
        if self.cache_file is None or not self.cache_file.is_file():
            return {}
        try:
            with np.load(self.cache_file, allow_pickle=False) as data:
                texts, vectors = data["texts"], data["vectors"]
            if vectors.ndim != 2 or len(texts) != len(vectors):
                raise ValueError(f"texts {texts.shape} and vectors {vectors.shape} do not match")
            return dict(zip(texts.tolist(), vectors.astype(np.float32)))
        except Exception as exc:  # noqa: BLE001 - any unreadable cache is rebuilt, never trusted
            print(f"stag: encoder cache {self.cache_file} is corrupt ({type(exc).__name__}: {exc}); rebuilding it",
                  file=sys.stderr)
            self.cache_file.unlink(missing_ok=True)
            return {}

    def _write_cache(self) -> None:
        if self.cache_file is None:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_file.with_name(f".{self.cache_file.stem}.{os.getpid()}.{threading.get_ident()}.npz")
        texts = list(self._memo)
        np.savez(tmp, texts=np.array(texts, dtype=str), vectors=np.stack([self._memo[t] for t in texts]))
        os.replace(tmp, self.cache_file)

    def model(self) -> object:
        """The sentence-transformer model, loaded now if it was not."""
        with self._lock:
            if self._model is None:
                assert self._load is not None
                self._model = self._load()
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text (memoised; new texts are added to the disk cache)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            vectors = self.model().encode(list(todo), normalize_embeddings=True, batch_size=64,  # type: ignore[attr-defined]
                                          show_progress_bar=False)
            self._memo.update(zip(todo, np.asarray(vectors, dtype=np.float32)))
            self._write_cache()
        return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, DIM), np.float32)

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


def model_key(folder: Path) -> str:
    """16 hex digits naming a model folder's contents (file names, sizes, times): the disk cache's key."""
    digest = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        st = f.stat()
        digest.update(f"{f.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=2)
def load_encoder(path: str | None = None, device: str = "cpu", cache: bool = True) -> Encoder:
    """The encoder, once per process; its model loads only when a text is not in the disk cache.

    ``cache=False`` keeps vectors in memory only.
    """
    folder = Path(path) if path else encoder_dir()

    def load() -> object:
        from tools.offline import apply_offline_env

        apply_offline_env()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the caller shows progress (stag ground's bar, or none with --quiet)
        return SentenceTransformer(str(folder), device=device)

    cache_file = None
    if cache:
        from tools.runtime import cache_root

        cache_file = cache_root() / "encoder" / f"minilm-{model_key(folder)}.npz"
    return Encoder(load=load, cache_file=cache_file)
