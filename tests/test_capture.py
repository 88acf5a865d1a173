"""Capture loading: every supported format, bit depth and layout, and clean errors for bad files."""

import io
import re
import struct
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from did_ocr.capture import is_raw_path, load_capture
from did_ocr.capture.colorspace import linear_to_srgb, srgb_to_linear
from did_ocr.errors import InputError

RNG = np.random.default_rng(0)
_yy, _xx = np.mgrid[0:20, 0:30]
# a smooth image (JPEG keeps it faithfully) with a little texture
RGB8 = np.clip(np.stack([_xx * 8, _yy * 12, 255 - _xx * 5], axis=-1) + RNG.integers(0, 6, (20, 30, 3)), 0, 255).astype(np.uint8)


def check(img, shape=(20, 30, 3)):
    assert img.shape == shape and img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0


@pytest.mark.parametrize("ext", ["png", "jpg", "bmp", "webp", "tif"])
def test_8bit_formats(tmp_path, ext):
    path = tmp_path / f"a.{ext}"
    Image.fromarray(RGB8).save(path, **({"quality": 100} if ext == "jpg" else {"lossless": True} if ext == "webp" else {}))
    img = load_capture(path)
    check(img)
    expected = srgb_to_linear(RGB8.astype(np.float32) / 255)
    tol = 0.05 if ext == "jpg" else 1e-6
    assert np.abs(img - expected).mean() < tol


def test_16bit_png_and_tiff_keep_precision(tmp_path):
    rgb16 = (RNG.random((20, 30, 3)) * 65535).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "a.png"), rgb16[..., ::-1])
    tifffile.imwrite(tmp_path / "a.tif", rgb16)
    for name in ("a.png", "a.tif"):
        img = load_capture(tmp_path / name, linear=True)
        check(img)
        assert np.allclose(img, rgb16 / 65535.0, atol=1e-6)


def test_float_tiff_is_clipped_and_linear_flag_skips_decoding(tmp_path):
    f = RNG.random((20, 30, 3)).astype(np.float32) * 1.5 - 0.2
    tifffile.imwrite(tmp_path / "f.tif", f)
    img = load_capture(tmp_path / "f.tif", linear=True)
    assert np.allclose(img, np.clip(f, 0, 1))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_float_tiff_with_nan_or_inf_is_refused(tmp_path, bad):
    f = RNG.random((20, 30, 3)).astype(np.float32)
    f[3, 4, 1] = bad
    tifffile.imwrite(tmp_path / "f.tif", f)
    with pytest.raises(InputError, match="NaN or infinite"):
        load_capture(tmp_path / "f.tif")


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "I;16"])
def test_channel_layouts(tmp_path, mode):
    src = Image.fromarray(RGB8)
    img = src.convert("L").convert("I;16") if mode == "I;16" else src.convert(mode)
    img.save(tmp_path / "x.png")
    out = load_capture(tmp_path / "x.png")
    check(out)
    if mode in ("L", "LA", "I;16"):
        assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2])


def test_cmyk_jpeg(tmp_path):
    Image.fromarray(RGB8).convert("CMYK").save(tmp_path / "c.jpg", quality=100)
    out = load_capture(tmp_path / "c.jpg")
    check(out)
    reference = srgb_to_linear(np.asarray(Image.open(tmp_path / "c.jpg").convert("RGB")).astype(np.float32) / 255)
    assert np.abs(out - reference).mean() < 0.05


def test_exif_orientation_is_applied(tmp_path):
    img = Image.fromarray(RGB8)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    img.save(tmp_path / "o.jpg", exif=exif, quality=100)
    out = load_capture(tmp_path / "o.jpg")
    check(out, shape=(30, 20, 3))
    expected = srgb_to_linear(np.rot90(RGB8, k=-1).astype(np.float32) / 255)
    assert np.abs(out - expected).mean() < 0.05


def test_non_ascii_file_name(tmp_path):
    path = tmp_path / "nuit_été_夜.png"
    Image.fromarray(RGB8).save(path)
    check(load_capture(path))


