"""grid.png of a benchmark run: for the first images, each enhancer's output beside the well-lit reference.

The enhanced images are the run's own 8-bit sRGB PNGs (``OUT/images/ENHANCER/NAME.png``).
The well-lit references are loaded through the dataset loader, as the
benchmark scored them: a 16-bit linear reference (SID, ``high_encoding:
linear`` in dataset.json) is decoded as linear light and sRGB-encoded for
display, not shown as if its values were sRGB.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from did_ocr.bench.results import REFERENCE, kept_image
from did_ocr.capture.colorspace import linear_to_srgb8
from did_ocr.imaging.grid import make_grid

WellLit = Callable[[str], "np.ndarray | None"]


def save_bench_grid(out: str | Path, df: pd.DataFrame, grid_images: int) -> None:
    """Write OUT/grid.png from OUT/images/ and the dataset recorded in OUT/protocol.json (nothing without images)."""
    from did_ocr.capture.save import save_srgb_png

    out = Path(out)
    images_dir = out / "images"
    if not images_dir.is_dir():
        return
    enhancers = [e for e in dict.fromkeys(df["enhancer"]) if e != REFERENCE and (images_dir / e).is_dir()]
    names = sorted({p.stem for e in enhancers for p in (images_dir / e).glob("*.png")})[:grid_images]
    if not names:
        return
    well_lit = well_lit_loader(out)
    rows, labels = [], []
    for name in names:
        row = [_read_png(kept_image(out, e, name)) for e in enhancers]
        row.append(well_lit(name))
        truth = df[(df["image"] == name)]["truth"].iloc[0] if (df["image"] == name).any() else ""
        rows.append(row)
        labels.append(f"{name}: {truth}"[:40])
    save_srgb_png(out / "grid.png", make_grid(rows, [*enhancers, "well-lit"], cell=(96, 192), row_labels=labels))


def well_lit_loader(out: Path) -> WellLit:
    """NAME -> the well-lit reference as sRGB uint8 (None without one), from the dataset of OUT/protocol.json."""
    from did_ocr.data.dataset import DatasetWarning, LowLightDataset

    protocol_path = out / "protocol.json"
    protocol = json.loads(protocol_path.read_text()) if protocol_path.exists() else {}
    root = protocol.get("dataset", {}).get("root")
    if not root or not (Path(root) / "low").is_dir():
        return lambda name: None  # a merged run on another machine: the dataset is not here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatasetWarning)  # the run itself announced unpaired images
        dataset = LowLightDataset(root)
    paired = {item.name: item for item in dataset if item.high_path is not None}
    return lambda name: linear_to_srgb8(dataset.load_high(paired[name])) if name in paired else None


def _read_png(path: Path) -> np.ndarray | None:
    """One of the run's own 8-bit sRGB PNGs as RGB uint8 (None when that enhancer has no image of this name)."""
    import cv2

    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) if path.exists() else None
