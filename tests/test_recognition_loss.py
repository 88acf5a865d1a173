"""The recognition loss: each engine's recognizer (PP-OCR converted to torch, EasyOCR's english_g2), offline and frozen, reads DiD reconstructions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.capture.save import save_srgb_png
from did_ocr.data.dataset import write_labels
from did_ocr.data.synth.simulate import sample_params, simulate_capture
from did_ocr.diffusion.cascade import CascadeConfig
from did_ocr.errors import DidOcrError
from did_ocr.training.recognition import RecognitionLoss, WordCrops, ctc_loss, load_recognizer
from did_ocr.training.trainer import train
from tests.helpers import render_text, tiny_model, tiny_norm
from tests.test_training import tiny_config


@pytest.fixture(scope="module", params=["rapidocr", "easyocr"])
def recognizer(request):
    torch.set_num_threads(2)
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError("the recognizer tried to download something")

    mp = pytest.MonkeyPatch()
    mp.setattr(urllib.request, "urlretrieve", refuse)
    mp.setattr(torch.hub, "download_url_to_file", refuse)
    try:
        yield load_recognizer(request.param)
    finally:
        mp.undo()


def _crop(text: str) -> np.ndarray:
    return render_text(text, size=(48, 40 + 26 * len(text)), font_size=32)


def test_recognizer_is_frozen_and_offline(recognizer):
    assert not any(p.requires_grad for p in recognizer.parameters())
    assert not recognizer.training
    assert recognizer.encode("Hi 5!") == [recognizer.encode(c)[0] for c in "Hi 5!"] and recognizer.encode("é") == []


def test_the_converted_ppocr_recognizer_matches_onnx_runtime(rapid_reader):
    import onnxruntime as ort

    recognizer = load_recognizer("rapidocr")
    session = ort.InferenceSession(str(rapid_reader.models["Rec"]), providers=["CPUExecutionProvider"])
    batch = torch.rand(2, 3, 48, 200) * 2 - 1
    expected = session.run(None, {session.get_inputs()[0].name: batch.numpy()})[0]  # softmax over every class
    with torch.no_grad():
        logits = recognizer.net(batch)
    assert np.abs(logits.softmax(2).numpy() - expected).max() < 1e-4
    engine_text = rapid_reader.recognize_box(_crop("PARKING"), (0, 40 + 26 * 7, 0, 48)).text
    with torch.no_grad():
        ids = recognizer.log_probs(recognizer.batch([recognizer.prepare(torch.from_numpy(_crop("PARKING") / 255.0)
                                                                         .float().permute(2, 0, 1))])).argmax(2)[0]
    decoded = [recognizer.characters[i - 1] for k, i in enumerate(ids.tolist()) if i and (k == 0 or i != ids[k - 1])]
    assert "".join(decoded) == engine_text == "PARKING"


def test_loss_is_lower_for_the_clean_crop_than_for_its_dark_capture(recognizer):
    clean = _crop("PARKING")
    rng = np.random.default_rng(0)
    dark = simulate_capture(clean, sample_params(rng, "night", "srgb8"), rng)
    as_tensor = lambda srgb: torch.from_numpy(np.ascontiguousarray(srgb, dtype=np.float32)).permute(2, 0, 1)  # noqa: E731
    clean_loss = ctc_loss(recognizer, [as_tensor(clean / 255.0)], ["PARKING"])
    dark_loss = ctc_loss(recognizer, [as_tensor(linear_to_srgb(dark))], ["PARKING"])
    assert float(clean_loss) < 0.5 * float(dark_loss)
    assert float(ctc_loss(recognizer, [as_tensor(clean / 255.0)], ["GARDEN"])) > float(clean_loss)


def _word_folder(root: Path) -> Path:
    (root / "high").mkdir(parents=True)
    rows = []
    for i, word in enumerate(["EXIT", "OPEN", "Bar"]):
        save_srgb_png(root / "high" / f"w{i}.png", _crop(word) / 255.0)
        rows.append({"name": f"w{i}", "text": word})
    write_labels(root / "labels.csv", rows)
    return root


def test_gradients_reach_the_unet_and_not_the_recognizer(tmp_path, recognizer):
    words = WordCrops(_word_folder(tmp_path / "words"), seed=0)
    crops = words.draw(0, 2)
    assert all(d.mean() < l.mean() for d, l, _ in crops) and {t for _, _, t in crops} <= {"EXIT", "OPEN", "Bar"}
    loss_fn = RecognitionLoss(CascadeConfig(one_step=True), recognizer.engine)
    model = tiny_model().train()
    loss = loss_fn(model, tiny_norm(), crops)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads) and sum(float(g.abs().sum()) for g in grads) > 0
    assert all(p.grad is None for p in loss_fn.recognizers.parameters())


def test_both_recognizers_score_the_mean_of_their_losses(tmp_path):
    crops = WordCrops(_word_folder(tmp_path / "words"), seed=0).draw(0, 2)
    model = tiny_model().eval()
    losses = {name: float(RecognitionLoss(CascadeConfig(one_step=True), name)(model, tiny_norm(), crops))
              for name in ("rapidocr", "easyocr", "rapidocr,easyocr")}
    assert abs(losses["rapidocr,easyocr"] - (losses["rapidocr"] + losses["easyocr"]) / 2) < 1e-4
    for bad in ("", "rapidocr,rapidocr", "tesseract"):
        with pytest.raises(DidOcrError, match="recognition engines"):  # before any recognizer is loaded
            RecognitionLoss(CascadeConfig(one_step=True), bad)


@pytest.mark.parametrize("engines", ["rapidocr", "rapidocr,easyocr"])
def test_a_few_training_steps_with_the_recognition_loss(tmp_path, engines):
    folder = _word_folder(tmp_path / "words")
    trainer = train(tiny_config(tmp_path / "run", steps=2, recognition_weight=0.1, recognition_data=str(folder),
                                recognition_every=1, recognition_crops=2, recognition_engine=engines))
    assert trainer.step == 2
    logged = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert logged and all(np.isfinite(r["recognition"]) and r["recognition"] > 0 for r in logged)


def test_tall_word_crops_are_drawn_at_the_recognizers_height(tmp_path):
    root = tmp_path / "tall"
    (root / "high").mkdir(parents=True)
    save_srgb_png(root / "high" / "big.png", render_text("EXIT", size=(256, 640), font_size=160) / 255.0)
    save_srgb_png(root / "high" / "small.png", _crop("Bar") / 255.0)
    write_labels(root / "labels.csv", [{"name": "big", "text": "EXIT"}, {"name": "small", "text": "Bar"}])
    shapes = {text: tuple(dark.shape) for dark, _, text in WordCrops(root, seed=0, max_height=64).draw(0, 8)}
    assert shapes["EXIT"] == (3, 64, 160)  # 256x640 -> 64 rows, aspect kept: memory bounded
    assert shapes["Bar"] == (3, 48, 40 + 26 * 3)  # already short enough: untouched
