"""Text recognition: EasyOCR with offline weights, lines in reading order, sample consensus."""

from did_ocr.ocr.reader import OcrLine, OcrWord, TextReader, get_reader, group_lines, join_lines

__all__ = ["OcrLine", "OcrWord", "TextReader", "get_reader", "group_lines", "join_lines"]
