"""The Gradio demo: ``stag demo`` (:mod:`demo.cli`) serves the page built by :mod:`demo.app`."""
