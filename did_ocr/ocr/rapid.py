"""RapidOCR: PP-OCR's text detector and recognizer on ONNX Runtime, with the models inside its wheel only.

Why: on the same images it reads 20-30 points more words than EasyOCR, in a
tenth of the time and a quarter of the memory (docs, "Which OCR engine").

Why not the rapidocr package's own code: importing it costs about 1.2 s
(OmegaConf parses its YAML at import time), paid by every ``did-ocr read``.
The models are all we take from its wheel: their files are found in the
installed package without importing it (nothing is ever downloaded; a
missing file is one clear error), and :mod:`did_ocr.ocr.ppocr` runs them on
ONNX Runtime with RapidOCR's settings, reading the same words (spaces
aside, below).

What this module adds to RapidOCR's own pipeline, each measured on the
validation sets (docs, "Which OCR engine"):

- **The detector's copy follows ``detect_side``**, like EasyOCR's: small
  images are enlarged towards a shorter side of :data:`DETECT_SHORT_SIDE`
  (PP-OCR's own rule; at most :data:`MAX_UPSCALE` x), and the longer side
  never exceeds ``detect_side``.
- **Tight word crops are read whole**: PP-OCR's detector often finds nothing
  on an image that is all word, and reading the box it finds loses letters
  at the edges. A small image (at most :data:`CROP_MAX_HEIGHT` tall) in which
  the detector finds nothing, or one line that fills at least half its
  height, is read by the recognizer alone. On the IIIT 5K validation crops
  this read 97 / 93 / 78 / 44 % (well-lit / dim / dark / night, after
  ``gain``) where detection first read 93 / 89 / 71 / 46 %, at a tenth of
  the time.
- **Words come out split**: a detected line is split into words at the
  spaces the recognizer reads, each boxed where the recognizer read its
  letters (:meth:`~did_ocr.ocr.ppocr.LineReading.words`), including the
  spaces greedy decoding leaves out ("BANGKOKINN" -> "BANGKOK INN",
  :data:`~did_ocr.ocr.ppocr.SPACE_RECOVERY`); a word crop read whole is
  decoded greedily (there, recovering spaces only split words).
- **English keeps Latin letters, digits and punctuation**: the recognizer's
  character set is Chinese + English; other characters are masked out of
  its output before decoding, so an icon never becomes a CJK character and
  a letter is never lost to a look-alike.
"""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from did_ocr.errors import DidOcrError
from did_ocr.ocr.engine import DEFAULT_DETECT_SIDE, OcrEngine, Rect, as_uint8, model_files, rect_box
from did_ocr.ocr.words import OcrWord

if TYPE_CHECKING:
    from did_ocr.ocr.ppocr import LineCrop, LineReading

#: the detector sees small images enlarged to this shorter side (PP-OCR's default, limit_type "min") ...
DETECT_SHORT_SIDE = 736
#: ... by at most this factor (a word crop enlarged 15x costs the detector seconds and finds no more)
MAX_UPSCALE = 2.0
#: an image at most this tall, with no line found or one line filling half its height, is read whole (a word crop)
CROP_MAX_HEIGHT = 256
#: ... "filling": the line's height over the image's
CROP_LINE_FILL = 0.5
#: lines (or crops) read below this recognizer confidence are dropped (RapidOCR's own text_score)
MIN_CONFIDENCE = 0.5
#: what ``charset="en"`` keeps of the recognizer's characters (the blank and the space always stay)
LATIN = set(string.ascii_letters + string.digits + string.punctuation + "€£°")
CHARSETS = ("en", "all")
INSTALL_HINT = "run `pip install rapidocr onnxruntime`"


