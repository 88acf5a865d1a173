"""The multi-scale DiD cascade: from a dark capture to a well-lit estimate.

1. Scale 0: the whole image at 32x32, conditioned on [c_x, c_x, c_x].
2. Each upper scale: the condition stack (dark at this scale, the previous
   scale's result, the scale-0 result) is cut into 32x32 windows that overlap
   their neighbours by ``overlap`` pixels; all windows go through the sampler
   as one batch (in chunks of ``chunk`` windows to bound memory); the results
   are cross-faded where they overlap (no window edge is a seam) and the
   padding removed.
3. ILVR ties each window's low frequencies to the previous scale's estimate
   during the first steps (upper scales only: at scale 0 there is no
   estimate to follow, only the dark image).
4. Harmonization (ours, ``harmonize``): after each upper scale, the
   frequencies that scale 0 resolves are taken from scale 0. Windows are
   sampled independently, so each one drifts a little in brightness and
   colour and the stitched image shows a 32x32 checkerboard; scale 0 saw the
   whole image at once and has no seams.
5. Consistency (ours, ``consistency``): after each upper scale, the
   frequencies that a copy at 1/``consistency`` of its resolution resolves
   are taken from the previous scale's estimate. Scale 0 alone is too coarse
   to remove the drift of windows at the middle scales, which the
   overlap's cross-fades soften but do not cancel: on whole photos it showed
   as soft colour blotches of a few windows' size in flat regions (sky,
   walls). Chained from scale to scale, each scale keeps only the detail
   its parent cannot resolve (strokes and edges), and the large areas
   follow scale 0.

Beyond the reference code: any image size (scales follow the size), batched
float32 windows instead of a float64 loop, a fast mode that starts upper
scales from the upsampled previous estimate at a moderate noise level (few
steps), the ablations (single scale, no ILVR, one-step) as settings of the
same function, and per-window random streams so that a seed gives the same
image whatever the chunking. The same cascade runs on torch tensors with a
torch denoiser, or on numpy arrays with the network on ONNX Runtime and no
torch at all (:mod:`did_ocr.model.onnx_model`, :mod:`did_ocr.arrays`): the
same image for the same seed, to float rounding.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import asdict, dataclass
from typing import Any, Callable, Protocol

import numpy as np

import did_ocr.arrays as arrays
from did_ocr.diffusion.conditions import PREVIOUS, build_conditions
from did_ocr.diffusion.sampler import SAMPLERS, ilvr_hook, karras_schedule, network_evaluations
from did_ocr.diffusion.scales import WINDOW, resize, scale_shapes
from did_ocr.diffusion.windows import from_windows, pad_to_windows, padded_shape, to_windows
from did_ocr.model.tail_norm import TailNorm


class Denoiser(Protocol):
    """What the cascade samples with: EDM's D(x; sigma, cond) and the noise range it was trained for.

    :class:`did_ocr.model.precond.EDMPrecond` (torch) and
    :class:`did_ocr.model.onnx_model.OnnxDenoiser` (numpy in, numpy out) are both one.
    """

    sigma_min: float
    sigma_max: float

    def __call__(self, x: Any, sigma: Any, cond: Any) -> Any: ...


@dataclass(frozen=True)
class CascadeConfig:
    """How to sample. Defaults are the published settings (18 Heun steps, ILVR on 6).

    The noise range (sigma_min, sigma_max) is not a sampling setting: it is the
    model's (:class:`did_ocr.model.precond.EDMPrecond`), which was trained for it.
    """

    steps: int = 18
    rho: float = 7.0
    sampler: str = "heun"
    ilvr_steps: int = 6
    cascade: bool = True  # False: top scale only, conditioned on the dark image alone ("did-single")
    one_step: bool = False  # one denoiser evaluation per window (--quality onestep)
    fast: bool = False  # upper scales start from the previous estimate at ``fast_sigma``
    fast_sigma: float = 2.0
    fast_steps: int = 6
    fast_ilvr_steps: int = 1
    harmonize: bool = True  # take the low frequencies of every upper scale from scale 0 (global consistency)
    consistency: int = 4  # take the frequencies a 1/N copy resolves from the previous scale (0: off)
    overlap: int = 8  # pixels shared by neighbouring windows at upper scales, cross-faded (0: butted, as published)
    chunk: int = 64  # windows per network batch (64 ran 22 % faster than 256 on 2 CPU threads: cache)
    dtype: str = "float32"  # "float64" only to reproduce the reference implementation's arithmetic

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CascadeStats:
    """What a reconstruction cost."""

    windows: int = 0
    network_evaluations: int = 0  # window-evaluations: windows x evaluations per window


def window_seed(seed: int, scale: int, index: int) -> int:
    """The seed of window ``index`` (row-major) of ``scale`` in a reconstruction seeded with ``seed``."""
    digest = hashlib.blake2b(f"{seed}/{scale}/{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


class WindowNoise:
    """Independent standard-normal streams, one per window, seeded by (seed, scale, index).

    Drawing for a batch of windows concatenates each window's own draws, so a
    window's noise does not depend on which other windows share its batch.
    Streams for numpy arrays draw what torch's CPU generator draws
    (:class:`did_ocr.arrays.TorchCompatibleNormal`), so a seed gives the
    same noise on either backend.
    """

    def __init__(self, seed: int, scale: int, indices: range, like: Any) -> None:
        seeds = [window_seed(seed, scale, index) for index in indices]
        self.like = like
        if arrays.is_numpy(like):
            self.streams: list[Callable[[tuple[int, ...]], Any]] = \
                [arrays.TorchCompatibleNormal(s).draw for s in seeds]
            return
        import torch

        def stream(s: int) -> Callable[[tuple[int, ...]], torch.Tensor]:
            g = torch.Generator(device="cpu")
            g.manual_seed(s)
            return lambda shape: torch.randn(shape, generator=g)

        self.streams = [stream(s) for s in seeds]

    def draw(self, shape: tuple[int, ...]) -> Any:
        """One draw of ``shape`` per window, stacked: (windows, *shape), ``like``'s kind, dtype and device."""
        if arrays.is_numpy(self.like):
            return np.stack([draw(shape) for draw in self.streams]).astype(self.like.dtype, copy=False)
        import torch

        return torch.stack([draw(shape) for draw in self.streams]).to(self.like.device, self.like.dtype)


