"""The source kinds: each `source.kind` of config.yaml names the class that reads it.

A new kind is one entry here, its module, and its settings model in settings/schema.py.
"""

from __future__ import annotations

import importlib

from sync.source import SourceClass

# "module:Class", imported on first use: gspread and google-auth load only for a Google source.
SOURCES: dict[str, str] = {
    "local": "sync.local:LocalWorkbookSource",
    "google": "sync.google:GoogleSheetsSource",
}


def source_class(kind: str) -> SourceClass:
    """The class registered for ``kind``; KeyError for a kind nobody registered."""
    module, _, name = SOURCES[kind].partition(":")
    return getattr(importlib.import_module(module), name)
