"""An optional on-disk cache of what the tools saw, so several queries about one video perceive it once.

Entries are JSON files named by a hash of the video's identity (absolute path, size, modification
time) and of the call (rate, detector, confidence). The folder is ``GroundConfig.cache_dir`` or,
by default, ``$STAG_CACHE_DIR`` / ``$XDG_CACHE_HOME/stag/perception`` / ``~/.cache/stag/perception``
(:meth:`PerceptionCache.default`). A change to any tools module changes every key, so an entry
never outlives the code that made it.

>>> import tempfile
>>> cache = PerceptionCache(tempfile.mkdtemp())
>>> key = cache.key(__file__, kind="demo", start=0)
>>> cache.get(key) is None
True
>>> cache.put(key, {"a": 1}); cache.get(key)
{'a': 1}
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def _tools_version() -> str:
    """A fingerprint of the perception code, so a changed detector or tracker never reads old entries."""
    import tools

    root = Path(tools.__file__).parent
    digest = hashlib.sha1()
    for f in sorted(root.rglob("*.py")):
        digest.update(f.relative_to(root).as_posix().encode() + f.read_bytes())
    return digest.hexdigest()[:12]


def default_folder() -> Path:
    """Where perception is cached when no folder is configured."""
    if os.environ.get("STAG_CACHE_DIR"):
        return Path(os.environ["STAG_CACHE_DIR"]) / "perception"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "stag" / "perception"


class PerceptionCache:
    """JSON values under a folder, keyed by :meth:`key`."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def default(cls) -> PerceptionCache:
        """The cache in :func:`default_folder`."""
        return cls(default_folder())

    def key(self, video: str | os.PathLike[str], **call: Any) -> str:
        """A key for ``call`` on this exact file with this version of the tools (a change gets new keys)."""
        p = Path(video).resolve()
        st = p.stat()
        ident = json.dumps({"video": str(p), "size": st.st_size, "mtime": st.st_mtime_ns, "tools": _tools_version(),
                            **call}, sort_keys=True, default=str)
        return hashlib.sha1(ident.encode()).hexdigest()

    def get(self, key: str) -> Any | None:
        """The stored value, or None (also for an unreadable entry)."""
        path = self.folder / f"{key}.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable) atomically."""
        path = self.folder / f"{key}.json"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value))
        tmp.replace(path)
