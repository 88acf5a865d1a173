"""Text recognition: one interface over offline engines (RapidOCR, EasyOCR), lines in reading order, sample consensus."""

from did_ocr.ocr.engine import DEFAULT_DETECT_SIDE, OcrEngine
from did_ocr.ocr.registry import DEFAULT_OCR, ENGINES, check_engine, get_ocr
from did_ocr.ocr.words import OcrLine, OcrWord, group_lines, join_lines

__all__ = ["DEFAULT_DETECT_SIDE", "DEFAULT_OCR", "ENGINES", "OcrEngine", "OcrLine", "OcrWord", "check_engine", "get_ocr",
           "group_lines", "join_lines"]
