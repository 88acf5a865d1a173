"""The web page as a person uses it: headless Chromium uploads a bundled example and sees its words."""

from pathlib import Path

import pytest
from PIL import Image

from did_ocr.reading.settings import ReadSettings
from did_ocr.web.app import ReadService, ServeConfig
from tests.browser import upload_and_screenshot, why_no_browser
from tests.webserver import running_server

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "night_sign.png"


@pytest.mark.skipif(why_no_browser() is not None, reason=why_no_browser() or "")
def test_upload_a_photo_and_see_its_words(tmp_path, ocr_reader):
    service = ReadService(ServeConfig(ReadSettings(enhancer="gain", device="cpu")))
    with running_server(service) as url:
        words = upload_and_screenshot(f"{url}/", EXAMPLE, tmp_path / "page.png", expect="Parking", ocr="easyocr")
    assert "Parking" in words
    shot = Image.open(tmp_path / "page.png")
    assert shot.size[0] >= 1000 and shot.size[1] > 300
