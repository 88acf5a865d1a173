"""The screenshot of the web page in the README: `did-ocr serve` (default enhancer) read a bundled example in headless Chromium.

    python benchmarks/web_screenshot.py [--image examples/night_sign.png] [--out benchmarks/results/web_page.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import upload_and_screenshot, why_no_browser  # noqa: E402  (the browser test's own driver)
from tests.webserver import running_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", default=str(ROOT / "examples" / "night_sign.png"))
    parser.add_argument("--expect", default="Parking", help="a word the page must show before the screenshot")
    parser.add_argument("--enhancer", default="did")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "web_page.png"))
    args = parser.parse_args()
    reason = why_no_browser()
    if reason:
        raise SystemExit(f"cannot take the screenshot: {reason}")
    from did_ocr.reading.settings import ReadSettings
    from did_ocr.web.app import ReadService, ServeConfig

    with running_server(ReadService(ServeConfig(ReadSettings(enhancer=args.enhancer)))) as url:
        words = upload_and_screenshot(f"{url}/", Path(args.image), Path(args.out), expect=args.expect)
    print(f"{args.out}: the page shows {words!r}")


if __name__ == "__main__":
    main()
