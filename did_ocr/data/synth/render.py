"""Rendering clean, well-lit images of the text people photograph at night.

A scene is a background (flat, gradient, procedural texture, or one of the real
photographs shipped with scikit-image) with text laid out as one of five kinds:

* ``sign``: a coloured panel with a border and one or two lines of large text;
* ``plate``: a licence plate (white or yellow, dark characters);
* ``shopfront``: bright letters directly on a darker photo or texture;
* ``label``: a small tag with a word and a price;
* ``document``: a page filling the frame with several lines of small print.

Then a mild perspective warp and optional blur. The words that were drawn are
returned in reading order (top-to-bottom, left-to-right), which is the ground
truth the benchmark scores against.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from did_ocr.data.synth import text as textgen
from did_ocr.data.synth.fonts import load_font, system_fonts

SCENE_KINDS: tuple[str, ...] = ("sign", "plate", "shopfront", "label", "document")
_SCENE_WEIGHTS = (0.34, 0.14, 0.2, 0.14, 0.18)
# scikit-image sample photographs that ship inside the package (no download) and contain no text.
_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry",
           "retina", "brick", "grass", "gravel", "camera", "moon", "coins", "clock", "cell", "colorwheel")


@dataclass
class Scene:
    """A clean rendered image and its ground truth."""

    image: np.ndarray  # uint8 sRGB, (H, W, 3)
    lines: list[str]  # text lines in reading order
    kind: str

    @property
    def text(self) -> str:
        """All words, space separated, in reading order."""
        return " ".join(self.lines)


@functools.lru_cache(maxsize=1)
def _photos() -> tuple[np.ndarray, ...]:
    import skimage.data

    out = []
    for name in _PHOTOS:
        try:
            img = np.asarray(getattr(skimage.data, name)())
        except Exception:  # an image missing from this scikit-image version is simply skipped
            continue
        if img.dtype != np.uint8:
            img = (np.clip(img.astype(np.float64) / max(float(img.max()), 1e-9), 0, 1) * 255).astype(np.uint8)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        out.append(np.ascontiguousarray(img[..., :3]))
    return tuple(out)


def _colour(rng: np.random.Generator, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    return rng.uniform(lo, hi, size=3)


def _luma(rgb: np.ndarray) -> float:
    return float(rgb @ np.array([0.299, 0.587, 0.114]))


def _contrasting(rng: np.random.Generator, against: np.ndarray, min_diff: float = 0.45) -> np.ndarray:
    """A colour whose luma differs from ``against`` by at least ``min_diff`` (text must be legible)."""
    base = _luma(against)
    for _ in range(50):
        c = _colour(rng)
        if abs(_luma(c) - base) >= min_diff:
            return c
    return np.full(3, 0.05 if base > 0.5 else 0.95)


def render_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Float sRGB background in [0, 1] with no text: flat, gradient, texture or photo (also used to count
    the words enhancers make up where there are none: benchmarks/false_words.py)."""
    kind = rng.choice(4, p=[0.2, 0.25, 0.2, 0.35])
    if kind == 0:
        return np.broadcast_to(_colour(rng), (h, w, 3)).copy()
    if kind == 1:
        a, b = _colour(rng), _colour(rng)
        angle = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        return a[None, None] * (1 - t[..., None]) + b[None, None] * t[..., None]
    if kind == 2:
        tex = np.zeros((h, w), np.float32)
        for octave in range(4):
            cell = max(2, int(2 ** (octave + 2)))
            small = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
            tex += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)[:h, :w] / (octave + 1)
        tex = (tex - tex.min()) / max(float(tex.max() - tex.min()), 1e-6)
        a, b = _colour(rng), _colour(rng)
        return a[None, None] * (1 - tex[..., None]) + b[None, None] * tex[..., None]
    photos = _photos()
    if not photos:
        return np.broadcast_to(_colour(rng), (h, w, 3)).copy()
    photo = photos[rng.integers(len(photos))]
    ph, pw = photo.shape[:2]
    scale = rng.uniform(max(h / ph, w / pw), max(h / ph, w / pw) * 2.0)
    crop_h, crop_w = min(ph, int(np.ceil(h / scale))), min(pw, int(np.ceil(w / scale)))
    y0, x0 = rng.integers(0, ph - crop_h + 1), rng.integers(0, pw - crop_w + 1)
    crop = photo[y0:y0 + crop_h, x0:x0 + crop_w]
    img = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return img * _colour(rng, 0.6, 1.0)[None, None]


