"""RapidOCR: PP-OCR's text detector and recognizer on ONNX Runtime, with the models inside its wheel only.

Why: on the same images it reads 20-30 points more words than EasyOCR, in a
tenth of the time and a quarter of the memory (docs, "Which OCR engine").
RapidOCR would download any model its wheel does not hold; here the model
files are resolved inside the installed package and handed to it by path,
so nothing is ever fetched (a missing file is one clear error).

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
  spaces the recognizer reads, each with its own box (RapidOCR's word boxes).
- **English keeps Latin letters, digits and punctuation**: the recognizer's
  character set is Chinese + English; other characters are masked out of
  its output before decoding, so an icon never becomes a CJK character and
  a letter is never lost to a look-alike.
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any

import numpy as np

from did_ocr.errors import DidOcrError
from did_ocr.ocr.engine import DEFAULT_DETECT_SIDE, OcrEngine, Rect, as_uint8, model_files, rect_box
from did_ocr.ocr.words import OcrWord

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


def package_models() -> dict[str, Path]:
    """The default detector and recognizer of the installed rapidocr, as files inside its wheel."""
    try:
        import rapidocr
        from rapidocr.inference_engine.base import FileInfo, InferSession
        from rapidocr.main import DEFAULT_CFG_PATH
        from rapidocr.utils.parse_parameters import ParseParams
    except ImportError as exc:
        raise DidOcrError(f"RapidOCR is not installed ({exc.name}); run `pip install rapidocr onnxruntime`") from None
    folder = Path(rapidocr.__file__).parent / "models"
    cfg = ParseParams.load(DEFAULT_CFG_PATH)
    found = {}
    for task in ("Det", "Rec"):
        section = cfg[task]
        info = InferSession.get_model_url(FileInfo(engine_type=section.engine_type, ocr_version=section.ocr_version,
                                                   task_type=section.task_type, lang_type=section.lang_type,
                                                   model_type=section.model_type))
        path = folder / Path(str(info["model_dir"])).name
        if not path.is_file():
            raise DidOcrError(f"{path}: RapidOCR's {task.lower()} model is not in its installed package, and did-ocr "
                              "never downloads one; reinstall it with `pip install --force-reinstall rapidocr`")
        found[task] = path
    return found


def _threads() -> int:
    """Threads for ONNX Runtime: ``OMP_NUM_THREADS`` when set (tests, shared machines), else every core."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


class _CharsetMask:
    """RapidOCR's CTC decoder, reading only the characters in ``keep`` (probabilities of others set to 0)."""

    def __init__(self, decode: Any, keep: set[str]) -> None:
        self.decode = decode
        self.character = decode.character
        self.mask = np.array([i == 0 or ch == " " or ch in keep for i, ch in enumerate(decode.character)])

    def __call__(self, preds: np.ndarray, return_word_box: bool = False, **kwargs: Any) -> Any:
        return self.decode(np.where(self.mask, preds, 0.0), return_word_box, **kwargs)


def detector_scale(height: int, width: int, detect_side: int) -> float:
    """Scale of the copy the detector sees: short side up to :data:`DETECT_SHORT_SIDE`, long side at most ``detect_side``."""
    scale = min(MAX_UPSCALE, max(1.0, DETECT_SHORT_SIDE / max(1, min(height, width))))
    return min(scale, detect_side / max(height, width))


