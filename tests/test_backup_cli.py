"""`backup`: a consistent copy of the state file, never over an existing file."""

from __future__ import annotations

import re
import sqlite3

from click.testing import CliRunner

from main import cli
from store import Store
from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import run_cli


def backup(config_path, destination) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "backup", str(destination)])
    return result.exit_code, result.stdout, result.stderr


def test_into_a_folder_a_timestamped_copy_that_holds_everything(config_path, config, tmp_path):
    run_cli(config_path, SAMPLE_TODAY)
    folder = tmp_path / "backups"
    folder.mkdir()

    code, output, _ = backup(config_path, folder)

    assert code == 0
    (written,) = folder.iterdir()
    assert re.fullmatch(r"state-\d{8}-\d{6}\.sqlite3", written.name)
    assert output == f"{written} ({written.stat().st_size:,} bytes)\n"
    with Store.open(config.state_file) as original, Store.open(written) as copy:
        assert copy.report_statuses() == original.report_statuses()
        assert copy.reminders_sent() == original.reminders_sent()
        assert copy.schema_version == original.schema_version
    assert sqlite3.connect(written).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_folder_named_with_a_slash_is_made(config_path, tmp_path):
    run_cli(config_path, SAMPLE_TODAY)

    code, output, _ = backup(config_path, f"{tmp_path}/later/backups/")

    assert code == 0
    assert output.startswith(f"{tmp_path}/later/backups/state-")


def test_an_existing_file_is_never_overwritten(config_path, tmp_path):
    run_cli(config_path, SAMPLE_TODAY)
    target = tmp_path / "copy.sqlite3"
    assert backup(config_path, target)[0] == 0
    before = target.read_bytes()

    code, output, error = backup(config_path, target)

    assert (code, output) == (2, "")
    assert f"Invalid value for PATH: {target} already exists; name a new file or a folder" in error
    assert target.read_bytes() == before


def test_without_a_state_file_there_is_nothing_to_back_up(config_path, config, tmp_path):
    code, output, error = backup(config_path, tmp_path / "copy.sqlite3")

    assert (code, output) == (7, "")
    assert error == (
        f"Error: there is no state file at {config.state_file} to back up: no check or run has written it yet\n"
    )
    assert not (tmp_path / "copy.sqlite3").exists()
    assert not config.state_file.exists()
