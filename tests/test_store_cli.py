"""A state file the service cannot use stops every command with exit 7 and a clear message, and
is left byte for byte as it was: no journal beside it, nothing written into it."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from main import cli
from tests.conftest import SAMPLE_TODAY, write_config
from tests.smtp_server import run_cli

COMMANDS = {
    "check": ["check", "--today", SAMPLE_TODAY],
    "run": ["run", "--today", SAMPLE_TODAY],
    "status": ["status"],
    "status --json": ["status", "--json"],
    "backup": ["backup", "BACKUP"],
}


@pytest.fixture(scope="module")
def real_store(tmp_path_factory) -> bytes:
    """The bytes of a state file after a run on the samples."""
    folder = tmp_path_factory.mktemp("real")
    assert run_cli(write_config(folder), SAMPLE_TODAY).exit_code == 0
    return (folder / "state.sqlite3").read_bytes()


def garbage(real: bytes, path: Path) -> str:
    path.write_bytes(b"these are not the droids you are looking for\n" * 100)
    return "is not an SQLite database (empty or damaged). It was left as it is: restore it from a backup"


def truncated(real: bytes, path: Path) -> str:
    path.write_bytes(real[: len(real) // 2])
    return "cannot be used: database disk image is malformed. It was left as it is"


def newer(real: bytes, path: Path) -> str:
    path.write_bytes(real)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    return "was written by a newer version of the service (schema 99)"


@pytest.mark.parametrize("damage", [garbage, truncated, newer])
@pytest.mark.parametrize("command", COMMANDS)
def test_an_unusable_state_file_is_exit_7_and_left_untouched(tmp_path, real_store, damage, command):
    config_path = write_config(tmp_path)
    state = tmp_path / "state.sqlite3"
    reason = damage(real_store, state)
    before = state.read_bytes()
    args = [str(tmp_path / "backup.sqlite3") if a == "BACKUP" else a for a in COMMANDS[command]]

    result = CliRunner().invoke(cli, ["--config", str(config_path), *args])

    assert result.exit_code == 7, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: the state file {state} ")
    assert reason in result.stderr
    assert "Traceback" not in result.output
    assert state.read_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("state.sqlite3*")) in (
        ["state.sqlite3"],
        ["state.sqlite3", "state.sqlite3.lock"],  # run's lock, taken before the store is opened
    )
    assert not (tmp_path / "backup.sqlite3").exists()
    assert not (tmp_path / "outbox").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_state_file_is_exit_7_and_left_untouched(tmp_path, real_store, command, monkeypatch):
    config_path = write_config(tmp_path)
    state = tmp_path / "state.sqlite3"
    state.write_bytes(real_store)
    state.chmod(0o444)
    # Root may write any file (CI runs as root): answer as the OS does for any other user.
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == state and mode & os.W_OK else real_access(p, mode)
    )
    args = [str(tmp_path / "backup.sqlite3") if a == "BACKUP" else a for a in COMMANDS[command]]

    result = CliRunner().invoke(cli, ["--config", str(config_path), *args])

    assert result.exit_code == 7, result.output
    assert f"the state file {state} is read-only for this user" in result.stderr
    assert state.read_bytes() == real_store


def test_a_state_file_that_is_a_folder_is_exit_7(tmp_path):
    config_path = write_config(tmp_path)
    (tmp_path / "state.sqlite3").mkdir()

    result = CliRunner().invoke(cli, ["--config", str(config_path), "status"])

    assert result.exit_code == 7
    assert "is a folder; point state_file at a file" in result.stderr


def test_a_backup_restores_a_damaged_state_file(tmp_path, real_store):
    config_path = write_config(tmp_path)
    state = tmp_path / "state.sqlite3"
    state.write_bytes(real_store)
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config_path), "backup", str(tmp_path / "good.sqlite3")]).exit_code == 0
    before = runner.invoke(cli, ["--config", str(config_path), "status", "--json"]).stdout
    truncated(real_store, state)
    assert runner.invoke(cli, ["--config", str(config_path), "status"]).exit_code == 7

    shutil.copyfile(tmp_path / "good.sqlite3", state)

    after = runner.invoke(cli, ["--config", str(config_path), "status", "--json"])
    assert (after.exit_code, after.stdout) == (0, before)
