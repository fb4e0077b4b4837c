"""A quick look at a model endpoint before a run, so an unreachable server is reported in seconds.

``GET {base_url}/models`` is part of every OpenAI-compatible server (vLLM included); the model the
person named must be among those it lists.

>>> check_endpoint("http://127.0.0.1:9/v1", "glm", timeout=1.0)   # nothing listens on port 9
Traceback (most recent call last):
...
demo.errors.DemoError: The model endpoint http://127.0.0.1:9/v1 could not be reached (connection refused). Check that the server is running and the URL is right, or choose the embedded planner.
"""

from __future__ import annotations

import httpx

from demo.errors import DemoError


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() else f"cannot connect: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    return f"{type(exc).__name__}: {exc}"


def check_endpoint(base_url: str, model: str, api_key: str = "EMPTY", timeout: float = 5.0) -> list[str]:
    """Names of the models the endpoint serves; :class:`DemoError` in plain words if it cannot be used."""
    hint = "Check that the server is running and the URL is right, or choose the embedded planner."
    try:
        response = httpx.get(
            f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout
        )
    except httpx.HTTPError as exc:
        raise DemoError(f"The model endpoint {base_url} could not be reached ({_reason(exc)}). {hint}") from exc
    if response.status_code in (401, 403):
        raise DemoError(f"The model endpoint {base_url} refused the request (HTTP {response.status_code}: not authorised).")
    if response.status_code != 200:
        raise DemoError(
            f"The model endpoint {base_url} answered HTTP {response.status_code} to GET /models; "
            f"is it an OpenAI-compatible server (the URL usually ends in /v1)? {hint}"
        )
    try:
        served = [str(m["id"]) for m in response.json()["data"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise DemoError(
            f"The model endpoint {base_url} did not answer GET /models like an OpenAI-compatible server. {hint}"
        ) from exc
    if model not in served:
        raise DemoError(
            f"The model endpoint {base_url} does not serve a model named {model!r}; it serves: "
            f"{', '.join(served) or 'none'}."
        )
    return served
