"""Darken well-lit images with did-ocr's capture simulation -> a benchmark dataset.

For real text appearance without real dark captures: every image of
``SRC/high`` (with ``SRC/labels.csv``) gets a simulated dark capture at a
light level (cycled over ``--levels``), from a random stream seeded by
(seed, index), so the output is reproducible byte for byte. Writes the
standard layout with a ``level`` column.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from data_prep.common import images_by_stem, new_parser, place, prepare_out, run_cli
from did_ocr.data.dataset import read_labels, write_dataset_meta, write_labels
from did_ocr.errors import DidOcrError

def darken_dataset(src: str | Path, out: str | Path, levels: list[str], seed: int = 0, encoding: str = "srgb8",
                   limit: int | None = None, min_side: int = 0, each_level: bool = False) -> int:
    """Darken ``src/high`` into ``out``; with ``each_level`` every image is darkened at every level
    (as ``NAME_LEVEL``), so that levels are compared on the same images."""
    from tqdm import tqdm

    from did_ocr.capture import load_capture
    from did_ocr.capture.colorspace import linear_to_srgb
    from did_ocr.capture.save import save_linear_png16, save_srgb_png
    from did_ocr.data.synth.generator import level_schedule, sample_rng
    from did_ocr.data.synth.simulate import expose, quantize, sample_params

    src, out = Path(src), Path(out)
    highs = images_by_stem(src / "high")
    labels = read_labels(src / "labels.csv") if (src / "labels.csv").exists() else {}
    names = sorted(highs)[: limit or None]
    if not names:
        raise DidOcrError(f"{src / 'high'}: no images")
    if each_level:
        jobs = [(name, level, f"{name}_{level}") for name in names for level in levels]
    else:
        jobs = [(name, level, name) for name, level in zip(names, level_schedule(len(names), levels))]
    prepare_out(out)
    rows = []
    for i, (name, level, out_name) in enumerate(tqdm(jobs, desc="darken", unit="img")):
        clean = load_capture(highs[name])
        if min(clean.shape[:2]) < min_side:
            continue
        rng = sample_rng(seed, i)
        params = sample_params(rng, level, encoding)
        dark = quantize(expose(clean, params, rng), params.encoding)
        if encoding == "linear16":
            save_linear_png16(out / "low" / f"{out_name}.png", dark)
        else:
            save_srgb_png(out / "low" / f"{out_name}.png", linear_to_srgb(dark))
        place(highs[name], out / "high" / f"{out_name}{highs[name].suffix.lower()}", "copy")
        rows.append({"name": out_name, "text": labels.get(name, {}).get("text", ""), "level": level})
    write_labels(out / "labels.csv", rows, columns=("name", "text", "level"))
    write_dataset_meta(out, source=f"{src} darkened by did-ocr's capture simulation", seed=seed, levels=levels,
                       low_encoding="linear" if encoding == "linear16" else "srgb", high_encoding="srgb")
    return len(rows)

def main(args: argparse.Namespace) -> str:
    n = darken_dataset(args.src, args.out, args.levels.split(","), args.seed, args.encoding, args.limit, args.min_side,
                       args.each_level)
    return f"wrote {n} darkened images to {args.out}"

def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("darken", __doc__, (("src", "a dataset with high/ (and labels.csv)"), ("out", "output dataset folder")))
    parser.add_argument("--levels", default="dim,dark,night,extreme")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoding", choices=["srgb8", "linear16"], default="srgb8")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--min-side", type=int, default=0, help="skip images whose shorter side is smaller")
    parser.add_argument("--each-level", action="store_true",
                        help="darken every image at every level (NAME_LEVEL) instead of cycling the levels")
    return parser

if __name__ == "__main__":
    run_cli(build_parser(), main)
