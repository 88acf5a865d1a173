"""LOL (Wei et al. 2018, "Deep Retinex Decomposition") -> standard layout.

LOL ships ``our485/{low,high}/*.png`` (training) and ``eval15/{low,high}/*.png``
(test). Both splits can be combined; names that exist in both are prefixed
with the split. LOL has no text labels (labels.csv gets empty texts); add
LOL-Text word annotations with ``data_prep.icdar``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from data_prep.common import add_mode_argument, images_by_stem, new_parser, partner, run_cli, write_pairs
from did_ocr.data.dataset import write_dataset_meta
from did_ocr.errors import DidOcrError

SPLITS = ("our485", "eval15")


def convert_lol(src: str | Path, out: str | Path, split: str = "all", mode: str = "copy") -> int:
    """Convert a LOL folder; returns the number of pairs written."""
    src, out = Path(src), Path(out)
    splits = SPLITS if split == "all" else (split,)
    found = {s: (images_by_stem(src / s / "low"), images_by_stem(src / s / "high")) for s in splits if (src / s).is_dir()}
    if not found:
        raise DidOcrError(f"{src}: no LOL split folders ({', '.join(splits)}) found")
    all_stems = [stem for lows, _ in found.values() for stem in lows]
    pairs = [(f"{s}_{stem}" if all_stems.count(stem) > 1 else stem, low, partner(stem, highs, low, src / s / "high"),
              {"split": s})
             for s, (lows, highs) in found.items() for stem, low in lows.items()]
    rows = write_pairs(out, pairs, mode, columns=("name", "text", "split"))
    write_dataset_meta(out, source="LOL", splits=list(found), low_encoding="srgb", high_encoding="srgb")
    return len(rows)


def main(args: argparse.Namespace) -> str:
    n = convert_lol(args.src, args.out, args.split, args.mode)
    return f"wrote {n} LOL pairs to {args.out}"


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("lol", __doc__, (("src", "LOL root (holding our485/ and/or eval15/)"), ("out", "output dataset folder")))
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    add_mode_argument(parser)
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
