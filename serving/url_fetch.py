"""Fetch a video from a URL into the upload folder, under the server's URL policy.

URLs are off unless the operator lists hosts (``--allow-url-host``). When on, only http(s) URLs
to a listed host (``host`` or ``host:port``) are fetched, without credentials in the URL; each
redirect is checked against the same policy; the answer must announce a video type and stay
under the size limit (checked against Content-Length and again while streaming); the whole fetch
has a time limit. The file then becomes an upload like any other.

>>> policy = UrlPolicy(allowed_hosts=["media.example.org"])
>>> check_url("https://media.example.org/a.mp4", policy).host
'media.example.org'
>>> check_url("http://10.0.0.1/a.mp4", policy)
Traceback (most recent call last):
...
serving.errors.Forbidden: host '10.0.0.1' is not on this server's URL allow-list; upload the file with POST /uploads instead
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
from pydantic import BaseModel, Field

from serving import errors
from serving.media import MediaLibrary

VIDEO_TYPES = ("video/",)
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream")
MAX_REDIRECTS = 3


class UrlPolicy(BaseModel):
    """Which URLs may be fetched, how big and how long."""

    allowed_hosts: list[str] = Field(default_factory=list, description="lower-case 'host' or 'host:port'")
    max_bytes: int = 512 * 2**20
    timeout_s: float = 60.0


def check_url(url: str, policy: UrlPolicy) -> httpx.URL:
    """The parsed URL if the policy allows it; :class:`serving.errors.Forbidden` otherwise."""
    if not policy.allowed_hosts:
        raise errors.Forbidden(
            "this server does not fetch URLs; upload the video with POST /uploads and pass 'upload:<id>' "
            "(the operator can allow hosts with --allow-url-host)"
        )
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise errors.BadRequest(f"{url[:200]!r} is not a valid URL ({exc})") from exc
    if parsed.scheme not in ("http", "https"):
        raise errors.Forbidden(f"only http and https URLs are fetched, not {parsed.scheme!r}")
    if parsed.userinfo:
        raise errors.Forbidden("URLs with credentials (user:password@) are not accepted")
    host = (parsed.host or "").lower()
    with_port = f"{host}:{parsed.port}" if parsed.port else host
    if host not in policy.allowed_hosts and with_port not in policy.allowed_hosts:
        raise errors.Forbidden(
            f"host {host!r} is not on this server's URL allow-list; upload the file with POST /uploads instead"
        )
    return parsed


def _check_type(content_type: str) -> None:
    main = content_type.split(";")[0].strip().lower()
    if not (main.startswith(VIDEO_TYPES) or main in GENERIC_TYPES):
        raise errors.UnsupportedMediaType(
            f"the URL answered with content type {main or 'none'!r}, not a video (video/*); "
            "give a direct link to the video file"
        )


async def fetch_video(url: str, policy: UrlPolicy, media: MediaLibrary) -> Path:
    """Download ``url`` into a new upload and return its file (type and size checked, not decoded)."""
    target = check_url(url, policy)
    writer = media.writer(policy.max_bytes, what="video at the URL")
    try:
        await asyncio.wait_for(_download(target, policy, writer), timeout=policy.timeout_s)
        return writer.commit()
    except asyncio.TimeoutError as exc:
        writer.abort()
        raise errors.Timeout(f"fetching the URL took longer than {policy.timeout_s:g} s; upload the file instead") from exc
    except BaseException:
        writer.abort()
        raise


def fetch_failure(target: httpx.URL, exc: BaseException) -> str:
    """Why a fetch failed, in words: never an empty reason; a failed TLS handshake says so.

    >>> import ssl
    >>> err = httpx.ConnectError("")
    >>> err.__cause__ = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    >>> fetch_failure(httpx.URL("https://media.example.org/a.mp4"), err)[:75]
    'the TLS handshake with media.example.org failed ([SSL: WRONG_VERSION_NUMBER'
    """
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 8:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    detail = next((str(e).strip() for e in chain if str(e).strip()), "") or "no details"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in detail:
        ssl_detail = next((str(e).strip() for e in chain if isinstance(e, ssl.SSLError) and str(e).strip()), detail)
        return (f"the TLS handshake with {target.host} failed ({ssl_detail[:200]}); if the host serves only "
                "http, use an http:// URL, or upload the file")
    return f"fetching the URL failed ({type(exc).__name__}: {detail[:300]}); check the link or upload the file"


async def _download(target: httpx.URL, policy: UrlPolicy, writer) -> None:
    async with httpx.AsyncClient(follow_redirects=False, timeout=policy.timeout_s, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                async with client.stream("GET", target) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        target = check_url(str(target.join(location)), policy)
                        continue
                    if response.status_code != 200:
                        raise errors.BadGateway(
                            f"the URL answered HTTP {response.status_code}; check the link or upload the file"
                        )
                    _check_type(response.headers.get("content-type", ""))
                    declared = response.headers.get("content-length")
                    writer.check_declared(int(declared) if declared and declared.isdigit() else None)
                    async for chunk in response.aiter_bytes():
                        writer.write(chunk)
                    return
            except httpx.HTTPError as exc:
                raise errors.BadGateway(fetch_failure(target, exc)) from exc
        raise errors.BadGateway(f"the URL redirected more than {MAX_REDIRECTS} times")
