"""Loading captures: any common image file or camera RAW -> linear RGB float32 in [0, 1].

Why one loader: the denoiser and the classical enhancers work in linear light
(where exposure and sensor noise are physical), so every input, whatever its
container, bit depth or colour layout, is brought to the same form:

* PNG, JPEG, TIFF, BMP, WebP; 8-bit, 16-bit and float; grayscale (repeated to
  RGB), gray+alpha and RGBA (alpha dropped: dark photos are opaque), palette,
  CMYK JPEG; EXIF orientation applied. Values are sRGB-decoded unless
  ``linear=True`` says the file already holds linear values (16-bit linear
  PNGs from RAW converters or our synthetic RAW-like captures).
* RAW (DNG, ARW, NEF, CR2, CR3, RAF, ORF, RW2, PEF, SRW) through rawpy: the
  file's black and white levels, the camera's white balance, no
  auto-brightening, linear 16-bit output; always linear.

Every problem raises :class:`did_ocr.errors.InputError` with one line naming
the file, what is wrong and what to do. Image dimensions are checked from the
header before any pixel is decoded (a decompression-bomb guard).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from did_ocr.capture.colorspace import srgb_to_linear
from did_ocr.errors import InputError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".dib", ".webp"})
RAW_EXTENSIONS = frozenset({".dng", ".arw", ".nef", ".cr2", ".cr3", ".raf", ".orf", ".rw2", ".pef", ".srw", ".nrw"})
DEFAULT_MAX_PIXELS = int(os.environ.get("DID_OCR_MAX_PIXELS", 100_000_000))
_EXIF_ORIENTATION = 0x0112


def is_raw_path(path: str | os.PathLike[str]) -> bool:
    """Whether the file name says camera RAW."""
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def load_capture(path: str | os.PathLike[str], *, linear: bool = False,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Load an image or RAW file as float32 linear RGB, shape (H, W, 3), values in [0, 1]."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; pass image files (for example {p}/*.png)")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror}); check its permissions") from None
    if size == 0:
        raise InputError(f"{p}: empty file (0 bytes); re-export or re-copy the image")
    if is_raw_path(p):
        return _load_raw(p, max_pixels)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror}); check its permissions") from None
    rgb = _decode(p, data, max_pixels)
    return rgb if linear else srgb_to_linear(rgb)


def _header_size(p: Path, data: bytes) -> tuple[int, int, str, int]:
    """(width, height, format, EXIF orientation) from the header only, without decoding pixels."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own, clearer guard below
    try:
        with Image.open(io.BytesIO(data)) as img:
            try:
                orientation = int(img.getexif().get(_EXIF_ORIENTATION, 1) or 1)
            except Exception:  # a broken EXIF block must not make the image unreadable
                orientation = 1
            return img.size[0], img.size[1], str(img.format or ""), orientation
    except UnidentifiedImageError:
        if p.suffix.lower() in (".tif", ".tiff"):
            return (*_tiff_size(p, data), "TIFF", 1)
        raise InputError(f"{p}: not an image file that can be read (wrong extension, or corrupt); "
                         "use PNG, JPEG, TIFF, BMP, WebP or a camera RAW file") from None
    except (OSError, ValueError, SyntaxError) as exc:
        if "runcated" in str(exc):
            raise InputError(f"{p}: truncated image file (the data ends early); re-copy or re-export it") from None
        raise InputError(f"{p}: corrupt image header ({exc}); re-export the image") from None


def _tiff_size(p: Path, data: bytes) -> tuple[int, int]:
    try:
        import tifffile

        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            shape = tif.pages[0].shape
            axes = tif.pages[0].axes
        h = shape[axes.index("Y")]
        w = shape[axes.index("X")]
        return int(w), int(h)
    except Exception as exc:
        raise InputError(f"{p}: not a readable TIFF ({type(exc).__name__}); re-export it as PNG or TIFF") from None


