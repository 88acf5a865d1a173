"""benchmarks/compare_models.py pairs two models' bench rows by image and counts who read more."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compare_models.py"


@pytest.fixture(scope="module")
def compare_models():
    spec = importlib.util.spec_from_file_location("compare_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sign_test_is_the_exact_two_sided_binomial(compare_models):
    assert compare_models.sign_test(5, 0) == pytest.approx(2 / 32)
    assert compare_models.sign_test(0, 5) == pytest.approx(2 / 32)
    assert compare_models.sign_test(2, 2) == 1.0 and compare_models.sign_test(0, 0) == 1.0


def test_rows_are_paired_by_image_and_engine(tmp_path, compare_models):
    def bench(name, found):
        rows = [{"image": f"{i}_{lv}", "level": lv, "enhancer": e, "ocr": "rapidocr", "words_found": f,
                 "words_total": 2} for (i, lv, f) in found for e in ("did", "gain")]
        pd.DataFrame(rows).to_csv(tmp_path / f"{name}.csv", index=False)
        return compare_models.did_rows(tmp_path / f"{name}.csv")

    base = bench("base", [(0, "dark", 1), (1, "dark", 2), (2, "night", 0)])
    new = bench("new", [(0, "dark", 2), (1, "dark", 1), (2, "night", 2), (3, "night", 2)])  # image 3: base lacks it
    rows = {r["level"]: r for r in compare_models.compare(base, new)}
    assert list(rows) == ["dark", "night", "all"]
    assert (rows["dark"]["base_words"], rows["dark"]["new_words"]) == (3, 3)
    assert (rows["dark"]["images_better"], rows["dark"]["images_worse"]) == (1, 1)
    assert rows["all"]["images"] == 3 and rows["all"]["new_words"] == 5
    assert rows["night"]["sign_test_p"] == 1.0  # one image better: no evidence either way


def test_an_ablation_of_the_same_run_can_be_the_base(tmp_path, compare_models):
    rows = [{"image": "0_night", "level": "night", "enhancer": e, "ocr": "rapidocr", "words_found": f,
             "words_total": 2} for e, f in (("did", 2), ("did-fullsize", 1), ("gain", 0))]
    pd.DataFrame(rows).to_csv(tmp_path / "per_image.csv", index=False)
    base = compare_models.did_rows(tmp_path, enhancer="did-fullsize")
    rows = {r["level"]: r for r in compare_models.compare(base, compare_models.did_rows(tmp_path))}
    assert (rows["night"]["base_words"], rows["night"]["new_words"], rows["night"]["images_better"]) == (1, 2, 1)
