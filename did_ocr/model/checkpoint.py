"""Checkpoints: safetensors weights plus JSON metadata, written atomically.

One file holds everything a model needs to be used: the U-Net
configuration, the noise schedule of its preconditioner (``precond``:
sigma_min, sigma_max, sigma_data, P_mean, P_std; files written before it was
stored load with :class:`~did_ocr.model.precond.EDMPrecond`'s defaults, the
values every model so far was trained with), the tail-normalization
statistics it was trained with, the training step and data description,
and (for training checkpoints) the optimizer state. No random-number state
is stored: every random draw of training step t comes from a generator
seeded by (seed, rank, t), so the step number is all that resuming needs.
Inference files (:func:`export_inference`) keep only the EMA weights.

Metadata lives in the safetensors header under the key ``did_ocr`` as JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from did_ocr.errors import CheckpointError
from did_ocr.fileio import atomic_path
from did_ocr.model.tail_norm import TailNorm
from did_ocr.model.precond import SCHEDULE_KEYS, EDMPrecond
from did_ocr.model.unet import CondUNet, UNetConfig

FORMAT = "did-ocr-checkpoint"
FORMAT_VERSION = 1


def save_checkpoint(path: str | os.PathLike[str], tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write tensors and metadata to ``path`` atomically (a kill never leaves a broken file)."""
    from safetensors.torch import save_file

    header = {"did_ocr": json.dumps({"format": FORMAT, "version": FORMAT_VERSION, **meta})}
    contiguous = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(contiguous, str(tmp), metadata=header)


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of a checkpoint; :class:`CheckpointError` naming the file on any problem."""
    from safetensors import safe_open

    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: checkpoint not found; train one with `did-ocr train` or pass --model PATH")
    try:
        with safe_open(str(p), framework="pt", device="cpu") as f:
            raw_meta = (f.metadata() or {}).get("did_ocr")
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises several types for truncated/corrupt files
        raise CheckpointError(f"{p}: not a readable did-ocr checkpoint ({type(exc).__name__}: {exc}); "
                              "re-export it or resume from an older checkpoint") from None
    if raw_meta is None:
        raise CheckpointError(f"{p}: safetensors file without did-ocr metadata; it was not written by did-ocr")
    try:
        meta = json.loads(raw_meta)
    except json.JSONDecodeError:
        raise CheckpointError(f"{p}: corrupt did-ocr metadata (invalid JSON)") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{p}: unknown checkpoint format {meta.get('format')!r}")
    for key in ("unet", "norm"):
        if key not in meta:
            raise CheckpointError(f"{p}: checkpoint metadata lacks {key!r} (model configuration or "
                                  "normalization statistics); it cannot be used")
    return tensors, meta


def prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors under ``prefix.`` with the prefix removed."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def load_state(module: torch.nn.Module, state: dict[str, torch.Tensor], path: str | os.PathLike[str]) -> None:
    """``load_state_dict`` with a one-line :class:`CheckpointError` on missing keys or wrong shapes."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        detail = (f"missing {missing[:3]}" if missing else f"unexpected {unexpected[:3]}" if unexpected
                  else f"wrong shape for {wrong[0]}: {tuple(state[wrong[0]].shape)} vs {tuple(own[wrong[0]].shape)}")
        raise CheckpointError(f"{path}: weights do not match the model configuration ({detail})")
    module.load_state_dict(state)


@dataclass
class LoadedModel:
    """A denoiser ready for sampling, with the normalization it was trained with."""

    model: EDMPrecond
    norm: TailNorm
    meta: dict[str, Any]
    path: Path

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def build_model(unet: UNetConfig, schedule: dict[str, float] | None = None) -> EDMPrecond:
    """The denoiser for a U-Net configuration, with a stored noise schedule (default: today's)."""
    return EDMPrecond(CondUNet(unet), **(schedule or {}))


def stored_schedule(meta: dict[str, Any], path: str | os.PathLike[str]) -> dict[str, float]:
    """The noise schedule in a checkpoint's metadata; ``{}`` (the defaults) for files written before it was stored."""
    schedule = meta.get("precond", {})
    if not isinstance(schedule, dict) or set(schedule) - set(SCHEDULE_KEYS) or \
            not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in schedule.values()):
        raise CheckpointError(f"{path}: invalid noise schedule in the metadata ({schedule!r}); "
                              f"expected numbers for {', '.join(SCHEDULE_KEYS)}")
    return schedule


def load_model(path: str | os.PathLike[str], device: torch.device | str = "cpu", use_ema: bool = True) -> LoadedModel:
    """Load a denoiser for inference (EMA weights when present)."""
    tensors, meta = read_checkpoint(path)
    try:
        unet = UNetConfig.from_dict(meta["unet"])
        norm = TailNorm.from_dict(meta["norm"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: invalid model configuration or normalization statistics ({exc})") from None
    model = build_model(unet, stored_schedule(meta, path))
    state = prefixed(tensors, "ema") if use_ema and any(k.startswith("ema.") for k in tensors) else prefixed(tensors, "model")
    if not state:
        raise CheckpointError(f"{path}: checkpoint holds no model weights")
    load_state(model, state, path)
    model.eval().requires_grad_(False).to(device)
    if torch.device(device).type == "cpu":
        model.to(memory_format=torch.channels_last)
    return LoadedModel(model=model, norm=norm, meta=meta, path=Path(path))


def inference_checkpoint(tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                         extra_meta: dict[str, Any] | None = None) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors and metadata of an inference-only file (EMA weights, configuration, noise schedule,
    normalization) for those of a training checkpoint."""
    ema = prefixed(tensors, "ema") or prefixed(tensors, "model")
    keep = {k: meta[k] for k in ("unet", "precond", "norm", "step", "train", "data", "patches_seen", "wall_seconds",
                                 "cpu_seconds") if k in meta}
    return {f"ema.{k}": v for k, v in ema.items()}, {**keep, **(extra_meta or {})}


def export_inference(train_checkpoint: str | os.PathLike[str], out: str | os.PathLike[str],
                     extra_meta: dict[str, Any] | None = None) -> None:
    """Write an inference-only file (:func:`inference_checkpoint`) from a training checkpoint file."""
    save_checkpoint(out, *inference_checkpoint(*read_checkpoint(train_checkpoint), extra_meta))
