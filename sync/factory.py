"""Choose the source named in config."""

from __future__ import annotations

from settings.schema import Config
from store import Store
from sync.local import LocalWorkbookSource
from sync.source import Source


def build_source(config: Config, store: Store | None = None, full: bool = False) -> Source:
    """The configured source; ``store`` keeps what a caching source may reuse, ``full`` makes it
    re-read everything."""
    if config.source.kind == "local":
        return LocalWorkbookSource(config.source.folder)
    from sync.google import GoogleSheetsSource  # imported lazily: gspread is only needed here

    return GoogleSheetsSource.from_config(config, store, full=full)
