"""Loading captures: any common image file or camera RAW -> linear RGB float32 in [0, 1].

Why one loader: the denoiser and the classical enhancers work in linear light
(where exposure and sensor noise are physical), so every input, whatever its
container, bit depth or colour layout, is brought to the same form:

* PNG, JPEG, TIFF, BMP, WebP, HEIC/HEIF (phones; through pillow-heif) and
  AVIF (Pillow); 8-bit, 16-bit and float (clipped to [0, 1]);
  grayscale (repeated to RGB), gray+alpha and RGBA (alpha dropped, not
  composited: dark photos are opaque, and the colour under a transparent
  pixel is kept as it is), palette, CMYK; EXIF orientation applied. Values are
  sRGB-decoded unless ``linear=True`` says the file already holds linear
  values (16-bit linear PNGs from RAW converters, our synthetic RAW-like
  captures).
* RAW (DNG, ARW, NEF, CR2, CR3, RAF, ORF, RW2, PEF, SRW, NRW) through rawpy:
  the file's black and white levels, the camera's white balance, no
  auto-brightening, linear 16-bit output in sRGB primaries; always linear.

Every problem raises :class:`did_ocr.errors.InputError` with one line naming
the file, what is wrong and what to do. Image dimensions are read from the
header and checked before any pixel is decoded (a decompression-bomb guard,
``DID_OCR_MAX_PIXELS`` or ``max_pixels=``, 100 megapixels by default).

Decoders: OpenCV for PNG, TIFF, BMP and WebP (it keeps 16-bit and float
samples, which Pillow narrows to 8 bits); Pillow for JPEG (it reports a
truncated stream instead of filling the missing part with grey, and it
accepts the data phones append after the image), CMYK, HEIF and AVIF; Pillow
again whenever OpenCV refuses a file. Files are read as bytes first, so
non-ASCII names work everywhere, and the same decoding serves bytes that
never were a file (:func:`load_capture_bytes`: uploads, standard input) and
arrays already in memory (:func:`capture_from_array`).
"""

from __future__ import annotations

import functools
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from did_ocr.capture.colorspace import srgb_to_linear
from did_ocr.errors import InputError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".dib", ".webp",
                              ".heic", ".heif", ".hif", ".avif"})
RAW_EXTENSIONS = frozenset({".dng", ".arw", ".nef", ".cr2", ".cr3", ".raf", ".orf", ".rw2", ".pef", ".srw", ".nrw"})
MAX_PIXELS_ENV = "DID_OCR_MAX_PIXELS"
DEFAULT_MAX_PIXELS = 100_000_000
_EXIF_ORIENTATION = 0x0112
_PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk type and its (fixed) CRC
# MPO: the multi-picture JPEG many phones write; HEIF (pillow-heif) and AVIF: OpenCV cannot decode them
_PILLOW_FORMATS = frozenset({"JPEG", "MPO", "HEIF", "AVIF"})
_SUPPORTED = "use PNG, JPEG, TIFF, BMP, WebP, HEIC, AVIF or a camera RAW file"


class UnsupportedImageError(InputError):
    """The bytes are in no image format that can be decoded here (the web page answers 415)."""


class TooManyPixelsError(InputError):
    """The header announces more pixels than the decompression-bomb guard allows (the web page answers 413)."""


@dataclass(frozen=True)
class _Header:
    """What the header says, known before any pixel is decoded."""

    width: int
    height: int
    format: str
    mode: str
    orientation: int


