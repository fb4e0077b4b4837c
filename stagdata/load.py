"""One entry point over every loader: ``load_samples(dataset, annotations, videos)``.

>>> load_samples("imagenet", "x.json")
Traceback (most recent call last):
ValueError: unknown dataset 'imagenet'; use one of synth, hcstvg-v1, hcstvg-v2, vidstg, svag
"""

from __future__ import annotations

from pathlib import Path

from stagdata.sample import DATASETS, Sample


def load_samples(dataset: str, annotations: str | Path, videos: str | Path | None = None, *,
                 vidor: str | Path | None = None) -> list[Sample]:
    """Samples of ``dataset`` (``synth`` takes the benchmark folder as ``annotations``)."""
    if dataset == "synth":
        from stagdata.synthset import load_synth

        return load_synth(annotations)
    if dataset in ("hcstvg-v1", "hcstvg-v2"):
        from stagdata.hcstvg import load_hcstvg

        return load_hcstvg(annotations, videos, version=1 if dataset.endswith("1") else 2)
    if dataset == "vidstg":
        from stagdata.vidstg import load_vidstg

        return load_vidstg(annotations, videos, vidor=vidor)
    if dataset == "svag":
        from stagdata.svag import load_svag

        return load_svag(annotations, videos)
    raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