def package_folder() -> Path:
    """The installed rapidocr package's folder, found without importing it (its import costs about a second)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise DidOcrError(f"RapidOCR is not installed (rapidocr); {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def package_models() -> dict[str, Path]:
    """The default detector and recognizer of the installed rapidocr, as files inside its wheel.

    Its ``config.yaml`` names each model's PP-OCR version and size; the wheel
    holds it as ``{version}_{task}_{size}.onnx`` (e.g. PP-OCRv6_det_small.onnx;
    older versions put the language first).
    """
    import yaml

    folder = package_folder()
    try:
        config = yaml.load((folder / "config.yaml").read_text(encoding="utf-8"),
                           Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        sections = {task: (config[task]["ocr_version"], config[task]["task_type"], config[task]["model_type"],
                           config[task]["lang_type"]) for task in ("Det", "Rec")}
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise DidOcrError(f"{folder / 'config.yaml'}: cannot tell RapidOCR's default models ({exc!r}); reinstall it "
                          "with `pip install --force-reinstall rapidocr`") from None
    found = {}
    for task, (version, task_type, size, lang) in sections.items():
        stem = f"{version}_{task_type}_{size}.onnx"
        names = [stem, f"{lang}_{stem}"]
        path = next((folder / "models" / n for n in names if (folder / "models" / n).is_file()), None)
        if path is None:
            raise DidOcrError(f"{folder / 'models' / stem}: RapidOCR's {task.lower()} model is not in its installed "
                              "package, and did-ocr never downloads one; reinstall it with "
                              "`pip install --force-reinstall rapidocr`")
        found[task] = path
    return found


def detector_scale(height: int, width: int, detect_side: int) -> float:
    """Scale of the copy the detector sees: short side up to :data:`DETECT_SHORT_SIDE`, long side at most ``detect_side``."""
    scale = min(MAX_UPSCALE, max(1.0, DETECT_SHORT_SIDE / max(1, min(height, width))))
    return min(scale, detect_side / max(height, width))


def is_word_crop(quads: np.ndarray, height: int, width: int) -> bool:
    """Whether an image is read whole: small, and no line found in it or one line filling half its height."""
    if height > CROP_MAX_HEIGHT or height < 4 or width < 4:
        return False
    if len(quads) == 0:
        return True
    tops, bottoms = quads[..., 1].min(axis=1), quads[..., 1].max(axis=1)
    band = bottoms.max() - tops.min()
    one_line = band <= 1.5 * (bottoms - tops).max()
    return bool(one_line and band >= CROP_LINE_FILL * height)


def line_words(line: LineReading, crop: LineCrop) -> list[OcrWord]:
    """A read line's words, split at the spaces the recognizer read, each boxed where its letters were read.

    A line of one word, or one whose words do not spell it, stays whole: its
    quadrilateral and its confidence.
    """
    text = line.text.strip()
    words = line.words(crop.pixels.shape[1])
    if len(words) < 2 or [w.text for w in words] != text.split():
        return [OcrWord(text=text, confidence=line.confidence, box=crop.quad.astype(float).tolist())]
    return [OcrWord(text=w.text, confidence=w.confidence, box=crop.to_image(w.x0, w.x1)) for w in words]


class RapidOcr(OcrEngine):
    """PP-OCR on ONNX Runtime (:mod:`did_ocr.ocr.ppocr`) with the rapidocr wheel's models.

    One per process and device (:func:`did_ocr.ocr.get_ocr`).
    """

    name = "rapidocr"
    #: PP-OCR's recognizer reads every line at this height (rec_img_shape)
    recognizer_height = 48
    #: the characters kept by default (CHARSETS)
    charset = "en"

    def __init__(self, device: str = "auto", charset: str = "en", threads: int | None = None) -> None:
        from did_ocr.device import device_name
        from did_ocr.ocr.ppocr import TextDetector, TextRecognizer
        from did_ocr.onnxrt import default_threads, open_session

        if charset not in CHARSETS:
            raise DidOcrError(f"unknown character set {charset!r}; choose one of {', '.join(CHARSETS)}")
        #: "cpu", "cuda" or "cuda:N" (a string: deciding it needs no torch on a machine without a GPU)
        self.device = device_name(device)
        self.models = package_models()
        cuda, threads = self.device.startswith("cuda"), threads or default_threads()
        index = int(self.device.partition(":")[2] or 0)
        try:
            det, rec = (open_session(self.models[task], cuda, threads, index) for task in ("Det", "Rec"))
        except ImportError as exc:
            raise DidOcrError(f"ONNX Runtime is not installed ({exc.name}); {INSTALL_HINT}") from None
        self._det = TextDetector(det)
        self._rec = TextRecognizer(rec, keep=LATIN if charset == "en" else None)
        self.charset = charset

    # ---- the two steps ------------------------------------------------------------------------
    def detect(self, bgr: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> np.ndarray:
        """Text-line quadrilaterals (N, 4, 2) of a BGR uint8 image, in its pixels, top to bottom."""
        import cv2

        h, w = bgr.shape[:2]
        scale = detector_scale(h, w, detect_side)
        copy = bgr if scale == 1.0 else cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                   interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        boxes = self._det(np.ascontiguousarray(copy)) / np.float32(scale)
        boxes[..., 0] = boxes[..., 0].clip(0, w)
        boxes[..., 1] = boxes[..., 1].clip(0, h)
        return boxes

    def _words(self, crops: list[LineCrop], one_word: bool = False) -> list[OcrWord]:
        """The words of line crops, each with its box in the image (``one_word``: a word crop read whole,
        so no space is recovered in it)."""
        words: list[OcrWord] = []
        for crop, line in zip(crops, self._rec([crop.pixels for crop in crops], recover_spaces=not one_word)):
            if line.text.strip() and line.confidence >= MIN_CONFIDENCE:
                words += line_words(line, crop)
        return words

    # ---- the interface --------------------------------------------------------------------------
    def read_words(self, srgb: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> list[OcrWord]:
        from did_ocr.ocr.ppocr import LineCrop, crop_line

        bgr = np.ascontiguousarray(as_uint8(srgb)[..., ::-1])
        quads = self.detect(bgr, detect_side)
        h, w = bgr.shape[:2]
        if is_word_crop(quads, h, w):
            return self._words([LineCrop(bgr, np.array(rect_box((0, w, 0, h)), np.float32))], one_word=True)
        return self._words([crop_line(bgr, quad) for quad in quads])

    def recognize_boxes(self, srgb: np.ndarray, boxes: list[Rect]) -> list[OcrWord | None]:
        bgr = as_uint8(srgb)[..., ::-1]
        h, w = bgr.shape[:2]
        rects = [(max(0, int(x0)), min(w, int(x1)), max(0, int(y0)), min(h, int(y1))) for x0, x1, y0, y1 in boxes]
        usable = [i for i, (x0, x1, y0, y1) in enumerate(rects) if x1 - x0 >= 2 and y1 - y0 >= 2]
        # spaces are recovered: a box re-read (did_ocr.reading.refine) may be two words a first reading merged
        read = self._rec([np.ascontiguousarray(bgr[rects[i][2]:rects[i][3], rects[i][0]:rects[i][1]]) for i in usable])
        out: list[OcrWord | None] = [None] * len(boxes)
        for i, line in zip(usable, read):
            if line.text.strip() and line.confidence >= MIN_CONFIDENCE:
                out[i] = OcrWord(text=line.text.strip(), confidence=line.confidence, box=rect_box(rects[i]))
        return out

    @classmethod
    def installed(cls) -> dict[str, Any]:
        from importlib.metadata import version

        models = package_models()
        return {"library": f"rapidocr {version('rapidocr')}", "runtime": f"onnxruntime {version('onnxruntime')}",
                "charset": cls.charset, "models": model_files([models["Det"], models["Rec"]])}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "charset": self.charset}
