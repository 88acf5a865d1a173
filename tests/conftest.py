"""Session-wide test settings: few CPU threads, one reader per OCR engine for the whole session.

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
    """The real EasyOCR engine (offline weights), built once: it costs seconds."""
    from did_ocr.ocr import get_ocr

    return get_ocr("easyocr", "cpu")


@pytest.fixture(scope="session")
def rapid_reader():
    """The real RapidOCR engine (the models in its wheel), built once: the default engine."""
    from did_ocr.ocr import get_ocr

    return get_ocr("rapidocr", "cpu")


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray on loopback with 2 CPUs for one test module (skipped where Ray is not installed)."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny (untrained) DiD checkpoint, enough to exercise the DiD code paths quickly."""
    from tests.helpers import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.safetensors")
