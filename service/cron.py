"""`schedule`: the crontab line and the systemd service and timer that start `run` every day,
written out for this install's absolute paths, for the operator to paste."""

from __future__ import annotations

import datetime as dt
import getpass
import shlex
import sys
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from settings.schema import Config

UNIT_NAME = "bao-cao"


@dataclass(frozen=True)
class Install:
    """Where this copy of the service lives and who runs it."""

    repo: Path  # the folder of main.py
    python: Path  # the virtualenv's interpreter, not resolved: a venv's python is a symlink
    config: Path
    user: str

    @classmethod
    def current(cls, repo: Path, config: Path) -> Install:
        return cls(repo.resolve(), Path(sys.executable).absolute(), config.resolve(), getpass.getuser())


def _local_times(at: dt.time, zone: str, year: int) -> set[tuple[int, int, str]]:
    """``at`` in ``zone`` as this machine's clock reads it, in winter and in summer."""
    times = set()
    for month in (1, 7):
        local = dt.datetime.combine(dt.date(year, month, 15), at, zoneinfo.ZoneInfo(zone)).astimezone()
        times.add((local.hour, local.minute, local.tzname() or ""))
    return times


def _environment(config: Config) -> list[str]:
    """The environment variables this config reads (the secrets stay out of the config file)."""
    names = []
    delivery = config.mail.delivery
    if delivery.transport == "smtp" and delivery.password_file is None and delivery.password_env:
        names.append(delivery.password_env)
    if config.source.kind == "google" and not config.source.credentials:
        names.append("GOOGLE_APPLICATION_CREDENTIALS")
    return names


def _systemd_quote(value: str) -> str:
    value = value.replace("%", "%%")
    return f'"{value}"' if any(c.isspace() or c in "\"'\\" for c in value) else value


def _cron_block(config: Config, install: Install, at: dt.time, year: int) -> list[str]:
    zone = config.organisation.timezone
    command = (
        f"cd {shlex.quote(str(install.repo))} && {shlex.quote(str(install.python))} main.py"
        f" --config {shlex.quote(str(install.config))} -q run"
    ).replace("%", r"\%")
    lines = ["==> crontab (edit it with: crontab -e) <=="]
    for name in _environment(config):
        lines.append(f"# cron does not see your shell's variables: set {name}=... at the top of this crontab.")
    zoned = [f"CRON_TZ={zone}", f"{at.minute} {at.hour} * * *  {command}"]
    local = _local_times(at, zone, year)
    if len(local) > 1:
        lines.append(f"# {at:%H:%M} in {zone} moves on this machine's clock with daylight saving, so this needs a")
        lines.append("# cron that reads CRON_TZ (cronie: Fedora, RHEL, Arch); otherwise use systemd below.")
        return lines + zoned
    hour, minute, name = next(iter(local))
    return lines + [
        f"# {at:%H:%M} in {zone} is {hour:02d}:{minute:02d} on this machine's clock ({name}).",
        f"{minute} {hour} * * *  {command}",
        f"# If your cron is cronie (Fedora, RHEL, Arch), which reads CRON_TZ, these two lines say it in {zone}",
        "# time instead, and stay right if this machine's clock changes zone (keep one way, not both):",
        *[f"# {line}" for line in zoned],
    ]


def _systemd_blocks(config: Config, install: Install, at: dt.time) -> list[str]:
    zone = config.organisation.timezone
    exec_start = " ".join(
        _systemd_quote(str(part))
        for part in (install.python, install.repo / "main.py", "--config", install.config, "run")
    )
    service = [
        f"==> /etc/systemd/system/{UNIT_NAME}.service <==",
        "[Unit]",
        "Description=Collect the units' reports, mail the office and remind the units",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        f"User={install.user}",
        f"WorkingDirectory={str(install.repo).replace('%', '%%')}",
        f"ExecStart={exec_start}",
    ]
    for name in _environment(config):
        service.append(f"# {name}: put {name}=... in a file only {install.user} can read, and name it here:")
        service.append(f"# EnvironmentFile=/etc/{UNIT_NAME}.env")
    timer = [
        f"==> /etc/systemd/system/{UNIT_NAME}.timer <==",
        "[Unit]",
        f"Description=Run {UNIT_NAME}.service every day at {at:%H:%M} {zone}",
        "",
        "[Timer]",
        f"OnCalendar=*-*-* {at:%H:%M}:00 {zone}",
        "# A day missed while the machine was off runs at the next boot.",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    return service + [""] + timer


def schedule_text(config: Config, install: Install, at: dt.time, year: int) -> str:
    """What `python main.py schedule` prints: a crontab line, or a systemd service and timer."""
    zone = config.organisation.timezone
    log_note = f"logs to {config.log_file}" if config.log_file else "writes no log file (log_file: null)"
    lines = [
        f"# Start `run` every day at {at:%H:%M} {zone} for this install:",
        f"#   code   {install.repo}",
        f"#   python {install.python}",
        f"#   config {install.config}",
        f"# Use one of the two ways below, not both. The job {log_note};",
        "# with -q it prints only errors, so cron mails you only when something fails.",
        "",
        *_cron_block(config, install, at, year),
        "",
        "# Or systemd: create these two files, then run",
        f"#   sudo systemctl daemon-reload && sudo systemctl enable --now {UNIT_NAME}.timer",
        f"#   systemctl list-timers {UNIT_NAME}.timer    # when it runs next",
        f"#   journalctl -u {UNIT_NAME}.service          # what it printed",
        "",
        *_systemd_blocks(config, install, at),
    ]
    return "\n".join(lines)