def _pick_font(rng: np.random.Generator) -> str | None:
    fonts = system_fonts()
    return None if not fonts else fonts[rng.integers(len(fonts))]


def _fit_font(path: str | None, lines: list[str], box_w: float, box_h: float, max_size: int, min_size: int = 9):
    """The largest font size (<= max_size) at which every line fits the box; None if none fits."""
    size = max_size
    while size >= min_size:
        font = load_font(path, size)
        widths, heights = zip(*[_text_size(font, ln) for ln in lines])
        total_h = sum(heights) + (len(lines) - 1) * size * 0.35
        if max(widths) <= box_w and total_h <= box_h:
            return font
        size = int(size * 0.9) if size > 12 else size - 1
    return None


def _text_size(font, line: str) -> tuple[int, int]:
    left, top, right, bottom = font.getbbox(line)
    return right - left, bottom - top


def _draw_lines(draw: ImageDraw.ImageDraw, font, lines: list[str], box: tuple[float, float, float, float],
                fill: tuple[int, int, int], align: str = "center") -> None:
    """Draw lines stacked vertically, centred in ``box`` = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    sizes = [_text_size(font, ln) for ln in lines]
    gap = font.size * 0.35
    total_h = sum(h for _, h in sizes) + gap * (len(lines) - 1)
    y = y0 + (y1 - y0 - total_h) / 2
    for ln, (tw, th) in zip(lines, sizes):
        left, top, _, _ = font.getbbox(ln)
        x = x0 + (x1 - x0 - tw) / 2 if align == "center" else x0
        draw.text((x - left, y - top), ln, font=font, fill=fill)
        y += th + gap


def _to_pil(img: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))


def _rgb8(c: np.ndarray) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in np.clip(c * 255 + 0.5, 0, 255))
    return r, g, b


def _panel_scene(rng: np.random.Generator, h: int, w: int, lines: list[str], panel: np.ndarray,
                 ink: np.ndarray, frac_w: float, frac_h: float, max_size: int, border: bool) -> Image.Image | None:
    """A panel (sign, plate, label) of relative size frac_w x frac_h on a background, text inside."""
    img = _to_pil(render_background(rng, h, w))
    draw = ImageDraw.Draw(img)
    pw, ph = int(w * frac_w), int(h * frac_h)
    px, py = int(rng.integers(0, w - pw + 1)), int(rng.integers(0, h - ph + 1))
    radius = int(rng.integers(0, max(1, min(pw, ph) // 6)))
    outline = _rgb8(ink) if border else None
    draw.rounded_rectangle((px, py, px + pw, py + ph), radius=radius, fill=_rgb8(panel), outline=outline,
                           width=max(1, min(pw, ph) // 30))
    pad = max(3, min(pw, ph) // 10)
    font = _fit_font(_pick_font(rng), lines, pw - 2 * pad, ph - 2 * pad, max_size)
    if font is None:
        return None
    _draw_lines(draw, font, lines, (px + pad, py + pad, px + pw - pad, py + ph - pad), _rgb8(ink))
    return img


def _sign(rng, h, w):
    lines = [textgen.line(rng, 2) for _ in range(int(rng.integers(1, 3)))]
    panel = _colour(rng)
    return lines, _panel_scene(rng, h, w, lines, panel, _contrasting(rng, panel), rng.uniform(0.6, 0.98),
                               rng.uniform(0.35, 0.8), max_size=int(h * 0.35), border=rng.random() < 0.5)


def _plate(rng, h, w):
    lines = [textgen.plate(rng)]
    panel = np.array([0.95, 0.95, 0.93]) if rng.random() < 0.6 else np.array([0.98, 0.82, 0.1])
    ink = np.array([0.05, 0.05, 0.08]) if rng.random() < 0.85 else np.array([0.1, 0.1, 0.5])
    return lines, _panel_scene(rng, h, w, lines, panel * rng.uniform(0.85, 1.0), ink, rng.uniform(0.6, 0.95),
                               rng.uniform(0.25, 0.45), max_size=int(h * 0.3), border=True)


def _label(rng, h, w):
    lines = [textgen.word(rng), textgen.price(rng)]
    panel = _colour(rng, 0.5, 1.0)
    return lines, _panel_scene(rng, h, w, lines, panel, _contrasting(rng, panel), rng.uniform(0.4, 0.8),
                               rng.uniform(0.4, 0.8), max_size=int(h * 0.25), border=rng.random() < 0.3)


def _shopfront(rng, h, w):
    lines = [textgen.line(rng, 2) for _ in range(int(rng.integers(1, 3)))]
    img = _to_pil(render_background(rng, h, w) * rng.uniform(0.15, 0.5))
    ink = _colour(rng, 0.55, 1.0)
    font = _fit_font(_pick_font(rng), lines, w * 0.9, h * 0.8, int(h * 0.4))
    if font is None:
        return lines, None
    draw = ImageDraw.Draw(img)
    bw, bh = w * rng.uniform(0.9, 1.0), h * rng.uniform(0.5, 0.9)
    x0, y0 = rng.uniform(0, w - bw + 1), rng.uniform(0, h - bh + 1)
    _draw_lines(draw, font, lines, (x0, y0, x0 + bw, y0 + bh), _rgb8(ink))
    return lines, img


def _document(rng, h, w):
    paper = np.array([0.93, 0.92, 0.88]) * rng.uniform(0.8, 1.0)
    img = _to_pil(np.broadcast_to(paper, (h, w, 3)) * (0.9 + 0.1 * render_background(rng, h, w)))
    ink = _colour(rng, 0.0, 0.25)
    size = int(rng.integers(max(10, h // 22), max(12, h // 9)))
    font_path = _pick_font(rng)
    font = load_font(font_path, size)
    draw = ImageDraw.Draw(img)
    margin = int(w * rng.uniform(0.04, 0.1))
    y = margin
    lines: list[str] = []
    while True:
        words: list[str] = []
        for _ in range(8):
            candidate = " ".join([*words, textgen.token(rng)])
            if _text_size(font, candidate)[0] > w - 2 * margin:
                break
            words = candidate.split(" ")
        if not words:
            break
        ln = " ".join(words)
        left, top, _, bottom = font.getbbox(ln)
        if y + (bottom - top) > h - margin:
            break
        draw.text((margin - left, y - top), ln, font=font, fill=_rgb8(ink))
        lines.append(ln)
        y += int((bottom - top) + size * rng.uniform(0.5, 0.9))
    return lines, img


_BUILDERS = {"sign": _sign, "plate": _plate, "shopfront": _shopfront, "label": _label, "document": _document}


def _perspective_and_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    if rng.random() < 0.7:
        jitter = 0.04 * min(h, w)
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = src + rng.uniform(-jitter, jitter, size=(4, 2)).astype(np.float32)
        m = cv2.getPerspectiveTransform(src, dst)
        img = cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if rng.random() < 0.4:
        img = cv2.GaussianBlur(img, (0, 0), sigmaX=float(rng.uniform(0.3, 1.0)))
    return img


def render_scene(rng: np.random.Generator, height: int = 256, width: int = 256, kind: str | None = None) -> Scene:
    """Render one clean scene with text; ``kind`` is random (weighted) unless given."""
    if kind is not None and kind not in _BUILDERS:
        raise ValueError(f"unknown scene kind {kind!r}; choose from {SCENE_KINDS}")
    for _ in range(20):
        chosen = kind or str(rng.choice(SCENE_KINDS, p=_SCENE_WEIGHTS))
        lines, img = _BUILDERS[chosen](rng, height, width)
        if img is not None and lines:
            arr = _perspective_and_blur(np.asarray(img, dtype=np.uint8), rng)
            return Scene(image=np.ascontiguousarray(arr), lines=lines, kind=chosen)
    raise RuntimeError(f"could not lay out text on a {width}x{height} canvas")
