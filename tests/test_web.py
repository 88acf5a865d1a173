"""``did-ocr serve``: the page, POST /read answers like ``read --json``, 4xx with one-line reasons, a bounded queue."""

import asyncio
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from did_ocr.cli.main import cli
from did_ocr.enhancers.base import Enhancer
from did_ocr.reading.pipeline import Pipeline
from did_ocr.reading.settings import ReadSettings
from did_ocr.web.app import Problem, ReadService, ServeConfig
from tests.webserver import get_json, post_file, running_server

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "night_sign.png"
LIMIT = 300_000


@pytest.fixture(scope="module")
def server(ocr_reader):
    service = ReadService(ServeConfig(ReadSettings(enhancer="gain", device="cpu"), max_bytes=LIMIT, queue=2))
    with running_server(service) as url:
        yield url


def test_read_answers_the_same_json_as_the_cli(server):
    status, answer = post_file(f"{server}/read", "night_sign.png", EXAMPLE.read_bytes())
    assert status == 200
    cli_json = json.loads(CliRunner().invoke(cli, ["read", str(EXAMPLE), "-e", "gain", "--json"]).stdout)[0]
    assert set(answer) == set(cli_json) and answer["file"] == "night_sign.png"
    assert answer["lines"] == cli_json["lines"] and answer["text"] == cli_json["text"]
    assert "Parking" in answer["text"] and "annotated_png" not in answer


def test_annotated_picture_on_request(server):
    status, answer = post_file(f"{server}/read", "s.png", EXAMPLE.read_bytes(), {"annotate": "1", "enhancer": "none"})
    assert status == 200 and answer["enhancer"] == "none"
    png = answer["annotated_png"]
    assert png.startswith("data:image/png;base64,")
    import base64

    picture = Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1])))
    w, h = Image.open(EXAMPLE).size
    assert picture.size[1] == h and picture.size[0] > 2 * w


@pytest.mark.parametrize("name, data, fields, status, reason", [
    ("notes.png", b"just some text, not a photo", {}, 415, "notes.png: not an image file"),
    ("cut.png", EXAMPLE.read_bytes()[:2000], {}, 400, "cut.png: truncated PNG"),
    ("empty.jpg", b"", {}, 400, "empty.jpg: empty input"),
    ("big.png", bytes(LIMIT + 70_000), {}, 413, "over the limit of 300,000"),
    ("s.png", EXAMPLE.read_bytes(), {"enhancer": "sharpen"}, 400, "unknown enhancer 'sharpen'"),
    ("s.png", EXAMPLE.read_bytes(), {"ocr": "tesseract"}, 400, "unknown OCR engine 'tesseract'"),
])
def test_bad_uploads_get_a_4xx_with_one_line(server, name, data, fields, status, reason):
    got, answer = post_file(f"{server}/read", name, data, fields)
    assert got == status and reason in answer["error"] and "\n" not in answer["error"]


def test_oversized_image_by_pixels_is_413(server):
    buf = io.BytesIO()
    Image.new("L", (12_000, 9_000)).save(buf, format="PNG")  # 108 megapixels in a few hundred kilobytes
    assert len(buf.getvalue()) < LIMIT
    status, answer = post_file(f"{server}/read", "huge.png", buf.getvalue())
    assert status == 413 and "decompression-bomb" in answer["error"]


def test_page_and_health(server):
    import urllib.request

    with urllib.request.urlopen(f"{server}/") as page:
        html = page.read().decode()
    assert page.status == 200 and 'type="file"' in html and 'id="enhancer"' in html and 'fetch("read"' in html
    assert 'id="ocr"' in html
    status, health = get_json(f"{server}/health")
    assert status == 200 and health["ok"] and health["enhancer"] == "gain" and "did" in health["enhancers"]
    assert health["ocr"] == "rapidocr" and health["ocr_engines"] == ["rapidocr", "easyocr"]


def test_each_request_may_choose_the_ocr_engine(server):
    answers = {ocr: post_file(f"{server}/read", "s.png", EXAMPLE.read_bytes(), {"ocr": ocr}) for ocr in
               ("easyocr", "rapidocr")}
    assert {ocr: (status, answer["ocr"]) for ocr, (status, answer) in answers.items()} == {
        "easyocr": (200, "easyocr"), "rapidocr": (200, "rapidocr")}
    assert all("Parking" in answer["text"] for _, answer in answers.values())


class _Slow(Enhancer):
    name = "gain"

    def enhance(self, linear_rgb, seed=0):
        time.sleep(0.4)
        return np.clip(linear_rgb * 10, 0, 1)


def test_a_full_queue_answers_503_and_the_server_keeps_working(ocr_reader):
    service = ReadService(ServeConfig(ReadSettings(enhancer="gain", device="cpu", ocr="easyocr"), queue=1),
                          build=lambda settings: Pipeline(_Slow(), ocr_reader))
    image = np.asarray(Image.open(EXAMPLE))[:40, :60]
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")

    async def many():
        return await asyncio.gather(*(service.read("gain", "easyocr", f"{i}.png", buf.getvalue(), False) for i in range(4)),
                                    return_exceptions=True)

    answers = asyncio.run(many())
    ok = [a for a in answers if isinstance(a, dict)]
    busy = [a for a in answers if isinstance(a, Problem)]
    assert len(ok) == 2 and len(busy) == 2  # one read, one waiting, the rest told to come back
    assert all(p.status == 503 and "busy" in p.reason for p in busy)
    assert service.pending == 0 and isinstance(asyncio.run(service.read("gain", "easyocr", "later.png", buf.getvalue(), False)), dict)
    service.close()


def test_serve_refuses_linear():
    result = CliRunner().invoke(cli, ["serve", "--linear"])
    assert result.exit_code == 2 and "--linear does not apply to serve" in result.stderr
