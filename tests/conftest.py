"""Session-wide test settings: few CPU threads, one EasyOCR reader for the whole session.

Threads: 1 by default, at most 2 (``DID_OCR_TEST_THREADS``). The test machines
have 2 cores, often shared with a training run; there, two torch threads
make EasyOCR about 10x slower than one (measured: 5.4 s vs 0.5 s per tiny image).
"""

from __future__ import annotations

import os

import pytest

THREADS = max(1, min(2, int(os.environ.get("DID_OCR_TEST_THREADS", "1"))))
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    import cv2
    import torch

    torch.set_num_threads(THREADS)
    cv2.setNumThreads(THREADS)
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
