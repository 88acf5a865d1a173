"""User-facing errors.

Everything a user can cause (a bad file, a bad option, a corrupt checkpoint)
raises a :class:`DidOcrError` whose message is one line saying what is wrong
and what to do. The CLI prints that line and exits non-zero, never a
traceback. Programming errors stay ordinary exceptions.
"""

from __future__ import annotations


class DidOcrError(Exception):
    """An error caused by input or configuration; its message is shown to the user as is."""


class InputError(DidOcrError):
    """An input file cannot be used (missing, unreadable, corrupt, unsupported, degenerate)."""


class CheckpointError(DidOcrError):
    """A model checkpoint is missing, corrupt or does not match the model it is loaded into."""


class DatasetError(DidOcrError):
    """A dataset folder does not follow the standard layout (low/, high/, labels.csv)."""
