"""EDM samplers as pure functions, k-diffusion style.

Every sampler has the same signature::

    sampler(denoise, x, sigmas, *, hook=None) -> x0

``denoise(x, sigma)`` is the preconditioned denoiser D with its conditions
bound in (a closure), ``x`` the starting point (``sigmas[0] * noise`` for a
full run), ``sigmas`` a decreasing schedule ending in 0. A ``hook(i, x,
sigma)`` runs after step ``i`` and may replace the sample: that is how ILVR
plugs in. No state, no randomness inside: what is random (the initial noise,
ILVR's noise) is passed in, which is what makes per-window seeding and batch
invariance possible.
"""

from __future__ import annotations

from typing import Callable, Protocol

import torch

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
StepHook = Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]


class Sampler(Protocol):
    def __call__(self, denoise: Denoiser, x: torch.Tensor, sigmas: torch.Tensor, *,
                 hook: StepHook | None = None) -> torch.Tensor: ...


def karras_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """EDM's schedule (Karras et al. 2022, eq. 5): ``steps`` noise levels plus a final 0.

    ``sigma_min`` and ``sigma_max`` are the model's (:class:`did_ocr.model.precond.EDMPrecond`
    holds them); ``rho`` is a sampling choice.
    """
    if steps < 1:
        raise ValueError("steps must be >= 1")
    if steps == 1:
        return torch.tensor([sigma_max, 0.0], device=device)
    i = torch.arange(steps, dtype=torch.float64)
    inv = 1.0 / rho
    sig = (sigma_max ** inv + i / (steps - 1) * (sigma_min ** inv - sigma_max ** inv)) ** rho
    return torch.cat([sig, torch.zeros(1, dtype=torch.float64)]).to(device=device, dtype=torch.float32)


def heun_sample(denoise: Denoiser, x: torch.Tensor, sigmas: torch.Tensor, *,
                hook: StepHook | None = None) -> torch.Tensor:
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


def euler_sample(denoise: Denoiser, x: torch.Tensor, sigmas: torch.Tensor, *,
                 hook: StepHook | None = None) -> torch.Tensor:
    """1st-order Euler: one evaluation per step; with ``[sigma, 0]`` it is a single denoise."""
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        denoised = denoise(x, s)
        x = x + (s_next - s) * (x - denoised) / s if s_next > 0 else denoised
        if hook is not None:
            x = hook(i, x, s_next)
    return x


SAMPLERS: dict[str, Sampler] = {"heun": heun_sample, "euler": euler_sample}


def network_evaluations(sampler: str, sigmas: torch.Tensor) -> int:
    """How many denoiser calls a sampler makes on a schedule (per window)."""
    steps = len(sigmas) - 1
    if sampler == "euler":
        return steps
    return steps + int((sigmas[1:] > 0).sum())


def low_pass(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """ILVR's low-pass filter: downsample by ``factor`` (antialiased) and back up."""
    from did_ocr.diffusion.scales import resize

    h, w = x.shape[-2:]
    small = resize(x, (max(1, h // factor), max(1, w // factor)))
    return resize(small, (h, w))


def ilvr_hook(reference: torch.Tensor, noise: Callable[[int], torch.Tensor], steps: int,
              factor: int = 2) -> StepHook:
    """Iterative latent variable refinement (Choi et al. 2021) as a step hook.

    After each of the first ``steps`` steps, the low frequencies of the sample
    are replaced by those of ``reference`` noised to the current level:
    ``x <- x - LP(x) + LP(reference + sigma * n)``. ``noise(i)`` returns the
    standard normal noise for step ``i`` (seeded by the caller).
    """

    def hook(i: int, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        if i >= steps:
            return x
        return x - low_pass(x, factor) + low_pass(reference + sigma * noise(i), factor)

    return hook
