"""Synthetic grounding benchmark: real people cut from the bundled film, scripted on real street plates.

``generate(preset_or_config, out_dir, seed)`` writes H.264 videos with exact per-frame boxes,
action labels derived from the motion, several phrasings of single- and multi-referent queries,
per-second ground truth (``stag eval stvg`` format) and SVAG-Bench JSON, and returns the
:class:`SynthManifest`. ``render_clip`` makes one example clip. CLI: ``stag synth``.
"""

from stagdata.synth.generate import PRESETS, generate, render_clip
from stagdata.synth.manifest import QueryEntry, SynthConfig, SynthManifest, VideoEntry
from stagdata.synth.scenes import ActCue

__all__ = ["PRESETS", "ActCue", "QueryEntry", "SynthConfig", "SynthManifest", "VideoEntry", "generate", "render_clip"]
