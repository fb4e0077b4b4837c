"""Grounding datasets: the synthetic benchmark generator and loaders of the published benchmarks.

Named ``stagdata`` so that it never shadows Hugging Face's ``datasets``. Layering: it may import
``verifier`` and ``tools``; ``agent``, evaluation and training import it, never the reverse.
"""