def test_srgb_round_trip():
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    assert np.allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-5)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header(width: int, height: int) -> bytes:
    """A small, valid-looking PNG whose header announces a gigantic image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file"),
    ("directory", "is a directory"),
    ("empty", "empty file"),
    ("text", "not an image"),
    ("truncated_png", "truncated"),
    ("truncated_jpg", "truncated"),
    ("bomb", "decompression-bomb"),
    ("fake_raw", "RAW"),
])
def test_bad_inputs_give_one_clear_line(tmp_path, case, message):
    path = tmp_path / {"directory": "dir.png", "text": "t.png", "truncated_png": "t.png", "truncated_jpg": "t.jpg",
                       "bomb": "b.png", "fake_raw": "f.dng"}.get(case, "x.png")
    if case == "directory":
        path.mkdir()
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "text":
        path.write_text("this is not an image\n")
    elif case in ("truncated_png", "truncated_jpg"):
        buf = io.BytesIO()
        Image.fromarray((RNG.random((200, 300, 3)) * 255).astype(np.uint8)).save(buf, format="PNG" if case.endswith("png") else "JPEG")
        path.write_bytes(buf.getvalue()[: len(buf.getvalue()) * 2 // 3])
    elif case == "bomb":
        path.write_bytes(_png_header(100_000, 100_000))
    elif case == "fake_raw":
        path.write_bytes(b"II*\x00" + b"\x00" * 200)
    with pytest.raises(InputError, match=message) as info:
        load_capture(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_zero_sized_image_is_refused(tmp_path):
    tifffile.imwrite(tmp_path / "z.tif", np.zeros((0, 5, 3), np.uint8))
    with pytest.raises(InputError):
        load_capture(tmp_path / "z.tif")


def test_one_pixel_image_loads(tmp_path):
    Image.fromarray(RGB8[:1, :1]).save(tmp_path / "p.png")
    check(load_capture(tmp_path / "p.png"), shape=(1, 1, 3))


def _write_minimal_dng(path, width=64, height=64, value=None):
    """A tiny CFA DNG (RGGB, black 500, white 4500; random or constant ``value``) written by tifffile."""
    cfa = (RNG.random((height, width)) * 4000 + 500).astype(np.uint16) if value is None else \
        np.full((height, width), value, np.uint16)
    extratags = [(50706, "B", 4, (1, 4, 0, 0)),  # DNGVersion
                 (33421, "H", 2, (2, 2)), (33422, "B", 4, (0, 1, 1, 2)),  # CFARepeatPatternDim, CFAPattern RGGB
                 (50714, "H", 1, (500,)), (50717, "H", 1, (4500,)),  # BlackLevel, WhiteLevel
                 (50721, "f", 9, (1, 0, 0, 0, 1, 0, 0, 0, 1)),  # ColorMatrix1
                 (50728, "f", 3, (1.0, 1.0, 1.0))]  # AsShotNeutral
    tifffile.imwrite(path, cfa, photometric=32803, extratags=extratags, subfiletype=0)
    return path


@pytest.fixture(params=[None, 1500], ids=["random", "constant"])
def dng(tmp_path, request):
    """A minimal DNG rawpy reads, or a skip if this LibRaw refuses it (the error path is tested anyway)."""
    rawpy = pytest.importorskip("rawpy")
    path = _write_minimal_dng(tmp_path / "tiny.dng", value=request.param)
    try:
        with rawpy.imread(str(path)):
            pass
    except Exception:
        pytest.skip("this LibRaw does not accept the minimal DNG")
    return path


def test_real_raw_decoding_is_linear_with_the_files_levels(dng):
    out = load_capture(dng)
    assert out.shape == (64, 64, 3) and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    # black 500 and white 4500 from the file, no gamma, no auto-brightening (identity colour matrices):
    # random values in [500, 4500] average 0.5; a constant 1500 is (1500 - 500) / 4000 = 0.25 (0.54 with sRGB gamma)
    expected = 0.25 if np.ptp(tifffile.imread(dng)) == 0 else 0.5
    assert np.allclose(out.mean(axis=(0, 1)), expected, atol=0.03)


def test_raw_size_is_checked_before_decoding(dng):
    with pytest.raises(InputError, match="decompression-bomb"):
        load_capture(dng, max_pixels=64 * 64 - 1)


def test_missing_rawpy_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rawpy", None)  # makes `import rawpy` raise ImportError
    path = _write_minimal_dng(tmp_path / "photo.DNG")
    with pytest.raises(InputError, match=re.escape("pip install did-ocr[raw]")):
        load_capture(path)


def test_is_raw_path():
    assert is_raw_path("a/B.ARW") and is_raw_path("x.dng") and is_raw_path(Path("y.Cr2"))
    assert not is_raw_path("x.png") and not is_raw_path("dng")


def test_jpeg_with_data_after_the_image_loads(tmp_path):
    """Phones append data after the JPEG end marker (motion photos, MPF); that is not truncation."""
    buf = io.BytesIO()
    Image.fromarray(RGB8).save(buf, format="JPEG", quality=100)
    (tmp_path / "motion.jpg").write_bytes(buf.getvalue() + b"\x00\x00\x00\x18ftypmp42" + bytes(20_000))
    check(load_capture(tmp_path / "motion.jpg"))


def test_16bit_rgba_png_keeps_precision_and_drops_alpha(tmp_path):
    rgba16 = (RNG.random((20, 30, 4)) * 65535).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "a.png"), rgba16[..., [2, 1, 0, 3]])
    assert np.allclose(load_capture(tmp_path / "a.png", linear=True), rgba16[..., :3] / 65535.0, atol=1e-6)


def test_linear_flag_skips_srgb_decoding(tmp_path):
    Image.fromarray(RGB8).save(tmp_path / "a.png")
    as_linear = load_capture(tmp_path / "a.png", linear=True)
    assert np.allclose(as_linear, RGB8 / 255.0, atol=1e-6)
    assert np.allclose(load_capture(tmp_path / "a.png"), srgb_to_linear(as_linear), atol=1e-6)


def test_pixel_limit_is_configurable(tmp_path, monkeypatch):
    Image.fromarray(RGB8).save(tmp_path / "a.png")
    with pytest.raises(InputError, match="30x20 pixels is more than the limit of 599"):
        load_capture(tmp_path / "a.png", max_pixels=599)
    monkeypatch.setenv("DID_OCR_MAX_PIXELS", "599")
    with pytest.raises(InputError, match="decompression-bomb"):
        load_capture(tmp_path / "a.png")
    monkeypatch.setenv("DID_OCR_MAX_PIXELS", "lots")
    with pytest.raises(InputError, match="DID_OCR_MAX_PIXELS"):
        load_capture(tmp_path / "a.png")


def _phone_bytes(fmt: str, img: np.ndarray, orientation: int = 1) -> bytes:
    """An image as HEIF (pillow-heif) or AVIF (Pillow), with an EXIF orientation."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt, exif=exif.tobytes(), quality=100)
    return buf.getvalue()


