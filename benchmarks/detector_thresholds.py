"""Does RapidOCR read more on dark photos with other detector or confidence thresholds?

PP-OCR's text detector (DB) keeps a region whose mean score passes
``box_thresh`` (0.5) after binarizing at ``thresh`` (0.3), grown by
``unclip_ratio``; did-ocr drops recognized words under a confidence of 0.5
(did_ocr.ocr.rapid.MIN_CONFIDENCE). On dark photos many readings come back
empty, so this asks whether looser thresholds find more words. It reads the
photos of a darkened dataset after a classical enhancer (computed here) and
the well-lit photos, with each setting, and prints the words found per
setting; rows go to OUT.csv (resumable). Chosen on the SVT development photos
(31-70), never on the validation photos:

    OMP_NUM_THREADS=1 python benchmarks/detector_thresholds.py ../runs/val/svt_dev \
        --enhancers well-lit,gain --levels night,dark --out ../runs/scratch/det_sweep_dev.csv
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

#: name -> (thresh, box_thresh, unclip_ratio, minimum word confidence); "default" is what did-ocr ships
SETTINGS = {"default": (0.3, 0.5, 1.6, 0.5), "box0.4": (0.3, 0.4, 1.6, 0.5), "box0.3": (0.3, 0.3, 1.6, 0.5),
            "th0.2box0.4": (0.2, 0.4, 1.6, 0.5), "conf0.3": (0.3, 0.5, 1.6, 0.3)}


def main() -> None:
    from did_ocr.bench.metrics import word_score
    from did_ocr.capture import load_capture
    from did_ocr.capture.colorspace import linear_to_srgb, to_uint8
    from did_ocr.data.dataset import LowLightDataset
    from did_ocr.enhancers import build_enhancer
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.ocr import get_ocr, rapid

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a darkened dataset (low/, high/, labels.csv with a level column)")
    parser.add_argument("--enhancers", default="well-lit,gain", help="well-lit and/or classical enhancers")
    parser.add_argument("--levels", default="night,dark")
    parser.add_argument("--out", required=True, help="rows, one per image, enhancer and setting (resumable)")
    args = parser.parse_args()

    engine = get_ocr("rapidocr", "cpu")
    post = engine._det  # PP-OCR's detector (did_ocr.ocr.ppocr.TextDetector): the DB thresholds live there
    shipped = (post.thresh, post.box_thresh, post.unclip_ratio, rapid.MIN_CONFIDENCE)
    assert shipped == SETTINGS["default"], f"RapidOCR's defaults changed: {shipped}"
    levels = args.levels.split(",")
    items = [it for it in LowLightDataset(args.dataset) if it.level in levels]
    rows = list(csv.DictReader(open(args.out))) if Path(args.out).exists() else []
    done = {(r["image"], r["enhancer"], r["setting"]) for r in rows}
    for name in args.enhancers.split(","):
        enhancer = None if name == "well-lit" else build_enhancer(name)
        for item in items:
            if name == "well-lit" and item.level != levels[0]:
                continue  # each photo once as it was lit
            image = None
            for setting, (thresh, box, unclip, confidence) in SETTINGS.items():
                if (item.name, name, setting) in done:
                    continue
                if image is None:
                    linear = load_capture(item.high_path if enhancer is None else item.low_path)
                    image = to_uint8(linear_to_srgb(linear) if enhancer is None else enhancer.enhance(linear))
                post.thresh, post.box_thresh, post.unclip_ratio, rapid.MIN_CONFIDENCE = thresh, box, unclip, confidence
                text = " ".join(w.text for w in engine.read_words(image))
                score = word_score(item.text, text)
                rows.append({"image": item.name, "enhancer": name, "level": item.level, "setting": setting,
                             "found": score.found, "total": score.total, "prediction": text})
            atomic_write_csv(args.out, rows)
    post.thresh, post.box_thresh, post.unclip_ratio, rapid.MIN_CONFIDENCE = shipped
    tally: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        tally[r["enhancer"], r["level"], r["setting"]][0] += int(r["found"])
        tally[r["enhancer"], r["level"], r["setting"]][1] += int(r["total"])
    for (name, level, setting), (found, total) in sorted(tally.items()):
        print(f"{name:10s} {level:6s} {setting:12s} {found:4d} / {total}")


if __name__ == "__main__":
    main()
