"""The Python API: ``from did_ocr import Reader``, shaped like EasyOCR's, on the same pipeline as ``did-ocr read``.

Why shaped like EasyOCR: people who read text from images in Python already
write ``reader = easyocr.Reader(['en'])`` and ``reader.readtext(image)``.
:class:`Reader` builds the enhancer and the OCR engine once; :meth:`Reader.read`
gives a :class:`ReadResult` (lines, text, the enhanced image, timings, an
annotated picture) and :meth:`Reader.readtext` EasyOCR's familiar list of
``(box, text, confidence)``. Both go through
:class:`did_ocr.reading.pipeline.Pipeline`, the code path of ``did-ocr read``,
the bench and the web page.

Images: a file path (any format ``did-ocr read`` takes), the bytes of a
file, a NumPy array in RGB order (uint8/uint16 sRGB, or float sRGB in
[0, 1]; ``linear=True`` when the values are linear light) or a PIL image
(its EXIF orientation is applied).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from did_ocr.errors import InputError
from did_ocr.ocr.words import OcrLine, OcrWord
from did_ocr.reading.pipeline import Pipeline, Reading
from did_ocr.reading.settings import ReadSettings

if TYPE_CHECKING:
    from PIL import Image

ImageInput = Union[str, "os.PathLike[str]", bytes, np.ndarray, "Image.Image"]
Box = list[list[float]]


@dataclass
class ReadResult:
    """What :meth:`Reader.read` found in one image."""

    reading: Reading
    source: str
    enhancer: str

    @property
    def lines(self) -> list[OcrLine]:
        """Lines in reading order; each has ``text``, ``confidence``, ``box`` (4 corners) and ``words``."""
        return self.reading.lines

    @property
    def words(self) -> list[OcrWord]:
        """Every recognized box in reading order."""
        return self.reading.words

    @property
    def text(self) -> str:
        """The reading-order text: lines joined by newlines."""
        return self.reading.text

    @property
    def enhanced(self) -> np.ndarray:
        """The reconstruction OCR read: sRGB uint8, (H, W, 3)."""
        from did_ocr.capture.colorspace import to_uint8

        return to_uint8(self.reading.enhanced)

    @property
    def timings(self) -> dict[str, float]:
        """Seconds: ``load_s``, ``enhance_s``, ``ocr_s``, ``total_s``."""
        return self.reading.timings

    def annotated(self, panel_side: int | None = 2000) -> "Image.Image":
        """The dark capture and the reconstruction side by side, each box drawn with its words and confidence."""
        from PIL import Image

        from did_ocr.reading.annotate import annotate

        return Image.fromarray(annotate(self.reading.capture, self.reading.enhanced, self.lines, panel_side))

    def to_dict(self) -> dict[str, Any]:
        """The same fields as ``did-ocr read --json``."""
        return self.reading.record(self.source, self.enhancer)


class Reader:
    """Reads text from dark photos; build once (it loads DiD and the OCR engine), call :meth:`read` many times.

    The keyword arguments are the fields of
    :class:`did_ocr.reading.settings.ReadSettings`, the options of
    ``did-ocr read``: ``enhancer`` (``did`` by default, or any name
    ``read --enhancer`` takes), ``model``, ``quality`` and ``max_side`` (for
    the enhancers that take them; given to one that does not, an error),
    ``ocr`` (``rapidocr`` or ``easyocr``), ``detect_side``, ``refine``,
    ``device``, ``threads``; ``seed``, ``samples`` and ``linear`` are the
    defaults of :meth:`read`. Or pass a built ``settings`` object.
    """

    def __init__(self, enhancer: str | None = None, *, settings: ReadSettings | None = None, **options: Any) -> None:
        if settings is not None and (options or enhancer):
            raise TypeError("Reader: pass either settings or options, not both")
        if options.get("model") is not None:
            options["model"] = os.fspath(options["model"])
        given = {k: v for k, v in {"enhancer": enhancer, **options}.items() if v is not None}
        self.settings = settings or ReadSettings(**given)  # an unknown keyword is a TypeError, as for any function
        self.pipeline = Pipeline.build(self.settings)

    @property
    def enhancer(self) -> str:
        return self.pipeline.name

    @property
    def ocr(self) -> str:
        """The OCR engine's name."""
        return self.pipeline.ocr.name

    def read(self, image: ImageInput, seed: int | None = None, samples: int | None = None,
             linear: bool | None = None) -> ReadResult:
        """Enhance and read one image; ``samples`` > 1 reads that many DiD samples and votes (None: the settings')."""
        s = self.settings
        seed, samples, linear = (s.seed if seed is None else seed, s.samples if samples is None else samples,
                                 s.linear if linear is None else linear)
        t0 = time.perf_counter()
        if isinstance(image, (str, os.PathLike)):
            source = os.fspath(image)
            reading = self.pipeline.read_file(source, linear=linear, seed=seed, samples=samples)
        elif isinstance(image, (bytes, bytearray)):
            source = "<bytes>"
            reading = self.pipeline.read_file(source, linear=linear, seed=seed, samples=samples, data=bytes(image))
        else:
            source = f"<{type(image).__name__}>"
            capture = _capture(image, linear)
            load_s = time.perf_counter() - t0
            reading = self.pipeline.read(capture, seed=seed, samples=samples)
            reading.timings = {"load_s": load_s, **reading.timings}
        reading.timings["total_s"] = time.perf_counter() - t0
        return ReadResult(reading, source, self.enhancer)

    def readtext(self, image: ImageInput, detail: int = 1, seed: int | None = None, samples: int | None = None,
                 linear: bool | None = None) -> list[Any]:
        """EasyOCR's form: ``[(box, text, confidence), ...]`` in reading order (``detail=0``: the texts only)."""
        words = self.read(image, seed=seed, samples=samples, linear=linear).words
        if detail == 0:
            return [w.text for w in words]
        return [([list(p) for p in w.box], w.text, w.confidence) for w in words]


def _capture(image: Any, linear: bool) -> np.ndarray:
    """A NumPy array or a PIL image -> linear RGB float32."""
    from did_ocr.capture.load import capture_from_array

    if isinstance(image, np.ndarray):
        return capture_from_array(image, linear=linear)
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - Pillow is a dependency
        Image = None
    if Image is not None and isinstance(image, Image.Image):
        upright = ImageOps.exif_transpose(image)
        keep = upright.mode in ("I;16", "I;16B", "I;16L", "F", "RGB", "L")
        return capture_from_array(np.asarray(upright if keep else upright.convert("RGB")), linear=linear,
                                  name="PIL image")
    raise InputError(f"cannot read a {type(image).__name__}; pass a file path, bytes, a NumPy array or a PIL image")