def _sample_windows(model: Denoiser, cond: Any, noise: WindowNoise, cfg: CascadeConfig,
                    upper: bool) -> tuple[Any, int]:
    """Sample one batch of windows; returns (result, evaluations per window).

    ``upper``: the windows belong to an upper scale of the cascade (there is a
    previous estimate to follow: ILVR and the fast start use it).
    """
    shape = (3, cond.shape[-2], cond.shape[-1])
    reference = cond[:, PREVIOUS]
    draw = lambda: noise.draw(shape)  # noqa: E731

    def denoise(x: Any, sigma: Any) -> Any:
        return model(x, sigma, cond)

    def schedule(sigmas: np.ndarray) -> Any:  # noise levels as cond's kind of array
        return arrays.as_like(sigmas, cond)

    if cfg.one_step:
        sigmas = schedule(np.array([model.sigma_max, 0.0]))
        x = sigmas[0] * draw()
        return SAMPLERS["euler"](denoise, x, sigmas), 1
    if upper and cfg.fast:
        sigmas = schedule(karras_schedule(cfg.fast_steps, model.sigma_min, cfg.fast_sigma, cfg.rho))
        x = reference + sigmas[0] * draw()
        ilvr_steps = cfg.fast_ilvr_steps
    else:
        sigmas = schedule(karras_schedule(cfg.steps, model.sigma_min, model.sigma_max, cfg.rho))
        x = sigmas[0] * draw()
        ilvr_steps = cfg.ilvr_steps
    use_ilvr = ilvr_steps > 0 and upper
    hook = ilvr_hook(reference, lambda i: draw(), ilvr_steps) if use_ilvr else None
    return SAMPLERS[cfg.sampler](denoise, x, sigmas, hook=hook), network_evaluations(cfg.sampler, sigmas)


def harmonize(estimate: Any, base: Any) -> Any:
    """Replace the frequencies of ``estimate`` (B, C, H, W) that ``base`` (B, C, h, w) resolves by base's own."""
    size = tuple(estimate.shape[-2:])
    grid = tuple(base.shape[-2:])
    return estimate - resize(resize(estimate, grid), size) + resize(base, size)


