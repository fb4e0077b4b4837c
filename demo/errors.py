"""Plain-word messages for whatever goes wrong in a demo run (the page never shows a stack trace).

>>> plain_message(DemoError("Type what you are looking for."))
'Type what you are looking for.'
>>> plain_message(RuntimeError("boom"))
'Something went wrong (RuntimeError: boom). The server log has the details.'
"""

from __future__ import annotations

from pydantic import ValidationError

from agent.api import Cancelled
from tools.assets import AssetMissing
from tools.video import VideoError


class DemoError(Exception):
    """A problem the page states as it is: the message is written for the person using the demo."""


def _first_validation_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg', 'invalid value')}" if where else str(err.get("msg", "invalid value"))


def plain_message(exc: BaseException) -> str:
    """One or two sentences saying what went wrong and what to do about it."""
    if isinstance(exc, DemoError):
        return str(exc)
    if isinstance(exc, VideoError):
        return (
            f"This video could not be read: {exc} "
            "Try another file (MP4, MOV, WebM or AVI) or pick one of the examples."
        )
    if isinstance(exc, AssetMissing):
        return f"A file stag needs is not installed. {exc}"
    if isinstance(exc, Cancelled):
        return "The run was stopped before it finished."
    if isinstance(exc, ValidationError):
        return f"A setting was not accepted ({_first_validation_message(exc)})."
    if isinstance(exc, ValueError):
        return f"The request was not accepted: {exc}"
    return f"Something went wrong ({type(exc).__name__}: {exc}). The server log has the details."
