"""Choose the source named in config."""

from __future__ import annotations

from settings.schema import Config
from sync.local import LocalWorkbookSource
from sync.source import Source


def build_source(config: Config, full: bool = False) -> Source:
    """The configured source; ``full`` makes a caching source re-read everything."""
    if config.source.kind == "local":
        return LocalWorkbookSource(config.source.folder)
    from sync.google import GoogleSheetsSource  # imported lazily: gspread is only needed here

    return GoogleSheetsSource.from_config(config, full=full)
