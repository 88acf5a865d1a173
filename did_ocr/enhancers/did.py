"""The DiD enhancer: diffusion reconstruction of a well-lit image, and its ablations.

``did`` runs the multi-scale cascade with the model shipped in the package
(or ``model=PATH``). The ablations reuse the same trained denoiser and differ
only in how it is sampled:

* ``did-noilvr``: no ILVR (upper-scale windows are not tied to the previous scale);
* ``did-single``: the top scale only, conditioned on the dark image alone;
* ``did-nonorm``: a model trained without tail normalization (needs such a model).

Large photos are downscaled so that the longer side is at most ``max_side``
before sampling (the cost grows with the pixel count), and noisy captures
further, down to 640 px, so that each working pixel averages enough light
(:mod:`did_ocr.imaging.noise`; ``did-fullsize`` is DiD without that step);
the result is scaled back to the input size, so every enhancer keeps the
image's shape.

Backends: on a CPU, the network runs on ONNX Runtime and the cascade on
numpy (``onnx``; :mod:`did_ocr.model.onnx_model`) where the model has an
export beside it, as the shipped one does: the same reconstruction as torch's
to float rounding, without importing torch. ``torch`` runs everything else:
CUDA, the float64 reference arithmetic, models without an export. ``auto``
picks ``onnx`` where it can.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.diffusion.cascade import CascadeConfig, reconstruct
from did_ocr.diffusion.conditions import check_network_channels
from did_ocr.enhancers.base import BACKENDS, DEFAULT_MAX_SIDE, DEFAULT_QUALITY, Enhancer
from did_ocr.device import device_name
from did_ocr.errors import DidOcrError, InputError
from did_ocr.imaging.noise import NOISE_TARGET, noise_side, relative_noise
from did_ocr.model.onnx_model import OnnxModel, load_onnx_model

if TYPE_CHECKING:
    from did_ocr.model.checkpoint import LoadedModel

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_MODEL = WEIGHTS_DIR / "did_s.safetensors"
NONORM_MODEL = WEIGHTS_DIR / "did_s_nonorm.safetensors"
MIN_SIDE = 8
QUALITIES: dict[str, CascadeConfig] = {"onestep": CascadeConfig(one_step=True), "fast": CascadeConfig(fast=True),
                                        "full": CascadeConfig()}


@functools.lru_cache(maxsize=4)
def _cached_model(path: str, device: str) -> LoadedModel:
    from did_ocr.model.checkpoint import load_model

    loaded = load_model(path, device=device)
    try:
        check_network_channels(loaded.model.net.config.in_channels)
    except ValueError as exc:
        raise DidOcrError(f"{path}: {exc}; it is not a DiD denoiser") from None
    return loaded


@functools.lru_cache(maxsize=4)
def _cached_onnx(path: str) -> OnnxModel | None:
    return load_onnx_model(path)


def _load(path: Path, device: str, backend: str, config: CascadeConfig) -> LoadedModel | OnnxModel:
    """The model on the backend ``backend`` asks for (``auto``: ONNX Runtime where it can run it)."""
    if backend not in BACKENDS:
        raise DidOcrError(f"unknown DiD backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    onnx_possible = device == "cpu" and config.dtype == "float32"
    if backend == "onnx" and not onnx_possible:
        raise DidOcrError("the onnx backend runs DiD on the CPU in float32 only; use --device cpu or the torch backend")
    if backend != "torch" and onnx_possible:
        exported = _cached_onnx(str(path))
        if exported is not None:
            return exported
        if backend == "onnx":
            raise DidOcrError(f"{path}: no up-to-date ONNX export beside this model; write one with "
                              f"`python -m did_ocr.model.onnx_model {path}` or use the torch backend")
    return _cached_model(str(path), device)


class DidEnhancer(Enhancer):
    """Diffusion-in-the-Dark reconstruction with a trained denoiser."""

    stochastic = True

    def __init__(self, name: str = "did", model: str | Path | None = None, device: str = "auto",
                 quality: str = DEFAULT_QUALITY, max_side: int = DEFAULT_MAX_SIDE, backend: str = "auto",
                 noise_target: float | None = NOISE_TARGET, **sampling: Any) -> None:
        """``sampling``: :class:`CascadeConfig` fields that replace the quality's (how the ablations differ);
        ``backend``: one of :data:`BACKENDS`; ``noise_target``: reduce noisier captures until a working pixel
        carries this relative noise (:func:`did_ocr.imaging.noise.noise_side`; None: never for noise)."""
        if quality not in QUALITIES:
            raise DidOcrError(f"unknown quality {quality!r}; choose one of {', '.join(QUALITIES)}")
        fields = QUALITIES[quality].to_dict()
        unknown = sorted(set(sampling) - set(fields))
        if unknown:
            raise TypeError(f"DidEnhancer: {unknown[0]!r} is not a sampling setting; choose from {', '.join(fields)}")
        self.name = name
        self.device = device_name(device)
        path = Path(model) if model else DEFAULT_MODEL
        if not path.is_file():
            raise DidOcrError(f"DiD model not found at {path}; pass --model PATH to a model.safetensors from `did-ocr train`")
        self.config = CascadeConfig(**{**fields, **sampling})
        self.loaded = _load(path, self.device, backend, self.config)
        self.backend = "onnx" if isinstance(self.loaded, OnnxModel) else "torch"
        self.quality = quality
        self.max_side = max_side
        self.noise_target = noise_target

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "model": str(self.loaded.path), "model_step": self.loaded.meta.get("step"),
                "quality": self.quality, "max_side": self.max_side, "noise_target": self.noise_target,
                "backend": self.backend,
                "cascade": self.config.to_dict(), "schedule": self.loaded.model.schedule()}

    def working_scale(self, shape: tuple[int, ...]) -> float:
        """The reduction for cost (``max_side``), which re-reading small words at full resolution makes up for.

        The further reduction of noisy captures (:meth:`working_side`) is not
        included: it is what reads best, not a saving to undo.
        """
        return self.max_side / max(shape[:2]) if 0 < self.max_side < max(shape[:2]) else 1.0

    def working_copy(self, linear_rgb: np.ndarray) -> np.ndarray:
        """What DiD reconstructs: the capture reduced to ``max_side``, and further while that copy is noisy.

        The noise is measured on the ``max_side`` copy (the reduction for cost
        already averages a large photo's pixels, and a 12-megapixel estimate
        would cost 0.4 s for nothing); ``max_side`` 0 means the image's own
        size, whatever its noise.
        """
        copy = _cap_side(linear_rgb, self.max_side)
        if self.max_side <= 0 or self.noise_target is None:
            return copy
        side = noise_side(max(copy.shape[:2]), relative_noise(copy), self.noise_target)
        return copy if side >= max(copy.shape[:2]) else _cap_side(linear_rgb, side)

    def working_side(self, linear_rgb: np.ndarray) -> int:
        """The longer side of :meth:`working_copy`."""
        return max(self.working_copy(linear_rgb).shape[:2])

    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        h, w = linear_rgb.shape[:2]
        if min(h, w) < MIN_SIDE:
            raise InputError(f"image of {w}x{h} pixels is too small for DiD (at least {MIN_SIDE}x{MIN_SIDE}); "
                             "use a larger crop or --enhancer gain")
        dark = np.ascontiguousarray(self.working_copy(linear_rgb).transpose(2, 0, 1), dtype=np.float32)
        if self.backend == "onnx":
            out, _ = reconstruct(self.loaded.model, self.loaded.norm, dark, self.config, seed=seed)
            result = out.transpose(1, 2, 0)
        else:
            import torch

            with _autocast(self.device):
                out, _ = reconstruct(self.loaded.model, self.loaded.norm, torch.from_numpy(dark).to(self.device),
                                     self.config, seed=seed)
            result = out.float().permute(1, 2, 0).cpu().numpy()
        if result.shape[:2] != (h, w):
            import cv2

            result = cv2.resize(result, (w, h), interpolation=cv2.INTER_CUBIC)
        return linear_to_srgb(np.clip(result, 0.0, 1.0)).astype(np.float32)


def _cap_side(img: np.ndarray, max_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    if max_side <= 0 or max(h, w) <= max_side:
        return img
    import cv2

    f = max_side / max(h, w)
    return cv2.resize(img, (max(MIN_SIDE, round(w * f)), max(MIN_SIDE, round(h * f))), interpolation=cv2.INTER_AREA)


def _autocast(device: str) -> contextlib.AbstractContextManager:
    """bf16/fp16 autocast on CUDA (faster, same results within noise); plain float32 on CPU."""
    if not device.startswith("cuda"):
        return contextlib.nullcontext()
    import torch

    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def make_did(**kw: Any) -> DidEnhancer:
    return DidEnhancer(name="did", **kw)


# The ablations fix their sampling, so they do not take a quality (the registry says so: --quality is refused).
def make_did_fast(**kw: Any) -> DidEnhancer:
    return DidEnhancer(name="did-fast", quality="fast", **kw)


def make_did_full(**kw: Any) -> DidEnhancer:
    return DidEnhancer(name="did-full", quality="full", **kw)


def make_did_noilvr(**kw: Any) -> DidEnhancer:
    # ILVR only acts inside a multi-step sampler: the ablation is the published sampler without it
    return DidEnhancer(name="did-noilvr", quality="full", ilvr_steps=0, **kw)


def make_did_single(**kw: Any) -> DidEnhancer:
    return DidEnhancer(name="did-single", quality="full", cascade=False, **kw)


def make_did_fullsize(**kw: Any) -> DidEnhancer:
    # the default before noisy captures were reconstructed smaller: only max_side reduces
    return DidEnhancer(name="did-fullsize", noise_target=None, **kw)


def make_did_nonorm(**kw: Any) -> DidEnhancer:
    model = kw.pop("model", None) or NONORM_MODEL
    if not Path(model).is_file():
        raise DidOcrError(f"did-nonorm needs a model trained without tail normalization ({model} not found); "
                          "train one with `did-ocr train --no-tail-norm` and pass it with --model")
    enhancer = DidEnhancer(name="did-nonorm", model=model, **kw)
    if enhancer.loaded.norm.enabled:
        raise DidOcrError(f"{model}: this model was trained with tail normalization; did-nonorm needs one trained "
                          "with `did-ocr train --no-tail-norm` (use --enhancer did for this one)")
    return enhancer
