"""Loading config.yaml: YAML → validated Config, with errors that give the key path and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from errors import ConfigError
from settings.schema import DELIVERY_SETTINGS, SOURCE_SETTINGS, Config

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"
_UNION_TAGS = SOURCE_SETTINGS.keys() | DELIVERY_SETTINGS.keys()
Model = TypeVar("Model", bound=BaseModel)


def _key_path(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        # Discriminated unions add the tag ('local', 'smtp') to the path; it is not a key.
        if isinstance(part, str) and parts and part in _UNION_TAGS:
            continue
        parts.append(str(part))
    return ".".join(parts)


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: ``key.path: reason``."""
    lines = []
    for item in error.errors():
        path = _key_path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        lines.append(f"{path}: {message}" if path else message)
    return "\n".join(lines)


def _resolve_paths(model: Model, base: Path) -> Model:
    """Relative paths in config are relative to the config file, not to the working directory.

    Every ``Path`` value is resolved wherever it sits, so a new setting of any kind needs nothing here.
    """
    updates = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        resolved = _resolved(value, base)
        if resolved is not value:
            updates[name] = resolved
    return model.model_copy(update=updates) if updates else model


def _resolved(value: Any, base: Path) -> Any:
    """``value`` with its relative paths made absolute; the same object when it has none."""
    if isinstance(value, Path):
        return value if value.is_absolute() else base / value
    if isinstance(value, BaseModel):
        return _resolve_paths(value, base)
    if isinstance(value, list):
        items = [_resolved(item, base) for item in value]
        return items if any(new is not old for new, old in zip(items, value, strict=True)) else value
    return value


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the config file; raise ConfigError naming the file, key path and reason."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # libyaml: 5x safe_load
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid configuration\n{format_validation_error(exc)}") from exc
    return _resolve_paths(config, path.resolve().parent)
