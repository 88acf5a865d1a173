"""The EDM sampler and ILVR, on problems with known answers."""

import math

import torch

from did_ocr.diffusion.sampler import (euler_sample, heun_sample, ilvr_hook, karras_sigmas, low_pass,
                                       network_evaluations)
from did_ocr.model.precond import EDMPrecond

MODEL = EDMPrecond(torch.nn.Identity())  # the noise range is the model's


def schedule(steps: int) -> torch.Tensor:
    return karras_sigmas(steps, MODEL.sigma_min, MODEL.sigma_max)


def gaussian_denoiser(mu: float, s0: float):
    """The exact denoiser E[x0 | x] for x0 ~ N(mu, s0^2) and x = x0 + sigma * n."""
    def denoise(x, sigma):
        return mu + s0 ** 2 / (s0 ** 2 + sigma ** 2) * (x - mu)
    return denoise


def test_karras_schedule_endpoints_and_order():
    s = schedule(18)
    assert len(s) == 19 and s[-1] == 0
    assert math.isclose(float(s[0]), MODEL.sigma_max, rel_tol=1e-5)
    assert math.isclose(float(s[-2]), MODEL.sigma_min, rel_tol=1e-4)
    assert torch.all(s[:-1] > s[1:])


def test_heun_follows_the_probability_flow_of_gaussian_data():
    # For Gaussian data the probability-flow ODE maps x_T = sigma_max * z to
    # mu + s0 / sqrt(s0^2 + sigma_max^2) * (x_T - mu): the sampler must converge to it,
    # and the published 18 steps must already give the right distribution.
    mu, s0 = 0.3, 0.5
    z = torch.randn(20000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    errors = []
    for steps in (18, 64):
        sigmas = schedule(steps).double()
        x0 = heun_sample(gaussian_denoiser(mu, s0), sigmas[0] * z, sigmas)
        expected = mu + (s0 / math.sqrt(s0 ** 2 + float(sigmas[0]) ** 2)) * (sigmas[0] * z - mu)
        errors.append(float((x0 - expected).abs().max()))
        assert abs(float(x0.mean()) - mu) < 0.02
        assert abs(float(x0.std()) - s0) < 0.04
    assert errors[1] < 0.01 and errors[1] < errors[0] / 5  # second order: error falls fast with steps


def test_euler_needs_more_steps_than_heun():
    mu, s0 = 0.0, 0.5
    z = torch.randn(5000, generator=torch.Generator().manual_seed(1))
    sig = schedule(10)
    target = s0 * z * sig[0] / math.sqrt(s0 ** 2 + sig[0] ** 2)
    err_heun = (heun_sample(gaussian_denoiser(mu, s0), sig[0] * z, sig) - target).abs().mean()
    err_euler = (euler_sample(gaussian_denoiser(mu, s0), sig[0] * z, sig) - target).abs().mean()
    assert err_heun < err_euler


def test_one_euler_step_is_one_denoise():
    calls = []

    def denoise(x, sigma):
        calls.append(float(sigma))
        return torch.full_like(x, 0.25)

    out = euler_sample(denoise, torch.randn(4, 3, 8, 8) * 80, torch.tensor([80.0, 0.0]))
    assert calls == [80.0] and torch.allclose(out, torch.full_like(out, 0.25))


def test_network_evaluations_match_the_published_35():
    assert network_evaluations("heun", schedule(18)) == 35
    assert network_evaluations("euler", schedule(18)) == 18


def test_ilvr_replaces_low_frequencies_and_keeps_high_ones():
    h = w = 32
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    checker = ((yy + xx) % 2).float().mul(2).sub(1).expand(1, 3, h, w) * 0.5  # pure high frequency
    ramp = (xx.float() / w).expand(1, 3, h, w).clone()  # smooth reference
    x = checker + 3.0  # a wrong exposure (low frequency) plus detail
    hook = ilvr_hook(ramp, lambda i: torch.zeros_like(ramp), steps=2)
    out = hook(0, x, torch.tensor(0.0))
    assert torch.allclose(out - x, low_pass(ramp) - low_pass(x), atol=1e-6)
    assert torch.allclose(low_pass(out), low_pass(ramp), atol=0.05)  # exposure now from the reference
    assert torch.allclose(out - low_pass(out), x - low_pass(x), atol=0.05)  # detail kept
    assert torch.equal(hook(2, x, torch.tensor(0.0)), x)  # only the first `steps` steps