@pytest.mark.parametrize("fmt, ext", [("HEIF", "heic"), ("AVIF", "avif")])
def test_phone_formats_load_upright(tmp_path, fmt, ext):
    path = tmp_path / f"photo.{ext}"
    path.write_bytes(_phone_bytes(fmt, RGB8, orientation=6))  # "rotate 90 degrees clockwise to display"
    out = load_capture(path)
    check(out, shape=(30, 20, 3))
    expected = srgb_to_linear(np.rot90(RGB8, k=-1).astype(np.float32) / 255)
    assert np.abs(out - expected).mean() < 0.05


def test_heic_without_pillow_heif_says_what_to_install(tmp_path, monkeypatch):
    import did_ocr.capture.load as load

    path = tmp_path / "p.heic"
    path.write_bytes(_phone_bytes("HEIF", RGB8))
    monkeypatch.setattr(load, "_register_heif", lambda: False)
    with pytest.raises(InputError, match="pip install pillow-heif"):
        load_capture(path)


@pytest.mark.parametrize("fmt, ext", [("HEIF", "heic"), ("AVIF", "avif")])
def test_broken_phone_files_give_one_clear_line(tmp_path, fmt, ext):
    data = _phone_bytes(fmt, (RNG.random((64, 64, 3)) * 255).astype(np.uint8))
    for name, payload in ((f"cut.{ext}", data[: len(data) // 2]), (f"head.{ext}", data[:40])):
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(InputError) as info:
            load_capture(tmp_path / name)
        assert "\n" not in str(info.value) and str(tmp_path / name) in str(info.value)


def test_bytes_and_arrays_load_like_files(tmp_path):
    from did_ocr.capture.load import capture_from_array, load_capture_bytes

    Image.fromarray(RGB8).save(tmp_path / "a.png")
    from_file = load_capture(tmp_path / "a.png")
    assert np.array_equal(load_capture_bytes((tmp_path / "a.png").read_bytes(), "upload.png"), from_file)
    assert np.array_equal(capture_from_array(RGB8), from_file)
    assert np.allclose(capture_from_array(RGB8.astype(np.float32) / 255, linear=True), RGB8 / 255, atol=1e-6)
    check(capture_from_array(RGB8[..., 0]))
    with pytest.raises(InputError, match="empty input"):
        load_capture_bytes(b"", "upload.png")
    with pytest.raises(InputError, match="upload.jpg: not an image"):
        load_capture_bytes(b"<html>oops</html>", "upload.jpg")
    with pytest.raises(InputError, match=r"must be \(H, W\)"):
        capture_from_array(np.zeros((2, 2, 2, 2)))
