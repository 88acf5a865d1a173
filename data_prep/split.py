"""Split a dataset folder into a training part and a held-out part, reproducibly.

Validation numbers only mean something when the held-out images never
reach training, and the split must be the same on every machine: this
picks the held-out images by their position in name order (``--first N``:
the first N; ``--every K``: every K-th, starting at ``--offset``), so the
same command always gives the same two folders. Both get the standard
layout: ``low/`` and ``high/`` (whichever the source has), the matching
rows of ``labels.csv`` and, when the source has it, of ``words.csv``.

    python -m data_prep.split ../shared/data/svt_train ../runs/data/svt_fit ../runs/data/svt_val --first 30
    python -m data_prep.split ../shared/data/lol_pairs ../runs/data/lol_train ../runs/data/lol_val \\
        --every 5 --offset 4 --mode symlink
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from data_prep.common import add_mode_argument, images_by_stem, new_parser, place, run_cli, start_output
from did_ocr.data.dataset import LABELS_FILE, WORDS_FILE, read_labels, read_utf8, write_labels
from did_ocr.errors import DatasetError
from did_ocr.fileio import atomic_write_text



def held_out(names: list[str], first: int | None, every: int | None, offset: int = 0) -> set[str]:
    """The names of the held-out part: the first ``first`` names, or every ``every``-th from ``offset``."""
    if (first is None) == (every is None):
        raise DatasetError("give exactly one of --first N and --every K")
    if first is not None:
        if not 0 < first < len(names):
            raise DatasetError(f"--first {first}: must be between 1 and {len(names) - 1} for {len(names)} images")
        return set(names[:first])
    if every < 2 or not 0 <= offset < every:
        raise DatasetError(f"--every {every} --offset {offset}: need every >= 2 and 0 <= offset < every")
    return set(names[offset::every])


def _write_words(src: Path, out: Path, keep: set[str]) -> None:
    """Copy the rows of SRC/words.csv whose image is in ``keep`` (header kept)."""
    lines = list(csv.reader(io.StringIO(read_utf8(src / WORDS_FILE), newline="")))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([lines[0], *(row for row in lines[1:] if row and row[0] in keep)])
    atomic_write_text(out / WORDS_FILE, buffer.getvalue())


def split_dataset(src: str | Path, train: str | Path, held: str | Path, first: int | None = None,
                  every: int | None = None, offset: int = 0, mode: str = "copy", overwrite: bool = False,
                  ) -> tuple[int, int]:
    """Write the two parts of ``src``; returns (training images, held-out images)."""
    src, outs = Path(src), {"train": Path(train), "held": Path(held)}
    folders = {side: images_by_stem(src / side) for side in ("low", "high") if (src / side).is_dir()}
    if not folders:
        raise DatasetError(f"{src}: neither low/ nor high/; point at a dataset folder")
    names = sorted(set().union(*folders.values()))
    chosen = held_out(names, first, every, offset)
    labels = read_labels(src / LABELS_FILE) if (src / LABELS_FILE).exists() else {}
    parts = {"held": [n for n in names if n in chosen], "train": [n for n in names if n not in chosen]}
    for part, members in parts.items():
        out = outs[part]
        start_output(out, src, overwrite)
        for name in members:
            for side, files in folders.items():
                if name in files:
                    place(files[name], out / side / f"{name}{files[name].suffix.lower()}", mode)
        rows = [{**labels.get(name, {}), "name": name, "text": labels.get(name, {}).get("text", "")}
                for name in members]
        write_labels(out / LABELS_FILE, rows)
        if (src / WORDS_FILE).exists():
            _write_words(src, out, set(members))
    return len(parts["train"]), len(parts["held"])


def main(args: argparse.Namespace) -> str:
    n_train, n_held = split_dataset(args.src, args.train, args.held, args.first, args.every, args.offset,
                                    args.mode, args.overwrite)
    return f"wrote {n_train} images to {args.train} and {n_held} held-out images to {args.held}"


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("split", __doc__, (("src", "a dataset folder (low/ and/or high/, labels.csv)"),
                                           ("train", "output folder of the training part"),
                                           ("held", "output folder of the held-out part")))
    parser.add_argument("--first", type=int, help="hold out the first N images in name order")
    parser.add_argument("--every", type=int, help="hold out every K-th image in name order")
    parser.add_argument("--offset", type=int, default=0, help="with --every: the position of the first one (0-based)")
    add_mode_argument(parser)
    parser.add_argument("--overwrite", action="store_true", help="replace the contents of non-empty output folders")
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
