"""ONNX Runtime sessions, opened one way for every network did-ocr runs on it.

Why one place: PP-OCR's detector and recognizer (:mod:`did_ocr.ocr.ppocr`) and
DiD's denoiser (:mod:`did_ocr.model.onnx_model`) share the same choices
(threads, no memory arena, quiet logs, CUDA only where asked and present).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def default_threads() -> int:
    """Threads for ONNX Runtime: ``OMP_NUM_THREADS`` when set (tests, shared machines), else every core."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


def open_session(path: Path, cuda: bool, threads: int, device_id: int = 0) -> Any:
    """An ONNX Runtime session: ``threads`` intra-op threads, one inter-op, CUDA first when asked and present, quiet."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    options.enable_cpu_mem_arena = False  # an arena keeps every image size's peak allocation
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if 1 <= threads <= (os.cpu_count() or 1):
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    providers: list[Any] = ["CPUExecutionProvider"]
    if cuda and ort.get_device() == "GPU" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, ("CUDAExecutionProvider", {"device_id": device_id}))
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)
