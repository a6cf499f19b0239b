"""Shared fixtures: the shipped config pointed at a temporary state file and outbox; the local
fake of Google's APIs and a service-account key made for the session (never committed)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from settings import load_config
from store import Store
from tests.sheets_fake import FakeGoogle

REPO = Path(__file__).resolve().parent.parent
SAMPLE_TODAY = "2023-07-20"


def sheet_table(sheet) -> list[dict[str, Any]]:
    """A consolidated workbook's sheet as rows of header → value: from the header under the title
    block to the first empty row (the summary's second table is not included)."""
    from consolidation.xlsx import HEADER_ROW

    rows = sheet.iter_rows(min_row=HEADER_ROW, values_only=True)
    header = next(rows)
    records = []
    for row in rows:
        if all(v is None for v in row):
            break
        records.append(dict(zip(header, row, strict=True)))
    return records


def write_config(tmp_path: Path, **overrides) -> Path:
    """A copy of config.yaml whose paths stay valid from tmp_path, with top-level overrides."""
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["state_file"] = str(tmp_path / "state.sqlite3")
    if raw["source"]["kind"] == "local":
        raw["source"]["folder"] = str(REPO / raw["source"]["folder"])
    raw.pop("control", None)  # tests that want the control sheet name it (control=...)
    raw.setdefault("mail", {}).setdefault("delivery", {"transport": "outbox"})
    if raw["mail"]["delivery"].get("transport", "outbox") == "outbox":
        raw["mail"]["delivery"]["folder"] = str(tmp_path / "outbox")
    raw.update(overrides)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The shipped configuration, with state and outbox under tmp_path."""
    return write_config(tmp_path)


@pytest.fixture
def config(config_path: Path):
    return load_config(config_path)


@pytest.fixture
def store(config):
    """The state file of ``config``, opened as a run opens it."""
    with Store.open(config.state_file) as opened:
        yield opened


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    """An RSA key for test service accounts, generated once per session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def google():
    """A local server speaking the OAuth token, Sheets v4 and Drive v3 endpoints the source uses."""
    with FakeGoogle() as server:
        yield server


@pytest.fixture
def workbooks(tmp_path: Path) -> Path:
    """The sample workbooks in a folder the test may edit, as units edit their sheets."""
    folder = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", folder)
    return folder


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch):
    """A real SMTP server (aiosmtpd) with AUTH, its password in $TEST_SMTP_PASSWORD."""
    from tests.smtp_server import running_server

    yield from running_server(monkeypatch)
