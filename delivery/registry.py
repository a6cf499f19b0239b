"""The mail transports: each `mail.delivery.transport` of config.yaml names the class that delivers.

A new transport is one entry here, its module, and its settings model in settings/schema.py.
"""

from __future__ import annotations

from delivery.transport import OutboxTransport, SmtpTransport, Transport, TransportClass
from settings.schema import Config

TRANSPORTS: dict[str, TransportClass] = {
    "outbox": OutboxTransport,
    "smtp": SmtpTransport,
}


def build_transport(config: Config, dry_run: bool) -> Transport:
    """The configured transport; ``dry_run`` always writes to an outbox folder instead."""
    return TRANSPORTS[config.mail.delivery.transport].from_config(config, dry_run)
