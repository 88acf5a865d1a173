"""User-facing errors.

Everything a user can cause (a bad file, a bad option, a corrupt checkpoint)
raises a :class:`DidOcrError` whose message is one line saying what is wrong
and what to do. The CLI prints that line and exits non-zero, never a
traceback. Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

import re


class DidOcrError(Exception):
    """An error caused by input or configuration; its message is shown to the user as is.

    The message is kept to one line whatever it quotes: a library's own
    message (a decoder's, say: pillow-heif 1.9 spans several lines) joins it
    with its line breaks turned into spaces.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(re.sub(r"\s*\n\s*", " ", str(message)))


class InputError(DidOcrError):
    """An input file cannot be used (missing, unreadable, corrupt, unsupported, degenerate)."""


class CheckpointError(DidOcrError):
    """A model checkpoint is missing, corrupt or does not match the model it is loaded into."""


class DatasetError(DidOcrError):
    """A dataset folder does not follow the standard layout (low/, high/, labels.csv)."""


#: failures that are not user errors but still belong to one file (a decoder or a model giving up on it):
#: caught per file by ``read``, ``read --ray`` and the page, so that the other files are still read
PER_FILE_FAILURES = (MemoryError, RuntimeError, ValueError, OSError)


def empty_folder(path: str) -> InputError:
    """The error for a folder argument that holds no supported image."""
    return InputError(f"{path}: a folder with no supported images; put PNG, JPEG, HEIC... files in it, "
                      "or add -r to read its subfolders")


def file_failure(path: str, exc: Exception) -> str:
    """Why one input failed, as one line without the ``FILE:`` prefix (``read``, ``read --ray``, the bench).

    A :class:`DidOcrError` is its message (a leading ``FILE:`` naming the
    same file is dropped); anything else (a decoder or a model giving up on
    that file) is named by its type, with where to look for details.
    """
    from pathlib import Path

    message = str(exc)
    for prefix in (f"{path}: ", f"{Path(path)}: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    if isinstance(exc, DidOcrError):
        return message
    one_line = re.sub(r"\s*\n\s*", " ", message)
    return f"could not be processed ({type(exc).__name__}: {one_line}); set DID_OCR_DEBUG=1 for details"