def _check_pixels(p: Path, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise InputError(f"{p}: image has no pixels ({width}x{height}); use a real photo")
    if width * height > max_pixels:
        raise InputError(f"{p}: {width}x{height} pixels is more than the limit of {max_pixels:,} "
                         "(decompression-bomb guard); downscale the image or raise DID_OCR_MAX_PIXELS")


def _looks_truncated(fmt: str, data: bytes) -> bool:
    """Cheap end-of-stream checks: OpenCV silently returns partial JPEG/PNG images."""
    if fmt == "JPEG":
        return b"\xff\xd9" not in data[-4096:]
    if fmt == "PNG":
        return b"IEND" not in data[-64:]
    return False


def _decode(p: Path, data: bytes, max_pixels: int) -> np.ndarray:
    import cv2

    width, height, fmt, orientation = _header_size(p, data)
    _check_pixels(p, width, height, max_pixels)
    if _looks_truncated(fmt, data):
        raise InputError(f"{p}: truncated {fmt} file (the data ends early); re-copy or re-export it")
    try:
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    except cv2.error:  # OpenCV asserts on some corrupt headers (found by fuzzing); try Pillow instead
        arr = None
    if arr is None:
        arr = _decode_with_pillow(p, data)
    elif arr.ndim == 3 and arr.shape[2] >= 3:
        arr = np.ascontiguousarray(arr[..., [2, 1, 0] + list(range(3, arr.shape[2]))])  # BGR(A) -> RGB(A)
    if arr.size == 0:
        raise InputError(f"{p}: image has no pixels; use a real photo")
    rgb = _to_rgb_float(p, arr)
    return _apply_orientation(rgb, orientation)


def _decode_with_pillow(p: Path, data: bytes) -> np.ndarray:
    """Fallback for files OpenCV cannot decode (some palette, CMYK or exotic TIFF layouts)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                return np.asarray(img)
            return np.asarray(img.convert("RGBA" if "A" in img.mode or img.mode == "P" else "RGB"))
    except Exception as exc:
        raise InputError(f"{p}: corrupt or unsupported image data ({type(exc).__name__}: {exc}); "
                         "re-export it as PNG or JPEG") from None


def _to_rgb_float(p: Path, arr: np.ndarray) -> np.ndarray:
    """Any dtype and channel layout -> float32 (H, W, 3) in [0, 1]."""
    if arr.dtype == np.uint8:
        f = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        f = arr.astype(np.float32) / 65535.0
    elif arr.dtype in (np.int16, np.int32, np.uint32):
        top = float(np.iinfo(arr.dtype).max)
        f = np.clip(arr.astype(np.float64) / top, 0, 1).astype(np.float32)
    elif arr.dtype == bool:
        f = arr.astype(np.float32)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError(f"{p}: float image contains NaN or infinite values; fix or re-export the file")
        f = np.clip(arr.astype(np.float32), 0.0, 1.0)
    else:
        raise InputError(f"{p}: unsupported pixel type {arr.dtype}; re-export as 8- or 16-bit PNG/TIFF")
    if f.ndim == 2:
        f = f[..., None]
    channels = f.shape[2]
    if channels == 1 or channels == 2:  # gray, gray + alpha
        f = np.repeat(f[..., :1], 3, axis=2)
    elif channels >= 3:
        f = f[..., :3]  # drop alpha (and any extra planes)
    return np.ascontiguousarray(f, dtype=np.float32)


def _apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF orientation (1-8) so the text is upright as the camera showed it."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.swapaxes(a, 0, 1)[:, ::-1],
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.swapaxes(a, 0, 1)[::-1, :],
    }
    op = ops.get(orientation)
    return np.ascontiguousarray(op(img)) if op else img


def _load_raw(p: Path, max_pixels: int) -> np.ndarray:
    try:
        import rawpy
    except ImportError:
        raise InputError(f"{p}: reading camera RAW files needs rawpy; install it with "
                         "`pip install did-ocr[raw]` (or `pip install rawpy`)") from None
    try:
        with open(p, "rb") as handle, rawpy.imread(handle) as raw:
            _check_pixels(p, int(raw.sizes.width), int(raw.sizes.height), max_pixels)
            rgb16 = raw.postprocess(gamma=(1, 1), no_auto_bright=True, output_bps=16, use_camera_wb=True,
                                    output_color=rawpy.ColorSpace.sRGB, bright=1.0)
    except InputError:
        raise
    except Exception as exc:  # rawpy raises LibRaw* errors of several kinds
        raise InputError(f"{p}: not a RAW file rawpy/LibRaw can decode ({type(exc).__name__}); "
                         "convert it to DNG or 16-bit TIFF") from None
    return rgb16.astype(np.float32) / 65535.0
