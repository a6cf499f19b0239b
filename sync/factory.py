"""Build the source named in config, through the registry of source kinds."""

from __future__ import annotations

from settings.schema import Config
from store import Store
from sync.registry import source_class
from sync.source import Source


def build_source(config: Config, store: Store | None = None, full: bool = False) -> Source:
    """The configured source; ``store`` keeps what a caching source may reuse, ``full`` makes it
    re-read everything."""
    return source_class(config.source.kind).from_config(config, store, full)
