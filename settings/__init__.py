"""The configuration: its schema (schema.py) and loading with key-path errors (load.py)."""

from settings.load import load_config
from settings.schema import Config

__all__ = ["Config", "load_config"]
