"""Capture loading and normalization: files in, linear RGB float32 out."""

from did_ocr.capture.load import IMAGE_EXTENSIONS, RAW_EXTENSIONS, is_raw_path, load_capture

__all__ = ["IMAGE_EXTENSIONS", "RAW_EXTENSIONS", "is_raw_path", "load_capture"]