def _split_at_spaces(text: str, score: float, quad: np.ndarray, pieces: list[Any]) -> list[OcrWord]:
    """A line's words, split at the spaces the recognizer read, each boxed by the hull of its pieces.

    RapidOCR's word boxes also split where letters are far apart ("PHAR MACY");
    those pieces are joined again, so a word is what the recognizer read
    between spaces. When the pieces do not spell the line, it stays whole.
    """
    names = text.split()
    pieces = [(str(t).strip(), c, np.asarray(b, dtype=float).reshape(4, 2)) for t, c, b in pieces
              if b is not None and str(t).strip()]
    if len(names) < 2 or "".join(t for t, _, _ in pieces) != "".join(names):
        return [OcrWord(text=text, confidence=score, box=quad.astype(float).tolist())]
    words, k = [], 0
    for name in names:
        mine, spelled = [], ""
        while k < len(pieces) and len(spelled) < len(name):
            mine.append(pieces[k])
            spelled += pieces[k][0]
            k += 1
        if spelled != name:  # a piece straddles a space: keep the line whole
            return [OcrWord(text=text, confidence=score, box=quad.astype(float).tolist())]
        corners = np.concatenate([b for _, _, b in mine])
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
        confs = np.concatenate([np.atleast_1d(np.asarray(c, dtype=float)) for _, c, _ in mine])
        words.append(OcrWord(text=name, confidence=float(confs.mean()) if confs.size else score,
                             box=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    return words


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


class RapidOcr(OcrEngine):
    """PP-OCR (RapidOCR, ONNX Runtime) with its wheel's models; one per process (:func:`did_ocr.ocr.get_ocr`)."""

    name = "rapidocr"
    #: PP-OCR's recognizer reads every line at this height (rec_img_shape)
    recognizer_height = 48
    #: the characters kept by default (CHARSETS)
    charset = "en"

    def __init__(self, device: str = "auto", charset: str = "en", threads: int | None = None) -> None:
        from did_ocr.device import resolve_device

        if charset not in CHARSETS:
            raise DidOcrError(f"unknown character set {charset!r}; choose one of {', '.join(CHARSETS)}")
        self.device = resolve_device(device)
        self.models = package_models()
        from rapidocr import RapidOCR
        from rapidocr.cal_rec_boxes import CalRecBoxes

        threads = threads or _threads()
        ort = "EngineConfig.onnxruntime"
        self._ocr = RapidOCR(params={
            "Global.log_level": "critical", "Det.model_path": str(self.models["Det"]),
            "Rec.model_path": str(self.models["Rec"]), f"{ort}.intra_op_num_threads": threads,
            f"{ort}.inter_op_num_threads": 1, f"{ort}.use_cuda": self.device.type == "cuda"})
        self._det = self._ocr._load_det_model()
        self._rec = self._ocr._load_rec_model()
        self._det.limit_type = "max"  # the copy is sized here (detector_scale); the detector only rounds it to /32
        self._det.limit_side_len = 1 << 30
        self.charset = charset
        if charset == "en":
            self._rec.postprocess_op = _CharsetMask(self._rec.postprocess_op, LATIN)
        self._word_boxes = CalRecBoxes()

    # ---- the two steps ------------------------------------------------------------------------
    def detect(self, bgr: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> np.ndarray:
        """Text-line quadrilaterals (N, 4, 2) of a BGR uint8 image, in its pixels, top to bottom."""
        import cv2

        h, w = bgr.shape[:2]
        scale = detector_scale(h, w, detect_side)
        copy = bgr if scale == 1.0 else cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                   interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        found = self._det(np.ascontiguousarray(copy))
        if found.boxes is None or len(found.boxes) == 0:
            return np.zeros((0, 4, 2), np.float32)
        boxes = np.asarray(found.boxes, np.float32) / np.float32(scale)
        boxes[..., 0] = boxes[..., 0].clip(0, w)
        boxes[..., 1] = boxes[..., 1].clip(0, h)
        return boxes

    def _recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float, Any]]:
        """(text, confidence, word info) of BGR line crops."""
        from rapidocr.ch_ppocr_rec import TextRecInput

        if not crops:
            return []
        out = self._rec(TextRecInput(img=crops, return_word_box=True))
        return list(zip(out.txts, out.scores, out.word_results))

    def _words(self, crops: list[np.ndarray], quads: np.ndarray) -> list[OcrWord]:
        """The words of line crops cut from ``quads``: split at spaces, each with its box in the image."""
        from rapidocr.ch_ppocr_rec.typings import TextRecOutput

        read = self._recognize(crops)
        words: list[OcrWord] = []
        for crop, quad, (text, score, info) in zip(crops, quads, read):
            text = text.strip()
            if not text or score < MIN_CONFIDENCE:
                continue
            one = TextRecOutput(txts=(text,), scores=(score,), word_results=(info,))
            try:
                split = self._word_boxes([crop], quad[None].astype(np.float32), one).word_results[0]
            except (IndexError, ValueError):  # no word geometry for this line: keep it whole
                split = []
            words += _split_at_spaces(text, float(score), quad, split)
        return words

    # ---- the interface --------------------------------------------------------------------------
    def read_words(self, srgb: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> list[OcrWord]:
        from rapidocr.utils.process_img import get_rotate_crop_image

        bgr = np.ascontiguousarray(as_uint8(srgb)[..., ::-1])
        quads = self.detect(bgr, detect_side)
        h, w = bgr.shape[:2]
        if is_word_crop(quads, h, w):
            return self._words([bgr], np.array([rect_box((0, w, 0, h))], np.float32))
        crops = [get_rotate_crop_image(bgr, quad.copy()) for quad in quads]
        return self._words(crops, quads)

    def recognize_boxes(self, srgb: np.ndarray, boxes: list[Rect]) -> list[OcrWord | None]:
        bgr = as_uint8(srgb)[..., ::-1]
        h, w = bgr.shape[:2]
        rects = [(max(0, int(x0)), min(w, int(x1)), max(0, int(y0)), min(h, int(y1))) for x0, x1, y0, y1 in boxes]
        usable = [i for i, (x0, x1, y0, y1) in enumerate(rects) if x1 - x0 >= 2 and y1 - y0 >= 2]
        read = self._recognize([np.ascontiguousarray(bgr[rects[i][2]:rects[i][3], rects[i][0]:rects[i][1]])
                                for i in usable])
        out: list[OcrWord | None] = [None] * len(boxes)
        for i, (text, score, _) in zip(usable, read):
            if text.strip() and score >= MIN_CONFIDENCE:
                out[i] = OcrWord(text=text.strip(), confidence=float(score), box=rect_box(rects[i]))
        return out

    @classmethod
    def installed(cls) -> dict[str, Any]:
        from importlib.metadata import version

        models = package_models()
        return {"library": f"rapidocr {version('rapidocr')}", "runtime": f"onnxruntime {version('onnxruntime')}",
                "charset": cls.charset, "models": model_files([models["Det"], models["Rec"]])}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "charset": self.charset}
