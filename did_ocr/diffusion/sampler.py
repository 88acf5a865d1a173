"""EDM samplers as pure functions, k-diffusion style.

Every sampler has the same signature::

    sampler(denoise, x, sigmas, *, hook=None) -> x0

``denoise(x, sigma)`` is the preconditioned denoiser D with its conditions
bound in (a closure), ``x`` the starting point (``sigmas[0] * noise`` for a
full run), ``sigmas`` a decreasing schedule ending in 0. A ``hook(i, x,
sigma)`` runs after step ``i`` and may replace the sample: that is how ILVR
plugs in. No state, no randomness inside: what is random (the initial noise,
ILVR's noise) is passed in, which is what makes per-window seeding and batch
invariance possible. The samplers are plain arithmetic on what they are
given: torch tensors, or numpy arrays on the torch-free path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

import numpy as np

if TYPE_CHECKING:
    import torch

Array = Any  # a torch tensor or a numpy array
Denoiser = Callable[[Array, Array], Array]
StepHook = Callable[[int, Array, Array], Array]


class Sampler(Protocol):
    def __call__(self, denoise: Denoiser, x: Array, sigmas: Array, *,
                 hook: StepHook | None = None) -> Array: ...


def karras_schedule(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> np.ndarray:
    """EDM's schedule (Karras et al. 2022, eq. 5): ``steps`` noise levels plus a final 0 (float32 values).

    ``sigma_min`` and ``sigma_max`` are the model's (:class:`did_ocr.model.precond.EDMPrecond`
    holds them); ``rho`` is a sampling choice.
    """
    if steps < 1:
        raise ValueError("steps must be >= 1")
    if steps == 1:
        return np.array([sigma_max, 0.0], dtype=np.float32)
    i = np.arange(steps, dtype=np.float64)
    inv = 1.0 / rho
    sig = (sigma_max ** inv + i / (steps - 1) * (sigma_min ** inv - sigma_max ** inv)) ** rho
    return np.concatenate([sig, [0.0]]).astype(np.float32)


def karras_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """:func:`karras_schedule` as a float32 torch tensor on ``device``."""
    import torch

    return torch.as_tensor(karras_schedule(steps, sigma_min, sigma_max, rho), device=device)


def heun_sample(denoise: Denoiser, x: Array, sigmas: Array, *, hook: StepHook | None = None) -> Array:
    """EDM's deterministic 2nd-order Heun sampler (Algorithm 1): 2N-1 evaluations for N steps."""
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        denoised = denoise(x, s)
        d = (x - denoised) / s
        x_next = x + (s_next - s) * d if s_next > 0 else denoised  # the step to 0 is exactly D
        if s_next > 0:
            d_next = (x_next - denoise(x_next, s_next)) / s_next
            x_next = x + (s_next - s) * 0.5 * (d + d_next)
        x = hook(i, x_next, s_next) if hook is not None else x_next
    return x


def euler_sample(denoise: Denoiser, x: Array, sigmas: Array, *, hook: StepHook | None = None) -> Array:
    """1st-order Euler: one evaluation per step; with ``[sigma, 0]`` it is a single denoise."""
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        denoised = denoise(x, s)
        x = x + (s_next - s) * (x - denoised) / s if s_next > 0 else denoised
        if hook is not None:
            x = hook(i, x, s_next)
    return x


SAMPLERS: dict[str, Sampler] = {"heun": heun_sample, "euler": euler_sample}


def network_evaluations(sampler: str, sigmas: Array) -> int:
    """How many denoiser calls a sampler makes on a schedule (per window)."""
    steps = len(sigmas) - 1
    if sampler == "euler":
        return steps
    return steps + int((sigmas[1:] > 0).sum())


def low_pass(x: Array, factor: int = 2) -> Array:
    """ILVR's low-pass filter: downsample by ``factor`` (antialiased) and back up."""
    from did_ocr.diffusion.scales import resize

    h, w = x.shape[-2:]
    small = resize(x, (max(1, h // factor), max(1, w // factor)))
    return resize(small, (h, w))


def ilvr_hook(reference: Array, noise: Callable[[int], Array], steps: int,
              factor: int = 2) -> StepHook:
    """Iterative latent variable refinement (Choi et al. 2021) as a step hook.

    After each of the first ``steps`` steps, the low frequencies of the sample
    are replaced by those of ``reference`` noised to the current level:
    ``x <- x - LP(x) + LP(reference + sigma * n)``. ``noise(i)`` returns the
    standard normal noise for step ``i`` (seeded by the caller).
    """

    def hook(i: int, x: Array, sigma: Array) -> Array:
        if i >= steps:
            return x
        return x - low_pass(x, factor) + low_pass(reference + sigma * noise(i), factor)

    return hook
