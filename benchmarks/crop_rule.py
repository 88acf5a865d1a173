"""How RapidOCR should read a tight word crop: the shipped rule against detection first and the recognizer alone.

The rule (did_ocr.ocr.rapid.is_word_crop): an image at most 256 px tall in
which the detector finds nothing, or one line filling half its height, is
read by the recognizer alone. It was chosen on IIIT 5K validation crops; this
script re-measures it on crops that played no part in the choice (e.g. IIIT
5K *training* crops darkened by data_prep.darken), enhanced by ``gain`` (and
the well-lit crops as they are), word accuracy per level:

    python -m data_prep.darken ../shared/data/iiit5k_train ../runs/val/iiit5k_train100 \
        --levels dim,dark,night --each-level --seed 21 --limit 100
    OMP_NUM_THREADS=1 python benchmarks/crop_rule.py ../runs/val/iiit5k_train100
"""

from __future__ import annotations

import argparse


def main() -> None:
    from did_ocr.bench.metrics import word_score
    from did_ocr.capture import load_capture
    from did_ocr.capture.colorspace import linear_to_srgb
    from did_ocr.data.dataset import LowLightDataset
    from did_ocr.enhancers import build_enhancer
    from did_ocr.ocr import get_ocr, rapid

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a darkened crop dataset (low/, high/, labels.csv with a level column)")
    args = parser.parse_args()

    engine = get_ocr("rapidocr", "cpu")
    shipped = rapid.is_word_crop

    def read(img, how: str):
        if how == "rule":
            return engine.read_words(img)
        if how == "detect first":
            rapid.is_word_crop = lambda quads, h, w: len(quads) == 0
            try:
                return engine.read_words(img)
            finally:
                rapid.is_word_crop = shipped
        h, w = img.shape[:2]
        return [word for word in engine.recognize_boxes(img, [(0, w, 0, h)]) if word]

    gain = build_enhancer("gain")
    tally: dict[tuple[str, str], list[int]] = {}
    for item in LowLightDataset(args.dataset):
        sources = [(item.level, gain.enhance(load_capture(item.low_path)))]
        if item.name.endswith("_dim"):  # each crop once as it was lit
            sources.append(("well-lit", linear_to_srgb(load_capture(item.high_path))))
        for level, img in sources:
            for how in ("rule", "detect first", "recognizer alone"):
                score = word_score(item.text, " ".join(w.text for w in read(img, how)))
                found = tally.setdefault((how, level), [0, 0])
                found[0] += score.found
                found[1] += score.total
    levels = ["well-lit", "dim", "dark", "night"]
    print("| way of reading a crop | " + " | ".join(levels) + " |")
    print("|---|" + "---:|" * len(levels))
    for how in ("rule", "detect first", "recognizer alone"):
        cells = [f"{100 * tally[how, lv][0] / max(1, tally[how, lv][1]):.0f}" if (how, lv) in tally else "-" for lv in levels]
        print(f"| {how} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
