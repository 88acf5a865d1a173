"""The LowLight dataset of Xu et al. (CVPR 2020, "Learning to Restore Low-Light Images via
Decomposition-and-Enhancement") -> standard layout.

Its folders hold ``input/`` (dark, real noise) and ``gt/`` (well lit) images
matched by file stem, possibly below split folders (``train/``, ``test/``,
...). Every folder below SRC that holds both ``input/`` and ``gt/`` (any
letter case) is converted: input -> low, gt -> high. When there are several
such folders, names are prefixed with the folder's path below SRC
(``test_0001``) and kept in a ``split`` column; with one, names are kept.
A dark image without its gt partner is an error naming it; a gt image
without an input is ignored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from data_prep.common import (Converted, Pair, add_mode_argument, add_output_arguments, find_dir, images_by_stem,
                              new_parser, partner, run_cli, start_output, write_pairs)
from data_prep.icdar import merge_annotations_into
from did_ocr.data.dataset import write_dataset_meta
from did_ocr.errors import DatasetError


def find_groups(src: Path) -> list[tuple[str, Path, Path]]:
    """(split, input folder, gt folder) for every folder at or below ``src`` holding both, sorted by path."""
    if not src.is_dir():
        raise DatasetError(f"{src}: folder not found; pass the LowLight dataset folder")
    groups = []
    for parent in [src, *sorted(p for p in src.rglob("*") if p.is_dir())]:
        inputs, gts = find_dir(parent, "input"), find_dir(parent, "gt")
        if inputs is not None and gts is not None:
            split = "" if parent == src else parent.relative_to(src).as_posix().replace("/", "_")
            groups.append((split, inputs, gts))
    return groups


def xu_pairs(src: Path) -> list[Pair]:
    """Every input/gt pair; names prefixed with the split when there are several groups."""
    groups = find_groups(src)
    if not groups:
        raise DatasetError(f"{src}: no folder holding both input/ and gt/ found at or below it")
    several = len(groups) > 1
    pairs = []
    for split, inputs, gts in groups:
        highs = images_by_stem(gts)
        for stem, low in images_by_stem(inputs).items():
            pairs.append(Pair(name=f"{split}_{stem}" if several and split else stem, low=low,
                              high=partner(stem, highs, low, gts), labels={"split": split} if split else {},
                              source_name=stem))
    return pairs


def convert_lowlight(src: str | Path, out: str | Path, mode: str = "copy", annotations: str | Path | None = None,
                     overwrite: bool = False) -> Converted:
    """Convert the LowLight dataset of Xu et al. into the standard layout at ``out``."""
    src, out = Path(src), Path(out)
    pairs = xu_pairs(src)
    if not pairs:
        raise DatasetError(f"{src}: the input/ folders hold no images")
    start_output(out, src, overwrite)
    write_pairs(out, pairs, mode)  # labels.csv gets a split column when the pairs have one
    write_dataset_meta(out, source="LowLight (Xu et al. 2020)", low_encoding="srgb", high_encoding="srgb")
    return Converted("LowLight (Xu et al.)", out, len(pairs), (merge_annotations_into(out, annotations, pairs),))


def main(args: argparse.Namespace) -> str:
    return convert_lowlight(args.src, args.out, args.mode, args.annotations, args.overwrite).summary()


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("lowlight_xu", __doc__, (("src", "dataset root (folders with input/ and gt/ at or below it)"),
                                                 ("out", "output dataset folder")))
    add_mode_argument(parser)
    add_output_arguments(parser)
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
