"""A bad config.yaml fails fast with the key path, the reason and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from errors import ConfigError
from main import cli
from settings import load_config
from tests.conftest import REPO


def shipped() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))


def invoke_with(tmp_path, raw: dict):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return CliRunner().invoke(cli, ["--config", str(path), "check"])


def mutate(raw: dict, change) -> dict:
    change(raw)
    return raw


CASES = {
    "unknown key": (
        lambda c: c["units"][2].update({"emial": "x@example.vn"}),
        "units.2.emial: unknown key (check its spelling)",
    ),
    "wrong type": (
        lambda c: c["forms"][0]["fields"][1].update({"required": "có"}),
        "forms.0.fields.1.required: Input should be a valid boolean",
    ),
    "duplicate unit id": (
        lambda c: c["units"][3].update({"id": "941"}),
        "units: duplicate unit id(s): 941",
    ),
    "unknown form in the calendar": (
        lambda c: c["calendar"]["obligations"][0].update({"form": "topic_reprot"}),
        "calendar.obligations.0.form: unknown form 'topic_reprot'",
    ),
    "bad e-mail": (
        lambda c: c["units"][0]["emails"].append("hlhpn.soctrang@@example"),
        "units.0.emails.1: 'hlhpn.soctrang@@example' is not a valid e-mail address",
    ),
    "e-mail with a header injection": (
        lambda c: c["units"][0].update({"supervisor_email": "a@example.vn\r\nBcc: x@example.vn"}),
        "units.0.supervisor_email:",
    ),
    "bad office mailbox": (
        lambda c: c["organisation"].update({"office_email": "bantuyengiao"}),
        "organisation.office_email: 'bantuyengiao' is not a valid e-mail address",
    ),
    "rule over an unknown field": (
        lambda c: c["rules"][0].update({"left": "officials_atended"}),
        "rules.0: 'officials_atended' is not a field of form 'topic_report'",
    ),
    "rule expression that is not arithmetic": (
        lambda c: c["rules"][0].update({"left": "__import__('os')"}),
        "rules.0: Call is not allowed",
    ),
    "typo in the source kind": (
        lambda c: c["source"].update({"kind": "locale"}),
        "source: Input tag 'locale' found using 'kind' does not match any of the expected tags",
    ),
    "bad time zone": (
        lambda c: c["organisation"].update({"timezone": "Asia/Saigon_"}),
        "organisation.timezone: unknown time zone 'Asia/Saigon_'",
    ),
    "choice field without choices": (
        lambda c: c["forms"][2]["fields"][2].pop("choices"),
        "forms.2.fields.2: a choice field needs a non-empty 'choices' list",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_config_error_names_key_path_and_reason_and_exits_2(tmp_path, case):
    change, expected = CASES[case]
    result = invoke_with(tmp_path, mutate(shipped(), change))
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_yaml_syntax_error_is_a_config_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("units: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_missing_config_file_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "nope.yaml"), "check"])
    assert result.exit_code == 2
    assert "config file not found" in result.output


def test_shipped_config_loads_with_relative_paths_resolved():
    config = load_config(REPO / "config.yaml")
    assert config.organisation.office_email == "bantuyengiaocslp2019@gmail.com"
    assert config.source.folder == REPO / "samples" / "workbooks"
    assert config.state_file == REPO / "state" / "state.sqlite3"
    assert len([u for u in config.units if u.kind == "district"]) == 11
    assert any(u.kind == "affiliated" for u in config.units)


def test_every_relative_path_of_any_kind_is_relative_to_the_config_file(tmp_path):
    raw = shipped()
    raw["source"] = {"kind": "google", "credentials": [{"key_file": "keys/a.json"}, {"key_file": "/abs/b.json"}, {}]}
    raw["mail"]["delivery"] = {
        "transport": "smtp", "user": "bot@example.vn", "password_file": "secret/smtp.txt", "outbox_folder": "dry",
    }
    path = tmp_path / "conf" / "config.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    config = load_config(path)

    base = path.parent
    assert [c.key_file for c in config.source.credentials] == [base / "keys/a.json", Path("/abs/b.json"), None]
    assert config.mail.delivery.password_file == base / "secret/smtp.txt"
    assert config.mail.delivery.outbox_folder == base / "dry"
    assert config.state_file == base / "state/state.sqlite3"
