"""Offline switches: stag reaches no network unless a user explicitly asks for a hub model or URL.

:func:`offline_env` returns the environment settings; :func:`apply_offline_env` puts them into
``os.environ`` without overriding values the user already set. Entry points (CLI, endpoint, demo)
call it once before importing ultralytics, transformers or gradio, which read these at import.

>>> env = offline_env("/tmp/stag-cfg")
>>> env["YOLO_OFFLINE"], env["HF_HUB_OFFLINE"]
('1', '1')
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from pathlib import Path


def default_config_dir() -> Path:
    """A writable folder for ultralytics' settings (it insists on one)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    path = Path(base) / "stag" / "ultralytics"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:
        return Path(tempfile.gettempdir()) / "stag-ultralytics"


def offline_env(config_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Environment variables that keep ultralytics, Hugging Face and Gradio off the network."""
    return {
        "YOLO_OFFLINE": "1",
        "YOLO_AUTOINSTALL": "0",
        "YOLO_VERBOSE": "False",
        "YOLO_CONFIG_DIR": str(config_dir or default_config_dir()),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        "WANDB_MODE": "disabled",
        "TOKENIZERS_PARALLELISM": "false",
    }


def apply_offline_env(config_dir: str | os.PathLike[str] | None = None) -> None:
    """Set the offline switches in ``os.environ``, keeping any value the user already chose."""
    for key, value in offline_env(config_dir).items():
        os.environ.setdefault(key, value)
    Path(os.environ["YOLO_CONFIG_DIR"]).mkdir(parents=True, exist_ok=True)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (servers bind it without a token).

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0", "192.168.1.5")]
    [True, True, True, True, False, False]
    """
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