def follow_parent(estimate: Any, parent: Any, factor: int) -> Any:
    """Take the frequencies that a copy of ``estimate`` at 1/``factor`` of its size resolves from
    ``parent`` (the previous scale's estimate, any size): what the windows of this scale drifted
    by over areas of a few windows is replaced by the parent's, the finer detail is kept."""
    h, w = estimate.shape[-2:]
    return harmonize(estimate, resize(parent, (max(1, h // factor), max(1, w // factor))))


def _sample_scale(model: Denoiser, stack: Any, scale: int, seed: int, cfg: CascadeConfig,
                  stats: CascadeStats, upper: bool) -> Any:
    """Sample every window of a (1, 9, h, w) condition stack; returns the (1, 3, h, w) estimate.

    Window ``i`` (row-major in this scale's window grid) draws its noise from
    its own stream, so chunking never changes the result.
    """
    h, w = stack.shape[-2:]
    overlap = cfg.overlap if upper else 0
    ph, pw = padded_shape(h, w, WINDOW, overlap)
    windows = to_windows(pad_to_windows(stack, WINDOW, overlap), WINDOW, overlap)
    out = []
    for lo in range(0, windows.shape[0], cfg.chunk):
        hi = min(lo + cfg.chunk, windows.shape[0])
        noise = WindowNoise(seed, scale, range(lo, hi), stack)
        sampled, evals = _sample_windows(model, windows[lo:hi], noise, cfg, upper)
        out.append(sampled)
        stats.windows += hi - lo
        stats.network_evaluations += (hi - lo) * evals
    return from_windows(arrays.concat(out, axis=0), 1, ph, pw, WINDOW, overlap)[..., :h, :w]


def reconstruct(model: Denoiser, norm: TailNorm, dark_linear: Any, config: CascadeConfig = CascadeConfig(),
                seed: int = 0) -> tuple[Any, CascadeStats]:
    """Reconstruct a well-lit linear RGB image (3, H, W) from a dark one (3, H, W).

    A torch tensor goes through a torch denoiser (without autograd); a numpy
    array through a numpy one (:class:`did_ocr.model.onnx_model.OnnxDenoiser`).
    """
    if arrays.is_numpy(dark_linear):
        context: contextlib.AbstractContextManager = contextlib.nullcontext()
    else:
        import torch

        context = torch.inference_mode()
    with context:
        return reconstruct_differentiable(model, norm, dark_linear, config, seed)


def reconstruct_differentiable(model: Denoiser, norm: TailNorm, dark_linear: Any,
                               config: CascadeConfig = CascadeConfig(), seed: int = 0) -> tuple[Any, CascadeStats]:
    """:func:`reconstruct` with autograd on (torch): the same cascade, for losses on the reconstruction
    (:mod:`did_ocr.training.recognition`)."""
    if dark_linear.ndim != 3 or dark_linear.shape[0] != 3:
        raise ValueError(f"expected a (3, H, W) image, got shape {tuple(dark_linear.shape)}")
    stats = CascadeStats()
    dark = norm.normalize(_as_float(dark_linear[None], config.dtype), "dark")
    h, w = dark.shape[-2:]
    if not config.cascade:
        stack = build_conditions(dark, (h, w))
        result = _sample_scale(model, stack, scale=0, seed=seed, cfg=config, stats=stats, upper=False)
        return norm.denormalize(result, "light")[0], stats
    shapes = scale_shapes(h, w)
    base = _sample_scale(model, build_conditions(dark, shapes[0]), 0, seed, config, stats, upper=False)
    previous = base
    for s, size in enumerate(shapes[1:], start=1):
        stack = build_conditions(dark, size, previous, base)
        estimate = _sample_scale(model, stack, s, seed, config, stats, upper=True)
        if config.harmonize:
            estimate = harmonize(estimate, base)
        if config.consistency:
            estimate = follow_parent(estimate, previous, config.consistency)
        previous = estimate
    return norm.denormalize(previous, "light")[0], stats


def _as_float(x: Any, dtype: str) -> Any:
    """``x`` in the cascade's float type ("float32" or "float64"), numpy or torch."""
    if arrays.is_numpy(x):
        return x.astype(np.dtype(dtype), copy=False)
    import torch

    return x.to(getattr(torch, dtype))
