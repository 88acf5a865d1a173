"""DiD's denoiser on ONNX Runtime: the shipped model without torch.

Why: on a 2-core CPU, importing torch takes 2-3 s of a ~10 s ``did-ocr read``
and the U-Net runs no slower on ONNX Runtime, so the read command runs DiD
without torch where it can (:meth:`did_ocr.enhancers.did.DidEnhancer`,
backend ``auto``): the cascade's arrays are numpy
(:mod:`did_ocr.arrays`) and the network is this file's
:class:`OnnxDenoiser`. Training, CUDA and custom models without an export
keep torch.

The network file ``NAME.onnx`` sits beside the checkpoint ``NAME.safetensors``
it was exported from (:func:`export_onnx`; ``python -m
did_ocr.model.onnx_model MODEL.safetensors``) and carries what inference
needs from it (noise schedule, normalization, configuration) with the
checkpoint's SHA-256: a network whose checkpoint has changed since is not
used (:func:`load_onnx_model` returns None, and torch runs the checkpoint).
The export is the whole preconditioned denoiser D(x; sigma, cond), so the
scalings of :class:`did_ocr.model.precond.EDMPrecond` are not written twice.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from did_ocr.errors import CheckpointError, DidOcrError
from did_ocr.fileio import atomic_path, file_sha256
from did_ocr.model.tail_norm import TailNorm

#: the metadata key of the exported network (JSON)
META_KEY = "did_ocr"
#: ONNX operator set of the export (ONNX Runtime 1.17, the oldest we accept, runs it)
OPSET = 17


def onnx_path(model_path: str | os.PathLike[str]) -> Path:
    """Where the network exported from checkpoint ``model_path`` lives: beside it, ``.onnx``."""
    return Path(model_path).with_suffix(".onnx")


class OnnxDenoiser:
    """EDM's D(x; sigma, cond) of an exported checkpoint, on numpy arrays
    (a :class:`did_ocr.diffusion.cascade.Denoiser`)."""

    def __init__(self, session: Any, schedule: dict[str, float]) -> None:
        self.session = session
        self.sigma_min = float(schedule["sigma_min"])
        self.sigma_max = float(schedule["sigma_max"])
        self._schedule = dict(schedule)

    def schedule(self) -> dict[str, float]:
        """The noise schedule, as :meth:`did_ocr.model.precond.EDMPrecond.schedule`."""
        return dict(self._schedule)

    def __call__(self, x: np.ndarray, sigma: Any, cond: np.ndarray) -> np.ndarray:
        batch = x.shape[0]
        sigmas = np.broadcast_to(np.asarray(sigma, dtype=np.float32).reshape(-1), (batch,))
        feed = {"x": np.ascontiguousarray(x, dtype=np.float32), "sigma": np.ascontiguousarray(sigmas),
                "cond": np.ascontiguousarray(cond, dtype=np.float32)}
        return self.session.run(None, feed)[0].astype(x.dtype, copy=False)


@dataclass
class OnnxModel:
    """An exported denoiser ready for sampling, with the normalization it was trained with
    (what :class:`did_ocr.model.checkpoint.LoadedModel` is for torch)."""

    model: OnnxDenoiser
    norm: TailNorm
    meta: dict[str, Any]
    path: Path  # the checkpoint it was exported from


def load_onnx_model(model_path: str | os.PathLike[str], threads: int | None = None) -> OnnxModel | None:
    """The exported network of checkpoint ``model_path``, or None where it cannot stand in for it:
    no ``.onnx`` beside it, one exported from another version of the checkpoint, or no ONNX Runtime."""
    path = onnx_path(model_path)
    if not path.is_file():
        return None
    try:
        from did_ocr.onnxrt import default_threads, open_session

        session = open_session(path, cuda=False, threads=threads or default_threads())
    except ImportError:
        return None
    except Exception as exc:  # ONNX Runtime raises its own types for unreadable files
        raise CheckpointError(f"{path}: not a readable ONNX network ({type(exc).__name__}: {exc}); "
                              f"export it again with `python -m did_ocr.model.onnx_model {model_path}`") from None
    meta = onnx_meta(session, path)
    if meta["source_sha256"] != file_sha256(model_path):
        return None
    return OnnxModel(model=OnnxDenoiser(session, meta["precond"]), norm=TailNorm.from_dict(meta["norm"]),
                     meta=meta, path=Path(model_path))


def onnx_meta(session: Any, path: Path) -> dict[str, Any]:
    """The did-ocr metadata of an exported network's ONNX Runtime session."""
    raw = session.get_modelmeta().custom_metadata_map.get(META_KEY)
    try:
        meta = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict) or not {"source_sha256", "precond", "norm"} <= set(meta):
        raise CheckpointError(f"{path}: ONNX network without did-ocr metadata; export it with "
                              "`python -m did_ocr.model.onnx_model MODEL.safetensors`")
    return meta


def export_onnx(model_path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> Path:
    """Export the denoiser of checkpoint ``model_path`` (EMA weights) to ONNX, atomically; returns the path.

    Needs torch and the ``onnx`` package (``pip install 'did-ocr[train]'``).
    """
    try:
        import onnx
        import torch
    except ImportError as exc:
        raise DidOcrError(f"exporting needs torch and onnx ({exc}); install them with pip install 'did-ocr[train]'") \
            from None

    from did_ocr.model.checkpoint import load_model

    loaded = load_model(model_path, device="cpu")
    denoiser = loaded.model.to(memory_format=torch.contiguous_format)
    x, sigma, cond = torch.zeros(2, 3, 32, 32), torch.full((2,), loaded.model.sigma_max), torch.zeros(2, 9, 32, 32)
    target = Path(out) if out else onnx_path(model_path)
    batch = {0: "windows"}
    with atomic_path(target) as tmp, warnings.catch_warnings():
        # the TorchScript exporter's deprecation notice, and its tracer's note on torch.as_tensor(sigma), which
        # passes the traced input through (the export's outputs are compared with torch's in the tests)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(denoiser, (x, sigma, cond), str(tmp), input_names=["x", "sigma", "cond"],
                          output_names=["denoised"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"x": batch, "sigma": batch, "cond": batch, "denoised": batch})
        graph = onnx.load(str(tmp))
        meta = {"source_sha256": file_sha256(model_path), "source": Path(model_path).name,
                "precond": loaded.model.schedule(), "norm": loaded.norm.to_dict(),
                "unet": loaded.meta.get("unet"), "step": loaded.meta.get("step")}
        entry = graph.metadata_props.add()
        entry.key, entry.value = META_KEY, json.dumps(meta)
        onnx.save(graph, str(tmp))
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m did_ocr.model.onnx_model MODEL.safetensors [OUT.onnx]``: export a checkpoint for the
    torch-free path."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m did_ocr.model.onnx_model MODEL.safetensors [OUT.onnx]", file=sys.stderr)
        return 2
    try:
        out = export_onnx(args[0], args[1] if len(args) == 2 else None)
    except DidOcrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
