"""Training sources (real pairs, real photos darkened on the fly, the synthetic generator, mixed),
--init, the CPU budget, and the training/inference condition contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from did_ocr.capture.save import save_srgb_png
from did_ocr.errors import DidOcrError
from did_ocr.model.checkpoint import load_model, read_checkpoint
from did_ocr.model.unet import UNetConfig
from did_ocr.training.pairs import DarkenedImages, MixedPairs, build_source, parse_source
from did_ocr.training.trainer import train
from tests.helpers import render_text, tiny_norm
from tests.test_training import tiny_config


def _photo_folder(root: Path, crops: int = 3, photos: int = 1) -> Path:
    """A tiny folder of well-lit images: word crops (smaller than a training crop) and a larger photo."""
    (root / "high").mkdir(parents=True)
    for i in range(crops):
        save_srgb_png(root / "high" / f"crop{i}.png", render_text(f"WORD{i}", size=(32, 90), font_size=20) / 255.0)
    for i in range(photos):
        save_srgb_png(root / "high" / f"photo{i}.png", render_text("SHOP\nOPEN", size=(300, 420), font_size=80) / 255.0)
    return root


def _pair_folder(root: Path) -> Path:
    (root / "low").mkdir(parents=True)
    (root / "high").mkdir()
    clean = render_text("EXIT", size=(200, 300), font_size=60) / 255.0
    save_srgb_png(root / "high" / "a.png", clean)
    save_srgb_png(root / "low" / "a.png", clean * 0.05)
    return root


def test_darkened_images_give_dark_noisy_views_of_real_images(tmp_path):
    source = DarkenedImages(_photo_folder(tmp_path / "imgs"), seed=2)
    assert len(source.small) == 3 and len(source.large) == 1  # word crops go to mosaics
    dark, light = source.pairs(4, 6)
    assert dark.shape == light.shape == (6, 3, 256, 256)
    assert float(dark.mean()) < 0.3 * float(light.mean())
    again = DarkenedImages(tmp_path / "imgs", seed=2).pairs(4, 6)
    assert torch.equal(again[0], dark) and torch.equal(again[1], light)  # a function of the step
    assert not torch.equal(source.pairs(5, 6)[0], dark)


def test_mixed_sources_follow_their_weights_and_are_reproducible(tmp_path):
    imgs, pairs = _photo_folder(tmp_path / "imgs"), _pair_folder(tmp_path / "pairs")
    assert parse_source(f"{imgs}@0.7") == ("darken", str(imgs), 0.7)  # no low/: darkened
    assert parse_source(str(pairs)) == ("pairs", str(pairs), 1.0)  # low/ and high/: real pairs
    assert parse_source(f"darken:{pairs}") == ("darken", str(pairs), 1.0)
    mix = build_source([f"{imgs}@3", f"{pairs}@1"], seed=1)
    assert isinstance(mix, MixedPairs) and mix.p.tolist() == [0.75, 0.25]
    d1, l1 = mix.pairs(3, 8)
    d2, l2 = build_source([f"{imgs}@3", f"{pairs}@1"], seed=1).pairs(3, 8)
    assert d1.shape == (8, 3, 256, 256) and torch.equal(d1, d2) and torch.equal(l1, l2)
    assert [s["kind"] for s in mix.describe()["sources"]] == ["darkened", "dataset"]


@pytest.mark.parametrize("spec, message", [("nowhere@0.5", "not a folder"), ("synthetic@x", "not a number"),
                                           ("synthetic@0", "must be positive")])
def test_bad_source_specs_are_one_line_errors(spec, message):
    with pytest.raises(DidOcrError, match=message):
        parse_source(spec)


def test_mixed_run_resumes_exactly_and_init_starts_from_a_model_file(tmp_path):
    data = ["synthetic@1", f"darken:{_photo_folder(tmp_path / 'imgs')}@1", f"{_pair_folder(tmp_path / 'pairs')}@1"]
    straight = train(tiny_config(tmp_path / "a", steps=3, data=data, onestep_fraction=0.5))
    train(tiny_config(tmp_path / "b", steps=2, data=data, onestep_fraction=0.5))
    train(tiny_config(tmp_path / "b", steps=3, data=data, onestep_fraction=0.5), resume=True)
    ta, _ = read_checkpoint(tmp_path / "a" / "checkpoint.safetensors")
    tb, mb = read_checkpoint(tmp_path / "b" / "checkpoint.safetensors")
    assert straight.step == mb["step"] == 3
    assert all(torch.equal(ta[k], tb[k]) for k in ta)
    assert mb["cpu_seconds"] > 0 and len(mb["data"]["sources"]) == 3

    # --init: the weights of the given file, a fresh optimizer, the file's architecture
    start = tmp_path / "a" / "model.safetensors"
    trainer = train(tiny_config(tmp_path / "c", steps=0, data=["synthetic"], unet={}, size="S", init=str(start)))
    assert trainer.step == 0 and trainer.cfg.unet_config() == UNetConfig.from_dict(load_model(start).meta["unet"])
    expected = load_model(start).model.state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in trainer.model.state_dict().items())


def test_cpu_budget_stops_the_run_and_saves(tmp_path):
    trainer = train(tiny_config(tmp_path, steps=50, cpu_budget=1e-6, checkpoint_every=10))
    assert trainer.step == 1
    assert read_checkpoint(tmp_path / "checkpoint.safetensors")[1]["step"] == 1


def test_training_windows_are_windows_of_the_stack_the_cascade_builds(monkeypatch):
    """At every scale, a training window's conditions (eta 0) are a window of the condition stack that
    inference builds for a 256x256 image when the previous estimates are exact."""
    from did_ocr.diffusion import cascade
    from did_ocr.diffusion.cascade import CascadeConfig, reconstruct
    from did_ocr.diffusion.scales import resize
    from did_ocr.training.batches import training_windows

    norm = tiny_norm()
    rng = np.random.default_rng(0)
    light = torch.from_numpy(rng.random((1, 3, 256, 256), dtype=np.float32)) * 0.8 + 0.1
    dark = light * 0.05
    light_n = norm.normalize(light, "light")
    stacks: dict[int, torch.Tensor] = {}

    def oracle(model, stack, scale, seed, cfg, stats, upper):  # records the stack, answers with the truth
        stacks[scale] = stack
        return resize(light_n, tuple(stack.shape[-2:]))

    monkeypatch.setattr(cascade, "_sample_scale", oracle)
    reconstruct(None, norm, dark[0], CascadeConfig(harmonize=False, consistency=0), seed=0)  # exact estimates
    assert sorted(stacks) == [0, 1, 2, 3]
    g = torch.Generator().manual_seed(0)
    _, conds, scales = training_windows(norm.normalize(dark, "dark").repeat(4, 1, 1, 1), light_n.repeat(4, 1, 1, 1),
                                        g, windows_per_pair=4, eta_max=0.0)
    for cond, s in zip(conds, scales.tolist()):
        stack = stacks[s][0]
        windows = stack.unfold(1, 32, 1).unfold(2, 32, 1)  # every 32x32 window of the stack
        err = (windows - cond[:, None, None]).abs().amax(dim=(0, 3, 4))
        assert float(err.min()) < 1e-5, s
