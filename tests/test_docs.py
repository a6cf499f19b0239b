"""The README stays true: every command is in its commands table, and its exit-code table is
exactly errors.EXIT_CODES (which `python main.py --help` prints too)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from errors import EXIT_CODES
from main import cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text under ``title``, up to the next heading of any level."""
    start = README.index(f"\n{title}\n") + len(title) + 2
    end = re.compile(r"^#{1,6} ", re.MULTILINE).search(README, start)
    return README[start : end.start() if end else len(README)]


def table_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[2:]]  # below the header


def test_every_command_is_in_the_readme_commands_table():
    documented = {re.match(r"`python main\.py (\w+)", row[0]).group(1) for row in table_rows(section("## Commands"))}

    assert set(cli.commands) <= documented


def test_the_readme_exit_code_table_is_exit_codes():
    rows = table_rows(section("### Exit codes"))

    assert {int(code.strip("`")): meaning for code, meaning in rows} == EXIT_CODES
    assert [int(code.strip("`")) for code, _ in rows] == sorted(EXIT_CODES)


def test_help_lists_the_exit_codes():
    lines = [line.strip() for line in CliRunner().invoke(cli, ["--help"]).stdout.splitlines()]

    assert lines[lines.index("Exit codes:") + 1 :] == [f"{code}  {meaning}" for code, meaning in EXIT_CODES.items()]
