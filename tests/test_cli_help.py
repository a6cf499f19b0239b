"""Every command documents itself (its docstring is the --help text)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from main import cli


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert cli.commands[command].help and "Example:" in result.output
