"""The vLLM model server launcher (``stag serve-model``): a product of its own, sharing nothing with
the tool endpoint in ``serving/`` beside it.

- ``models``: which model is which (boxes, tool calls, reasoning, parsers, GPUs);
- ``vllm_command``: the vLLM command line and environment for a model;
- ``process``: run it, wait until it answers, stop it and everything it spawned;
- ``cli``: ``stag serve-model``;
- ``tiny_glm``: a tiny random GLM-4V built locally for tests (no hub).
"""
