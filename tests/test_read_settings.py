"""One set of reading settings, one rule for an option the chosen enhancer does not take, at every entry point."""

from dataclasses import fields

import pytest
from click.testing import CliRunner

from did_ocr.bench.runner import Bench, BenchConfig
from did_ocr.cli.main import cli
from did_ocr.errors import DidOcrError
from did_ocr.reading.settings import ReadSettings
from tests.helpers import render_text

CONFLICT = "quality only applies to did, did-fullsize, did-nonorm, not to gain"


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    from PIL import Image

    path = tmp_path_factory.mktemp("settings") / "sign.png"
    Image.fromarray(render_text("EXIT")).save(path)
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_error_line(result) -> str:
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [
    ["read", "{photo}", "-e", "gain", "--quality", "fast"],
    ["read", "{photo}", "-e", "gain", "--quality", "fast", "--ray", "-o", "{tmp}/out.jsonl"],
    ["enhance", "{photo}", "-e", "gain", "--quality", "fast", "-o", "{tmp}/out"],
    ["serve", "-e", "gain", "--quality", "fast", "--port", "0"],
    ["bench", "--dataset", "{tmp}", "--enhancers", "gain", "--quality", "fast", "--out", "{tmp}/bench"],
])
def test_every_command_refuses_an_option_its_enhancer_does_not_take(command, photo, tmp_path):
    result = run(*[arg.format(photo=photo, tmp=tmp_path) for arg in command])
    assert CONFLICT in one_error_line(result)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.jsonl").exists()


def test_the_api_the_server_and_the_bench_config_refuse_it_the_same_way(tmp_path):
    from did_ocr import Reader
    from did_ocr.web.app import ReadService, ServeConfig

    with pytest.raises(DidOcrError, match=CONFLICT):
        Reader(enhancer="gain", quality="fast", device="cpu")
    with pytest.raises(DidOcrError, match=CONFLICT):
        ReadService(ServeConfig(ReadSettings(enhancer="gain", quality="fast", device="cpu")))
    with pytest.raises(DidOcrError, match=CONFLICT):
        BenchConfig(dataset="synthetic", out=str(tmp_path), enhancers=["gain"],
                    settings=ReadSettings(quality="fast")).check()
    with pytest.raises(DidOcrError, match="quality only applies to did, did-fullsize, did-nonorm, not to did-full"):
        ReadSettings(enhancer="did-full", quality="fast").check()  # an ablation fixes its sampling


def test_a_run_of_several_enhancers_gives_each_option_to_those_that_take_it(tmp_path, tiny_model_path):
    settings = ReadSettings(quality="fast", model=str(tiny_model_path), device="cpu")
    cfg = BenchConfig(dataset="synthetic", out=str(tmp_path), enhancers=["gain", "did"], settings=settings).check()
    assert settings.with_run("gain") == ReadSettings(enhancer="gain", device="cpu")
    assert settings.with_run("did", "easyocr").quality == "fast"
    assert settings.options_for("gain") == {} and settings.options_for("did")["quality"] == "fast"
    bench = Bench.__new__(Bench)  # only its enhancer builder: no dataset needed
    bench.cfg, bench._enhancers = cfg, {}
    assert bench.enhancer("did").quality == "fast" and bench.enhancer("gain").name == "gain"


def test_a_server_gives_its_options_to_the_enhancers_that_requests_pick(tiny_model_path, ocr_reader):
    from did_ocr.web.app import ReadService, ServeConfig

    settings = ReadSettings(model=str(tiny_model_path), quality="fast", device="cpu", ocr="easyocr")
    service = ReadService(ServeConfig(settings))
    try:
        assert service.pipeline("did", "easyocr").enhancer.quality == "fast"
        assert service.pipeline("gain", "easyocr").enhancer.name == "gain"
    finally:
        service.close()


def test_settings_are_checked_with_one_line_before_anything_loads():
    for bad, message in [(dict(ocr="tesseract"), "unknown OCR engine 'tesseract'"),
                         (dict(enhancer="magic"), "unknown enhancer 'magic'"),
                         (dict(detect_side=100), "detect side 100 is too small; use at least 256"),
                         (dict(samples=0), "samples 0 is too small"),
                         (dict(quality="best"), "unknown quality 'best'"),
                         (dict(device="tpu"), "unknown device 'tpu'")]:
        with pytest.raises(DidOcrError, match=message):
            ReadSettings(**bad).check()


def test_the_command_line_defaults_are_the_settings_defaults():
    from did_ocr.cli.read import read

    defaults = {p.name: p.default for p in read.params}
    for f in fields(ReadSettings):
        assert defaults[f.name] == f.default, f.name  # one definition of each default
    assert ReadSettings.from_options({"quality": None, "json": True, "seed": 3}) == ReadSettings(seed=3)
    with pytest.raises(TypeError):
        ReadSettings(qualty="fast")  # a misspelt setting is not dropped


def test_threads_reach_the_process(photo, rapid_reader, monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", str(before))  # restored after the test
    try:
        result = run("read", photo, "-e", "gain", "--threads", "1")
        assert result.exit_code == 0, result.output
        assert "EXIT" in result.stdout and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with_ray = run("read", photo, "--ray", "-o", "x.jsonl", "--threads", "2")
    assert "with --ray give each actor's CPUs with --actor-threads" in one_error_line(with_ray)


def test_bench_takes_the_refine_switch_of_read(tmp_path, monkeypatch):
    """`bench --no-refine` measures what `read --no-refine` does (e.g. DiD at a fixed --max-side, not re-read)."""
    import did_ocr.bench.runner as runner

    seen = []

    class Recorder:
        errors: list = []

        def __init__(self, cfg):
            seen.append(cfg.settings)

        def run(self):
            raise SystemExit(0)

    monkeypatch.setattr(runner, "Bench", Recorder)
    for flag, refine in (("--no-refine", False), ("--refine", True)):
        run("bench", "--dataset", "synthetic", "--enhancers", "did", "--max-side", 640, flag, "--out", tmp_path / "b")
        assert (seen[-1].refine, seen[-1].max_side) == (refine, 640)
