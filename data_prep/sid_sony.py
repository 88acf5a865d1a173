"""SID Sony (Chen et al. 2018, "Learning to See in the Dark") -> standard layout.

SID pairs short exposures ``Sony/short/SSSSS_II_0.04s.ARW`` with the long
exposure of the same scene ``Sony/long/SSSSS_00_10s.ARW``; the exposure ratio
is long/short seconds from the names (capped at 300, as in SID). Pairs come
from the list files (``Sony_test_list.txt`` etc.: "./Sony/short/A.ARW
./Sony/long/B.ARW ISO F") when given, else from the scene ids.

By default both RAWs are decoded linearly with rawpy (the file's black and
white levels, camera white balance, no auto-brightening) and written as
16-bit LINEAR PNGs (dataset.json: low/high_encoding linear); ``--copy-raw``
copies the ARW files instead. labels.csv gets ``exposure_ratio`` and a
``level`` (the did-ocr light level whose exposure range holds 1/ratio), and
text from SID-Sony-Text annotations with ``--annotations``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from data_prep.common import new_parser, run_cli, write_pairs
from did_ocr.data.dataset import write_dataset_meta
from did_ocr.errors import DidOcrError

MAX_RATIO = 300.0
_NAME = re.compile(r"^(?P<scene>\d+)_(?P<index>\d+)_(?P<seconds>[\d.]+)s$")


def exposure_seconds(path: Path) -> float:
    m = _NAME.match(path.stem)
    if not m:
        raise DidOcrError(f"{path}: name does not follow SID's SCENE_INDEX_SECONDSs.ARW pattern")
    return float(m.group("seconds"))


def scene_id(path: Path) -> str:
    m = _NAME.match(path.stem)
    if not m:
        raise DidOcrError(f"{path}: name does not follow SID's SCENE_INDEX_SECONDSs.ARW pattern")
    return m.group("scene")


def level_for_ratio(ratio: float) -> str:
    """The did-ocr light level whose exposure range contains 1/ratio (darker than all: extreme)."""
    from did_ocr.data.synth.simulate import LEVELS

    exposure = 1.0 / ratio
    for level in LEVELS.values():
        if level.exposure[0] <= exposure <= level.exposure[1]:
            return level.name
    return "extreme" if exposure < min(lv.exposure[0] for lv in LEVELS.values()) else "dusk"


def find_pairs(src: Path, lists: list[Path] | None = None) -> list[tuple[Path, Path]]:
    """(short, long) ARW pairs from list files, or by scene id."""
    root = src / "Sony" if (src / "Sony").is_dir() else src
    if lists:
        pairs = []
        for lst in lists:
            for number, line in enumerate(lst.read_text().splitlines(), start=1):
                parts = line.split()
                if len(parts) < 2:
                    continue
                short, long = (root.parent / p if p.startswith("./Sony") else src / p for p in parts[:2])
                pairs.append((Path(short).resolve(), Path(long).resolve()))
        return pairs
    short_dir, long_dir = root / "short", root / "long"
    if not short_dir.is_dir() or not long_dir.is_dir():
        raise DidOcrError(f"{src}: expected Sony/short/ and Sony/long/ folders of ARW files")
    longs: dict[str, Path] = {}
    for p in sorted(long_dir.glob("*.ARW")):
        longs.setdefault(scene_id(p), p)
    pairs = []
    for short in sorted(short_dir.glob("*.ARW")):
        long = longs.get(scene_id(short))
        if long is None:
            raise DidOcrError(f"{short}: no long exposure of scene {scene_id(short)} in {long_dir}")
        pairs.append((short, long))
    return pairs


def _decode_to_png16(raw: Path, out: Path, half_size: bool) -> Path:
    import cv2

    from did_ocr.capture import load_capture
    from did_ocr.capture.save import save_linear_png16

    linear = load_capture(raw)
    if half_size:
        linear = cv2.resize(linear, (linear.shape[1] // 2, linear.shape[0] // 2), interpolation=cv2.INTER_AREA)
    target = out.with_suffix(".png")
    save_linear_png16(target, linear)
    return target


def convert_sid(src: str | Path, out: str | Path, lists: list[str] | None = None, copy_raw: bool = False,
                half_size: bool = False, annotations: str | None = None, limit: int | None = None) -> int:
    src, out = Path(src), Path(out)
    pairs = find_pairs(src, [Path(p) for p in lists] if lists else None)[: limit or None]
    if not pairs:
        raise DidOcrError(f"{src}: no SID pairs found")
    staged = []
    decoded_dir = out / ".decoded"
    for short, long in pairs:
        for p in (short, long):
            if not p.is_file():
                raise DidOcrError(f"{p}: listed but missing")
        ratio = min(MAX_RATIO, exposure_seconds(long) / exposure_seconds(short))
        extra = {"exposure_ratio": f"{ratio:g}", "level": level_for_ratio(ratio)}
        if copy_raw:
            staged.append((short.stem, short, long, extra))
        else:
            low = _decode_to_png16(short, decoded_dir / "low" / short.stem, half_size)
            high = _decode_to_png16(long, decoded_dir / "high" / long.stem, half_size)
            staged.append((short.stem, low, high, extra))
    rows = write_pairs(out, staged, mode="copy" if copy_raw else "link", columns=("name", "text", "exposure_ratio", "level"))
    if not copy_raw:
        import shutil

        shutil.rmtree(decoded_dir, ignore_errors=True)
    encoding = "linear"
    write_dataset_meta(out, source="SID Sony", low_encoding=encoding, high_encoding=encoding, raw_copied=copy_raw)
    if annotations:
        from data_prep.icdar import merge_annotations

        merge_annotations(out, annotations)
    return len(rows)


def main(args: argparse.Namespace) -> str:
    n = convert_sid(args.src, args.out, args.list, args.copy_raw, args.half_size, args.annotations, args.limit)
    return f"wrote {n} SID pairs to {args.out}"


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("sid_sony", __doc__, (("src", "SID root (holding Sony/short and Sony/long)"), ("out", "output dataset folder")))
    parser.add_argument("--list", action="append", help="SID list file(s) with explicit pairs (repeatable)")
    parser.add_argument("--copy-raw", action="store_true", help="copy the ARW files instead of decoding them")
    parser.add_argument("--half-size", action="store_true", help="decode at half resolution")
    parser.add_argument("--annotations", help="ICDAR-style word annotations (SID-Sony-Text) to merge")
    parser.add_argument("--limit", type=int, default=None, help="convert at most N pairs")
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
