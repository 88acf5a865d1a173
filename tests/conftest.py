"""Session-wide test settings: few CPU threads, one EasyOCR reader for the whole session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    yield


@pytest.fixture(scope="session")
def ocr_reader():
    """The real EasyOCR reader (offline weights), built once: it costs seconds."""
    from did_ocr.ocr import get_reader

    return get_reader("cpu")


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny (untrained) DiD checkpoint, enough to exercise the DiD code paths quickly."""
    from tests.helpers import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.safetensors")
