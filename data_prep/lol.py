"""LOL (Wei et al. 2018, "Deep Retinex Decomposition for Low-Light Enhancement") -> standard layout.

LOL ships ``our485/{low,high}/*.png`` (training) and ``eval15/{low,high}/*.png``
(test). SRC is the folder holding them (or its parent, e.g. the unzipped
``LOLdataset/``). ``--split`` picks one split or ``all``; a name present in
more than one chosen split is prefixed with its split (``our485_1``,
``eval15_1``), other names are kept as they are. Images are copied (or
hard-linked with ``--mode link``); the split is kept as a ``split`` column.
LOL has no text: labels.csv gets empty texts, unless ``--annotations`` merges
LOL-Text word boxes (see ``data_prep.icdar``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from data_prep.common import (Converted, Pair, add_mode_argument, add_output_arguments, find_dir, images_by_stem,
                              new_parser, partner, run_cli, start_output, write_pairs)
from data_prep.icdar import merge_annotations_into
from did_ocr.data.dataset import write_dataset_meta
from did_ocr.errors import DatasetError

SPLITS = ("our485", "eval15")


def find_lol_root(src: Path, splits: tuple[str, ...]) -> Path:
    """The folder holding the split folders: SRC itself or its only sub-folder that does."""
    if not src.is_dir():
        raise DatasetError(f"{src}: folder not found; pass the LOL folder holding our485/ and eval15/")
    if any(find_dir(src, s) for s in splits):
        return src
    inner = [d for d in sorted(src.iterdir()) if d.is_dir() and any(find_dir(d, s) for s in splits)]
    if len(inner) == 1:
        return inner[0]
    raise DatasetError(f"{src}: no LOL split folder ({', '.join(splits)}) found in it or in one sub-folder")


def lol_pairs(src: Path, split: str = "all") -> list[Pair]:
    """Every low/high pair of the chosen split(s); colliding names are prefixed with their split."""
    splits = SPLITS if split == "all" else (split,)
    root = find_lol_root(src, splits)
    found: dict[str, tuple[dict[str, Path], dict[str, Path], Path]] = {}
    for name in splits:
        folder = find_dir(root, name)
        if folder is None:
            continue
        low_dir, high_dir = find_dir(folder, "low") or folder / "low", find_dir(folder, "high") or folder / "high"
        found[name] = (images_by_stem(low_dir), images_by_stem(high_dir), high_dir)
    counts = Counter(stem for lows, _, _ in found.values() for stem in lows)
    return [Pair(name=f"{s}_{stem}" if counts[stem] > 1 else stem, low=low,
                 high=partner(stem, highs, low, high_dir), labels={"split": s}, source_name=stem)
            for s, (lows, highs, high_dir) in found.items() for stem, low in lows.items()]


def convert_lol(src: str | Path, out: str | Path, split: str = "all", mode: str = "copy",
                annotations: str | Path | None = None, overwrite: bool = False) -> Converted:
    """Convert a LOL folder into the standard layout at ``out``."""
    src, out = Path(src), Path(out)
    pairs = lol_pairs(src, split)
    if not pairs:
        raise DatasetError(f"{src}: the LOL split folders hold no images")
    start_output(out, src, overwrite)
    write_pairs(out, pairs, mode, columns=("name", "text", "split"))
    write_dataset_meta(out, source="LOL (Wei et al. 2018)", splits=sorted({p.labels["split"] for p in pairs}),
                       low_encoding="srgb", high_encoding="srgb")
    return Converted("LOL", out, len(pairs), (merge_annotations_into(out, annotations, pairs),))


def main(args: argparse.Namespace) -> str:
    return convert_lol(args.src, args.out, args.split, args.mode, args.annotations, args.overwrite).summary()


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("lol", __doc__, (("src", "LOL root (holding our485/ and/or eval15/)"),
                                         ("out", "output dataset folder")))
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all", help="which split(s) to convert")
    add_mode_argument(parser)
    add_output_arguments(parser)
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
