"""Errors the endpoint answers with: an HTTP status, a short machine type and a message for people.

Every refusal (bad arguments, a path outside the media roots, a corrupt video, a full queue) is a
:class:`ServeError`. The REST twin turns it into OpenClaw's envelope
``{"ok": false, "error": {"type", "message"}}`` with the status; the MCP tools raise it as a tool
error carrying the same message. Messages say what was wrong and what to do, and never name a
server-side path.

>>> err = Forbidden("'../etc/passwd' leaves the media roots; give a path inside a media root")
>>> (err.status, err.type, err.info().model_dump())
(403, 'forbidden', {'type': 'forbidden', 'message': "'../etc/passwd' leaves the media roots; give a path inside a media root"})
"""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_MESSAGE_CHARS = 2000


class ErrorInfo(BaseModel):
    """The ``error`` member of a failed envelope."""

    type: str = Field(description="short machine-readable kind, e.g. 'invalid_video', 'too_many_requests'")
    message: str = Field(description="what was wrong and what to do")


class ServeError(Exception):
    """A request the endpoint refuses or could not complete; ``status`` is the HTTP status."""

    status: int = 500
    type: str = "internal"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        if len(message) > MAX_MESSAGE_CHARS:  # an error never grows with the request that caused it
            message = message[:MAX_MESSAGE_CHARS] + " ... (message cut)"
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def info(self) -> ErrorInfo:
        return ErrorInfo(type=self.type, message=self.message)


class BadRequest(ServeError):
    status, type = 400, "invalid_args"


class Unauthorized(ServeError):
    status, type = 401, "unauthorized"


class Forbidden(ServeError):
    status, type = 403, "forbidden"


class NotFound(ServeError):
    status, type = 404, "not_found"


class UnknownTool(ServeError):
    status, type = 404, "unknown_tool"


class NotReady(ServeError):
    status, type = 409, "not_ready"


class TooLarge(ServeError):
    status, type = 413, "too_large"


class QuotaExceeded(ServeError):
    status, type = 413, "quota_exceeded"


class UnsupportedMediaType(ServeError):
    status, type = 415, "unsupported_media_type"


class InvalidVideo(ServeError):
    status, type = 422, "invalid_video"


class InvalidQuery(ServeError):
    status, type = 422, "invalid_query"


class TooManyRequests(ServeError):
    status, type = 429, "too_many_requests"


class Cancelled(ServeError):
    status, type = 409, "cancelled"


class Interrupted(ServeError):
    status, type = 409, "interrupted"


class Timeout(ServeError):
    status, type = 504, "timeout"


class BadGateway(ServeError):
    status, type = 502, "url_fetch_failed"


class Internal(ServeError):
    status, type = 500, "internal"


ERROR_CLASSES: dict[str, type[ServeError]] = {
    cls.type: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, UnknownTool, NotReady, TooLarge, QuotaExceeded,
                UnsupportedMediaType, InvalidVideo, InvalidQuery, TooManyRequests, Cancelled,
                Interrupted, Timeout, BadGateway, Internal)
}


def error_from_info(info: ErrorInfo) -> ServeError:
    """Rebuild the exception a stored job error stands for (unknown kinds become :class:`Internal`).

    >>> error_from_info(ErrorInfo(type="invalid_video", message="not a video")).status
    422
    """
    return ERROR_CLASSES.get(info.type, Internal)(info.message)
