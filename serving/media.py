"""Where a tool's video may come from: configured media roots and the server's own upload folder.

A request names a video by a path inside a media root or by ``upload:<id>``; nothing else from a
request ever becomes a path. Paths are checked before the file system is touched (no ``..``, no
absolute path outside the roots, no NUL byte) and again after resolving symbolic links (no link
may lead out of the roots), so a file outside the roots is refused the same way whether it exists
or not. Uploads are stored under random ids chosen by the server; an upload is written to a
hidden ``.part`` file first, and ``.part`` files a crashed server left behind are removed at start.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()); (root / "clip.mp4").write_bytes(b"...")
3
>>> media = MediaLibrary([root], root / "uploads")
>>> media.resolve("clip.mp4") == (root / "clip.mp4").resolve()
True
>>> media.resolve("../etc/passwd")
Traceback (most recent call last):
...
serving.errors.Forbidden: '../etc/passwd' contains '..'; give a path inside a media root, e.g. 'street/clip.mp4'
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path, PurePosixPath

from serving import errors

UPLOAD_PREFIX = "upload:"
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
UPLOAD_SUFFIX = ".video"


def is_url(ref: str) -> bool:
    """Whether a video reference is a URL rather than a path or an upload id.

    >>> is_url("https://example.org/a.mp4"), is_url("clips/a.mp4"), is_url("file:///etc/passwd")
    (True, False, True)
    """
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", ref) is not None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class MediaLibrary:
    """Resolves video references to files inside the media roots or the upload folder."""

    def __init__(self, roots: list[Path], upload_dir: Path) -> None:
        missing = [str(r) for r in roots if not Path(r).is_dir()]
        if missing:
            raise ValueError(f"media roots must be existing folders; not found: {', '.join(missing)}")
        self.roots = [Path(r).resolve() for r in roots]
        upload_dir.mkdir(parents=True, exist_ok=True)
        self.upload_dir = upload_dir.resolve()
        self.removed_parts = self._remove_parts()

    def _remove_parts(self) -> int:
        """Delete unfinished uploads (``.part`` files) an earlier process left; how many there were."""
        removed = 0
        for part in self.upload_dir.glob(".*.part"):
            part.unlink(missing_ok=True)
            removed += 1
        return removed

    def resolve(self, ref: str) -> Path:
        """The file a reference names; :class:`serving.errors.ServeError` (403/404/400) otherwise."""
        if ref.startswith(UPLOAD_PREFIX):
            return self.upload_path(ref[len(UPLOAD_PREFIX):])
        if is_url(ref):
            raise errors.BadRequest(f"{ref[:80]!r} is a URL; URLs are fetched into uploads first")
        return self._in_roots(ref)

    def _in_roots(self, ref: str) -> Path:
        hint = "give a path inside a media root, e.g. 'street/clip.mp4'"
        if "\x00" in ref:
            raise errors.BadRequest("the video path contains a NUL byte")
        if ".." in PurePosixPath(ref.replace("\\", "/")).parts:
            raise errors.Forbidden(f"{ref!r} contains '..'; {hint}")
        if not self.roots:
            raise errors.Forbidden(
                "this server has no media roots, so paths are not accepted; upload the video with "
                "POST /uploads and pass 'upload:<id>' (or start the server with --media-root DIR)"
            )
        path = Path(ref)
        if path.is_absolute():
            lexical = Path(os.path.normpath(path))
            if not any(_inside(lexical, root) for root in self.roots):
                raise errors.Forbidden(f"absolute path {ref!r} is outside the media roots; {hint}")
            candidates = [lexical]
        else:
            candidates = [root / path for root in self.roots]
        for candidate in candidates:
            try:
                real = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if not any(_inside(real, root) for root in self.roots):
                raise errors.Forbidden(
                    f"{ref!r} resolves outside the media roots (a symbolic link leading out); {hint}"
                )
            if not real.is_file():
                raise errors.BadRequest(f"{ref!r} is not a file; {hint}")
            return real
        raise errors.NotFound(f"no video {ref!r} under the media roots; check the name (paths are case-sensitive)")

    def upload_path(self, upload_id: str) -> Path:
        """The stored file of an upload id (ids are 32 hex digits chosen by the server)."""
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise errors.BadRequest(f"{upload_id[:64]!r} is not an upload id (32 hex digits from POST /uploads)")
        path = self.upload_dir / f"{upload_id}{UPLOAD_SUFFIX}"
        if not path.is_file():
            raise errors.NotFound(f"no upload with id {upload_id}; upload the video again with POST /uploads")
        return path

    def writer(self, limit: int, what: str = "upload") -> UploadWriter:
        """A new upload being written (see :class:`UploadWriter`)."""
        return UploadWriter(self.upload_dir, limit, what)


class UploadWriter:
    """Writes one upload to a temporary file, enforcing a size limit; ``commit`` gives it its id.

    >>> import tempfile, pathlib
    >>> w = UploadWriter(pathlib.Path(tempfile.mkdtemp()), limit=4)
    >>> w.write(b"abc"); w.write(b"de")
    Traceback (most recent call last):
    ...
    serving.errors.TooLarge: the upload is larger than the limit of 4 bytes (0.0 MiB); send a smaller or shorter video
    >>> w.abort()
    """

    def __init__(self, folder: Path, limit: int, what: str = "upload") -> None:
        self.id = uuid.uuid4().hex
        self.limit = limit
        self.what = what
        self.size = 0
        self.part = folder / f".{self.id}.part"
        self.path = folder / f"{self.id}{UPLOAD_SUFFIX}"
        self._file = self.part.open("wb")

    def check_declared(self, declared: int | None) -> None:
        """Refuse early when the announced size is already over the limit."""
        if declared is not None and declared > self.limit:
            raise self._too_large()

    def _too_large(self) -> errors.TooLarge:
        return errors.TooLarge(
            f"the {self.what} is larger than the limit of {self.limit} bytes ({self.limit / 2**20:.1f} MiB); "
            "send a smaller or shorter video"
        )

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise self._too_large()
        self._file.write(chunk)

    def commit(self) -> Path:
        self._file.close()
        if self.size == 0:
            self.abort()
            raise errors.InvalidVideo(f"the {self.what} is empty (0 bytes); send a video file")
        self.part.rename(self.path)
        return self.path

    def abort(self) -> None:
        self._file.close()
        self.part.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)
