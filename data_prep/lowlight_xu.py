"""The LowLight dataset of Xu et al. (CVPR 2020, "Learning to Restore Low-Light Images via
Decomposition-and-Enhancement") -> standard layout.

Its folders hold ``input/`` (dark) and ``gt/`` (well lit) images matched by
name, possibly under split folders (``train/``, ``test/``...). Every
``input``/``gt`` pair of folders found below the root is converted; names
from different splits are prefixed with the split folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from data_prep.common import add_mode_argument, images_by_stem, new_parser, partner, run_cli, write_pairs
from did_ocr.data.dataset import write_dataset_meta
from did_ocr.errors import DidOcrError


def find_pairs(src: Path) -> list[tuple[str, Path, Path]]:
    """(split, input folder, gt folder) for every folder holding both input/ and gt/."""
    found = []
    for parent in sorted({p.parent for p in src.rglob("input") if p.is_dir()}):
        if (parent / "gt").is_dir():
            split = "" if parent == src else parent.relative_to(src).as_posix().replace("/", "_")
            found.append((split, parent / "input", parent / "gt"))
    return found


def convert_lowlight(src: str | Path, out: str | Path, mode: str = "copy") -> int:
    src, out = Path(src), Path(out)
    found = find_pairs(src)
    if not found:
        raise DidOcrError(f"{src}: no folder with both input/ and gt/ found")
    pairs = []
    for split, inputs, gts in found:
        lows, highs = images_by_stem(inputs), images_by_stem(gts)
        for stem, low in lows.items():
            name = f"{split}_{stem}" if split and len(found) > 1 else stem
            pairs.append((name, low, partner(stem, highs, low, gts), {"split": split}))
    rows = write_pairs(out, pairs, mode, columns=("name", "text", "split"))
    write_dataset_meta(out, source="LowLight (Xu et al. 2020)", low_encoding="srgb", high_encoding="srgb")
    return len(rows)


def main(args: argparse.Namespace) -> str:
    return f"wrote {convert_lowlight(args.src, args.out, args.mode)} pairs to {args.out}"


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("lowlight_xu", __doc__, (("src", "dataset root (folders with input/ and gt/ below it)"),
                                                 ("out", "output dataset folder")))
    add_mode_argument(parser)
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
