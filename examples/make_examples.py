"""Make the bundled example photos with did-ocr's own renderer and capture simulation.

No outside data: each example is a rendered sign or label, photographed by the
simulated camera at a named light level (see did_ocr/data/synth/simulate.py),
stored as an 8-bit sRGB PNG like a phone would. Re-running gives the same bytes.

    .venv/bin/python examples/make_examples.py
"""

from __future__ import annotations

from pathlib import Path

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.capture.save import save_srgb_png
from did_ocr.data.synth.generator import make_sample

HERE = Path(__file__).resolve().parent
# (file name, seed, index, level, kind, size)
EXAMPLES = [
    ("night_sign.png", 2024, 1, "night", "sign", (192, 384)),
    ("night_plate.png", 2024, 1, "night", "plate", (160, 320)),
    ("night_shopfront.png", 2024, 0, "night", "shopfront", (192, 384)),
]


def main() -> None:
    lines = []
    for name, seed, index, level, kind, size in EXAMPLES:
        sample = make_sample(seed, index, level, size=size, encoding="srgb8", kind=kind)
        save_srgb_png(HERE / name, linear_to_srgb(sample.dark_linear))
        save_srgb_png(HERE / "well_lit" / name, sample.scene.image)
        lines.append(f"{name},{sample.scene.text},{level}")
        print(f"{name}: {level}, says {sample.scene.text!r}")
    (HERE / "labels.csv").write_text("name,text,level\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
