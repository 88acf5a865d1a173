"""A contact sheet: clean images and their simulated captures at every light level.

Rows are light levels (the clean image on top); for each sample the dark
capture is shown as stored (what the eye sees) and brightened by the ``gain``
baseline (what is left of the text under the noise).
"""

from __future__ import annotations

import os

from did_ocr.capture.colorspace import linear_to_srgb8
from did_ocr.capture.save import save_srgb_png
from did_ocr.data.synth.generator import make_sample
from did_ocr.data.levels import LEVELS
from did_ocr.enhancers.classical import auto_gain
from did_ocr.imaging.grid import make_grid


def contact_sheet(path: str | os.PathLike[str], seed: int = 0, samples: int = 3) -> None:
    rows: list[list] = [[]]
    labels = ["clean"]
    for level in LEVELS:
        row = []
        for i in range(samples):
            sample = make_sample(seed, i, level, size=(128, 256), kind=("sign", "document", "plate")[i % 3])
            if len(rows[0]) < 2 * samples:
                rows[0] += [sample.scene.image, None]
            row += [linear_to_srgb8(sample.dark_linear), linear_to_srgb8(auto_gain(sample.dark_linear))]
        rows.append(row)
        labels.append(level)
    titles = [t for i in range(samples) for t in (f"#{i + 1} as stored", f"#{i + 1} gain")]
    save_srgb_png(path, make_grid(rows, titles, cell=(96, 192), row_labels=labels))
