"""Evaluation at scale: the agent over the published benchmarks, scored by their official protocols.

Layer above ``agent`` (imports ``agent.api``, ``stagdata``, ``verifier``). ``stag eval-agent`` is
:func:`evaluation.cli.main`; :mod:`evaluation.runner` groups queries by video, runs them on local
processes or Ray and appends every finished sample to ``predictions.jsonl``;
:mod:`evaluation.protocol` scores frame-level predictions as the official evaluators do;
:mod:`evaluation.outputs` writes ``predictions_official.json``, ``metrics.json`` and ``report.md``.
"""
