"""The README stays true: every command is in its commands table, and its exit-code table is
exactly errors.EXIT_CODES (which `python main.py --help` prints too). The Vietnamese guides in docs/
are linked from the README, and every picture or page they link is in the repository."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from errors import EXIT_CODES
from main import cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
GUIDES = sorted((REPO / "docs").glob("huong-dan-*.md"))
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)\s#]+)(?:#[^)]*)?\)")
MAX_PICTURE_BYTES = 150_000


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


def test_there_is_a_guide_for_the_office_and_one_for_the_units():
    assert [g.name for g in GUIDES] == ["huong-dan-don-vi.md", "huong-dan-van-phong.md"]


def test_every_guide_is_linked_from_the_readme():
    linked = {(REPO / target).resolve() for target in LINK.findall(README)}

    assert [g for g in GUIDES if g.resolve() not in linked] == []


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.name)
def test_every_picture_a_guide_shows_is_a_small_png_in_the_repository(guide):
    pictures = IMAGE.findall(guide.read_text(encoding="utf-8"))

    assert len(pictures) >= 5
    for alt, target in pictures:
        path = guide.parent / target
        assert alt.strip(), f"{target} has no description"
        assert path.is_file(), f"{guide.name} shows {target}, which does not exist"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a PNG"
        assert path.stat().st_size < MAX_PICTURE_BYTES, f"{target} is {path.stat().st_size} bytes"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.name)
def test_every_page_a_guide_links_exists(guide):
    local = [
        t for t in LINK.findall(guide.read_text(encoding="utf-8")) if "://" not in t and not t.startswith("mailto:")
    ]

    assert [t for t in local if not (guide.parent / t).is_file()] == []


def test_every_picture_in_docs_img_is_shown_by_a_guide():
    shown = {(g.parent / target).resolve() for g in GUIDES for _, target in IMAGE.findall(g.read_text("utf-8"))}

    assert sorted(p.name for p in (REPO / "docs" / "img").glob("*.png") if p.resolve() not in shown) == []