def is_raw_path(path: str | os.PathLike[str]) -> bool:
    """Whether the file name says camera RAW (by extension, case-insensitive)."""
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def default_max_pixels() -> int:
    """The pixel limit of the decompression-bomb guard: ``DID_OCR_MAX_PIXELS`` or 100 megapixels."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip().replace("_", "")
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(text))
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{MAX_PIXELS_ENV}={text!r} is not a positive number of pixels; "
                         f"set it to e.g. 200000000 or unset it (default {DEFAULT_MAX_PIXELS:,})")
    return value


def load_capture(path: str | os.PathLike[str], *, linear: bool = False, max_pixels: int | None = None) -> np.ndarray:
    """Load an image or RAW file as float32 linear RGB, shape (H, W, 3), values in [0, 1].

    ``linear=True``: the file already holds linear values (no sRGB decoding);
    RAW files are always linear. ``max_pixels`` overrides the bomb-guard limit.
    """
    p = Path(path)
    _check_file(p)
    if is_raw_path(p):
        with open(p, "rb") as handle:
            return _load_raw(p, handle, default_max_pixels() if max_pixels is None else max_pixels)
    return _decode_capture(p, _read_bytes(p), linear, max_pixels)


def load_capture_bytes(data: bytes, name: str = "<input>", *, linear: bool = False,
                       max_pixels: int | None = None) -> np.ndarray:
    """Decode the bytes of an image file (an upload, standard input) like :func:`load_capture`.

    ``name`` names the input in error messages; its extension decides
    whether the bytes are camera RAW (other formats are recognized by content).
    """
    p = Path(name)
    if not data:
        raise InputError(f"{name}: empty input (0 bytes); send an image file")
    if is_raw_path(p):
        return _load_raw(p, io.BytesIO(data), default_max_pixels() if max_pixels is None else max_pixels)
    return _decode_capture(p, data, linear, max_pixels)


def capture_from_array(array: np.ndarray, *, linear: bool = False, name: str = "array") -> np.ndarray:
    """An image already in memory (H, W), (H, W, 3) or (H, W, 4), RGB order -> linear RGB float32.

    Integer arrays are scaled by their type's maximum (uint8: 255), floats
    are taken as values in [0, 1]; values are sRGB unless ``linear``.
    """
    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and not 1 <= arr.shape[2] <= 4) or arr.size == 0:
        raise InputError(f"{name}: an image array must be (H, W), (H, W, 3) or (H, W, 4), not {arr.shape}")
    rgb = _to_rgb_float(Path(name), arr)
    return rgb if linear else srgb_to_linear(rgb)


def _decode_capture(p: Path, data: bytes, linear: bool, max_pixels: int | None) -> np.ndarray:
    limit = default_max_pixels() if max_pixels is None else max_pixels
    header = _read_header(p, data)
    _check_pixels(p, header.width, header.height, limit)
    rgb = _apply_orientation(_to_rgb_float(p, _decode(p, data, header)), header.orientation)
    return rgb if linear else srgb_to_linear(rgb)


def _check_file(p: Path) -> None:
    try:
        if not p.exists():
            raise InputError(f"{p}: no such file; check the path")
        if p.is_dir():
            raise InputError(f"{p}: is a directory, not an image file; pass an image (the did-ocr commands also take folders)")
        size = p.stat().st_size
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise InputError(f"{p}: cannot be accessed ({getattr(exc, 'strerror', None) or exc}); check the path") from None
    if size == 0:
        raise InputError(f"{p}: empty file (0 bytes); re-export or re-copy the image")


def _read_bytes(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or exc}); check its permissions") from None


@functools.cache
def _register_heif() -> bool:
    """Teach Pillow HEIC/HEIF (pillow-heif); False when the plugin is not installed."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def _is_heif(data: bytes) -> bool:
    """An ISO-BMFF ``ftyp`` box naming a HEIF brand (what phones write as .heic)."""
    return data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def _read_header(p: Path, data: bytes) -> _Header:
    """Size, format, mode and EXIF orientation from the header only (Pillow opens lazily).

    HEIF: libheif applies the file's rotation itself and resets the EXIF
    orientation to 1, so it is never applied twice.
    """
    from PIL import Image, UnidentifiedImageError

    # Our own guard (_check_pixels) replaces Pillow's, whose limit and message we cannot set per call.
    Image.MAX_IMAGE_PIXELS = None
    if not _register_heif() and _is_heif(data):
        raise UnsupportedImageError(f"{p}: HEIC/HEIF images need pillow-heif; install it with `pip install pillow-heif`")
    try:
        with Image.open(io.BytesIO(data)) as img:
            return _Header(img.size[0], img.size[1], str(img.format or ""), str(img.mode), _orientation(img))
    except UnidentifiedImageError:
        if p.suffix.lower() in (".tif", ".tiff"):  # layouts Pillow does not know (float RGB, ...)
            width, height = _tiff_size(p, data)
            return _Header(width, height, "TIFF", "", 1)
        raise UnsupportedImageError(f"{p}: not an image file that can be read (wrong extension, or corrupt); {_SUPPORTED}") from None
    except Exception as exc:  # hostile bytes make Pillow raise many kinds (struct.error, IndexError, ...)
        if "runcated" in str(exc):
            raise InputError(f"{p}: truncated image file (the data ends early); re-copy or re-export it") from None
        raise InputError(f"{p}: corrupt image header ({exc}); re-export the image") from None


def _orientation(img: object) -> int:
    try:
        value = int(img.getexif().get(_EXIF_ORIENTATION, 1) or 1)  # type: ignore[attr-defined]
    except Exception:  # a broken EXIF block must not make the image unreadable
        return 1
    return value if 1 <= value <= 8 else 1


def _tiff_size(p: Path, data: bytes) -> tuple[int, int]:
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            page = tif.pages[0]
            shape, axes = page.shape, page.axes
        return int(shape[axes.index("X")]), int(shape[axes.index("Y")])
    except Exception as exc:  # tifffile raises many kinds on corrupt files
        raise InputError(f"{p}: not a readable TIFF ({type(exc).__name__}); re-export it as PNG or TIFF") from None


