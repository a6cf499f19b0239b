"""Loading config.yaml: YAML → validated Config, with errors that give the key path and reason."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from errors import ConfigError
from settings.schema import Config

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


def _key_path(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        # Discriminated unions add the tag ('local', 'smtp') to the path; it is not a key.
        if isinstance(part, str) and parts and part in ("local", "google", "outbox", "smtp"):
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


def _resolve_paths(config: Config, base: Path) -> Config:
    """Relative paths in config are relative to the config file, not to the working directory."""

    def absolute(path: Path | None) -> Path | None:
        return path if path is None or path.is_absolute() else base / path

    updates: dict = {"state_file": absolute(config.state_file), "log_file": absolute(config.log_file)}
    source = config.source
    if source.kind == "local":
        updates["source"] = source.model_copy(update={"folder": absolute(source.folder)})
    else:
        creds = [c.model_copy(update={"key_file": absolute(c.key_file)}) for c in source.credentials]
        updates["source"] = source.model_copy(update={"credentials": creds})
    delivery = config.mail.delivery
    delivery_updates = {"folder": absolute(getattr(delivery, "folder", None))}
    if delivery.transport == "smtp":
        delivery_updates = {
            "outbox_folder": absolute(delivery.outbox_folder),
            "password_file": absolute(delivery.password_file),
        }
    updates["mail"] = config.mail.model_copy(update={"delivery": delivery.model_copy(update=delivery_updates)})
    return config.model_copy(update=updates)


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the config file; raise ConfigError naming the file, key path and reason."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
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