def _check_pixels(p: Path, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise InputError(f"{p}: image has no pixels ({width}x{height}); use a real photo")
    if width * height > max_pixels:
        raise TooManyPixelsError(f"{p}: {width}x{height} pixels is more than the limit of {max_pixels:,} "
                         f"(decompression-bomb guard); downscale the image or raise {MAX_PIXELS_ENV}")


def _decode(p: Path, data: bytes, header: _Header) -> np.ndarray:
    """Pixels as a NumPy array: (H, W) or (H, W, C) in RGB(A) channel order, any dtype."""
    if header.format in _PILLOW_FORMATS or header.mode == "CMYK":
        arr = _decode_with_pillow(p, data)
    else:
        if header.format == "PNG" and _PNG_END not in data:  # libpng would print to stderr, then fail
            raise InputError(f"{p}: truncated PNG file (the data ends early); re-copy or re-export it")
        arr = _decode_with_opencv(data)
        if arr is None:
            arr = _decode_with_pillow(p, data)
    if arr.size == 0:
        raise InputError(f"{p}: image has no pixels; use a real photo")
    return arr


def _decode_with_opencv(data: bytes) -> np.ndarray | None:
    import cv2

    flags = cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR
    try:
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:  # OpenCV asserts on some corrupt headers (found by fuzzing)
        return None
    if arr is not None and arr.ndim == 3 and arr.shape[2] >= 3:
        arr = np.ascontiguousarray(arr[..., [2, 1, 0, *range(3, arr.shape[2])]])  # BGR(A) -> RGB(A)
    return arr


def _decode_with_pillow(p: Path, data: bytes) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.mode in ("I;16", "I;16B", "I;16L", "F"):
                return np.asarray(img)
            if img.mode == "I":  # 32-bit container; Pillow uses it for 16-bit grayscale too
                values = np.asarray(img)
                return values.astype(np.uint16) if 0 <= values.min() and values.max() <= 65535 else values
            return np.asarray(img.convert("RGBA" if "A" in img.mode or img.mode == "P" else "RGB"))
    except Exception as exc:  # as in _read_header: any failure of the decoder on these bytes
        if "runcated" in str(exc):
            raise InputError(f"{p}: truncated image file (the data ends early); re-copy or re-export it") from None
        raise InputError(f"{p}: corrupt or unsupported image data ({type(exc).__name__}: {exc}); "
                         "re-export it as PNG or JPEG") from None


def _to_rgb_float(p: Path, arr: np.ndarray) -> np.ndarray:
    """Any dtype and channel layout -> float32 (H, W, 3) in [0, 1]."""
    f = _to_unit_float(p, arr)
    if f.ndim == 2:
        f = f[..., None]
    if f.shape[2] < 3:  # gray, gray + alpha
        f = np.repeat(f[..., :1], 3, axis=2)
    return np.ascontiguousarray(f[..., :3], dtype=np.float32)  # drop alpha and any extra planes


def _to_unit_float(p: Path, arr: np.ndarray) -> np.ndarray:
    if arr.dtype == bool:
        return arr.astype(np.float32)
    if arr.dtype in (np.uint8, np.uint16):
        return arr.astype(np.float32) * np.float32(1.0 / np.iinfo(arr.dtype).max)
    if np.issubdtype(arr.dtype, np.integer):  # signed or 32-bit samples: exact in float64, negatives clipped
        top = float(np.iinfo(arr.dtype).max)
        return np.clip(arr.astype(np.float64) / top, 0.0, 1.0).astype(np.float32)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError(f"{p}: float image contains NaN or infinite values; fix or re-export the file")
        return np.clip(arr.astype(np.float32), 0.0, 1.0)
    raise InputError(f"{p}: unsupported pixel type {arr.dtype}; re-export as 8- or 16-bit PNG/TIFF")


_ORIENTATIONS: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: np.swapaxes(a, 0, 1),
    6: lambda a: np.swapaxes(a, 0, 1)[:, ::-1],
    7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
    8: lambda a: np.swapaxes(a, 0, 1)[::-1, :],
}


def _apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF orientation (1-8) so the text is upright as the camera showed it."""
    op = _ORIENTATIONS.get(orientation)
    return np.ascontiguousarray(op(img)) if op else img


def _load_raw(p: Path, handle: BinaryIO, max_pixels: int) -> np.ndarray:
    try:
        import rawpy
    except ImportError:
        raise InputError(f"{p}: reading camera RAW files needs rawpy; install it with "
                         "`pip install did-ocr[raw]` (or `pip install rawpy`)") from None
    try:
        with rawpy.RawPy() as raw:
            raw.open_buffer(handle)  # parses the header only: the size is known before unpacking
            _check_pixels(p, int(raw.sizes.width), int(raw.sizes.height), max_pixels)
            raw.unpack()
            rgb16 = raw.postprocess(gamma=(1, 1), no_auto_bright=True, output_bps=16, use_camera_wb=True,
                                    output_color=rawpy.ColorSpace.sRGB, bright=1.0)
    except InputError:
        raise
    except Exception as exc:  # rawpy raises LibRaw* errors of several kinds
        raise InputError(f"{p}: not a RAW file rawpy/LibRaw can decode ({type(exc).__name__}); "
                         "convert it to DNG or 16-bit TIFF") from None
    return rgb16.astype(np.float32) / 65535.0
