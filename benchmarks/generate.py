"""Synthetic units for benchmarks and tests: N units with Vietnamese names and realistic reports.

The forms, rules and calendar are those of the repository's config.yaml; only the units change.
Up to 11 units are the districts of Sóc Trăng, more are communes and wards ("Xã Tân Phú",
"Phường An Hòa"), as after the 2025 reform. Each unit gets one scenario, drawn with a seeded
random generator in the shares of ``Shares``: on time, or one report late, incomplete (a
required value left empty), invalid (a value that cannot be read, or a high rule broken),
missing (a period row left out), or the unit's whole workbook absent or not a workbook at all.
About one unit in ten types its numbers as vi-VN text ("1.250") and one in twenty has headers in
decomposed Unicode, which must change nothing. The same grids can be written as .xlsx workbooks
beside a config.yaml (``write_local``) and served by the local Google fake (``seed_google``).

    python benchmarks/generate.py 103 /tmp/n103     # writes /tmp/n103/config.yaml, workbooks/
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rules.calendar import WorkingDays, periods_in_view  # noqa: E402
from rules.judge import owed_forms  # noqa: E402
from settings.schema import Config, Unit  # noqa: E402

TODAY = dt.date(2023, 7, 20)
SCENARIOS = ("on_time", "late", "incomplete", "invalid", "missing", "no_workbook", "not_a_workbook")
Grid = list[list[Any]]

DISTRICTS = [
    ("941", "thành phố Sóc Trăng"),
    ("942", "huyện Châu Thành"),
    ("943", "huyện Kế Sách"),
    ("944", "huyện Mỹ Tú"),
    ("945", "huyện Cù Lao Dung"),
    ("946", "huyện Long Phú"),
    ("947", "huyện Mỹ Xuyên"),
    ("948", "thị xã Ngã Năm"),
    ("949", "huyện Thạnh Trị"),
    ("950", "thị xã Vĩnh Châu"),
    ("951", "huyện Trần Đề"),
]
FIRST = [
    "An", "Tân", "Phú", "Long", "Mỹ", "Vĩnh", "Hòa", "Thạnh", "Bình", "Phước", "Đại", "Trung",
    "Thới", "Nhơn", "Châu", "Hưng", "Khánh", "Lộc", "Thuận", "Ngọc", "Xuân", "Hiệp", "Định", "Tam",
]  # fmt: skip
SECOND = [
    "Hòa", "Lợi", "Thạnh", "Phú", "Hưng", "Bình", "Thuận", "Điền", "Khánh", "Lạc", "Tây", "Đông",
    "Mỹ", "Tiến", "An", "Quới", "Hải", "Phong", "Lộc", "Thành", "Hiệp", "Nghĩa", "Trường", "Xuyên",
]  # fmt: skip
DIFFICULTIES = [
    "Một số chi hội ở vùng sâu chưa có điều kiện tổ chức học tập tập trung.",
    "Hội viên là đồng bào Khmer còn hạn chế tiếng Việt, khó tiếp cận tài liệu.",
    "Kinh phí hỗ trợ xây dựng mô hình còn hạn chế.",
    "Một số hội viên đi làm ăn xa nên tỷ lệ tham dự chưa cao.",
    "Cán bộ chi hội kiêm nhiệm nhiều việc, báo cáo còn chậm.",
]
PROPOSALS = [
    "Đề nghị Tỉnh Hội cung cấp thêm tài liệu song ngữ Việt - Khmer.",
    'Đề nghị hỗ trợ kinh phí nhân rộng mô hình "Nuôi heo đất".',
    "Đề nghị tổ chức tập huấn kỹ năng tuyên truyền trên mạng xã hội.",
    "Đề nghị Tỉnh Hội hướng dẫn mẫu báo cáo thống nhất.",
]
NOTES = ["Hoàn thành tốt nhiệm vụ", "Đạt chỉ tiêu đề ra", "Không có vướng mắc"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Lâm", "Thạch", "Dương"]
GIVEN = ["Thị Thu Hà", "Ngọc Lan", "Thị Mỹ Dung", "Thị Hồng Nhung", "Thị Bích Trâm", "Thị Kim Ngân", "Thị Sa Rươl"]
ACHIEVEMENTS = [
    "Vận động 45 hội viên tham gia tổ tiết kiệm, giúp 6 hộ thoát nghèo",
    'Thành lập mới 2 tổ phụ nữ "Tiết kiệm chi tiêu trong gia đình"',
    "Duy trì lớp học tình thương cho 25 trẻ em hoàn cảnh khó khăn",
    "Mô hình nuôi tôm càng xanh kết hợp trồng lúa hiệu quả",
]


@dataclass(frozen=True)
class Shares:
    """Which share of the units gets each scenario (the rest are on time)."""

    late: float = 0.15
    incomplete: float = 0.10
    invalid: float = 0.08
    missing: float = 0.05
    no_workbook: float = 0.01
    not_a_workbook: float = 0.01


@dataclass
class SyntheticUnit:
    """One unit of config.yaml and what its sheet holds: tab title → rows of cell values."""

    entry: dict[str, Any]
    scenario: str
    tabs: dict[str, Grid] = field(default_factory=dict)
    # (form key, period id) of the report the scenario spoils; None for on time and whole-file faults.
    spoiled: tuple[str, str] | None = None

    @property
    def id(self) -> str:
        return self.entry["id"]


@dataclass
class Synthetic:
    """N units on the repository's forms: the raw config (units included) and every unit's sheet."""

    raw: dict[str, Any]
    units: list[SyntheticUnit]
    today: dt.date


def unit_entries(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` units: the districts of Sóc Trăng up to 11, communes and wards beyond."""
    if count <= len(DISTRICTS):
        return [
            {"id": code, "name": f"Hội LHPN {name}", "kind": "district", "sheet": f"{code}.xlsx",
             "emails": [f"hlhpn.{code}@example.vn"]}
            for code, name in DISTRICTS[:count]
        ]  # fmt: skip
    seen: dict[str, int] = {}
    entries = []
    for i in range(count):
        place = f"{rng.choice(FIRST)} {rng.choice(SECOND)}"
        seen[place] = seen.get(place, 0) + 1
        if seen[place] > 1:
            place = f"{place} {seen[place]}"  # as "An Thạnh 2", "Đại Ân 1" exist
        kind = "phường" if rng.random() < 0.3 else "xã"  # Cần Thơ: 31 phường, 72 xã
        code = f"{10000 + 3 * i:05d}"
        entry = {"id": code, "name": f"Hội LHPN {kind} {place}", "kind": "commune", "sheet": f"{code}.xlsx",
                 "emails": [f"hlhpn.{code}@example.vn"]}  # fmt: skip
        if rng.random() < 0.3:
            entry["supervisor_email"] = f"danguy.{code}@example.vn"
        entries.append(entry)
    return entries


def _config(entries: list[dict[str, Any]]) -> dict[str, Any]:
    raw = yaml.load((REPO / "config.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    raw["units"] = entries
    for request in raw["calendar"].get("ad_hoc", []):
        request.pop("units", None)  # every unit owes it
    kinds = sorted({e["kind"] for e in entries})
    for obligation in raw["calendar"]["obligations"]:
        if obligation.get("unit_kinds") == ["district"]:
            obligation["unit_kinds"] = kinds  # communes report directly since the 2025 reform
    return raw


def _topic_values(rng: random.Random, officials: int, share: float, scale: float) -> dict[str, Any]:
    """A realistic, rule-consistent topic report row."""
    k = share * scale

    def n(lo: int, hi: int, step: int = 1) -> int:
        return max(1, round(rng.randint(lo, hi) * k / step) * step)

    sessions, found, models_new, models_kept, helped = n(20, 60), n(3, 8), n(1, 4), n(3, 10), n(10, 40)
    return {
        "study_sessions": max(2, round(rng.randint(4, 8) * share)),
        "officials_total": officials,
        "officials_attended": officials - rng.randint(0, 1),
        "party_members_attended": max(0, officials - rng.randint(2, 4)),
        "members_attended": n(1800, 5200, 10),
        "propaganda_sessions": sessions,
        "propaganda_audience": sessions * rng.randint(25, 60),
        "website_posts": n(5, 20),
        "social_posts": n(20, 80),
        "commitments_written": officials,
        "models_new": models_new,
        "models_maintained": models_kept,
        "model_members": models_new + models_kept + n(60, 250),
        "welfare_beneficiaries": helped,
        "welfare_value": helped * rng.choice([300, 400, 500, 600]) * 1000,
        "exemplars_found": found,
        "exemplars_praised": max(0, found - rng.randint(0, 2)),
        "inspections": n(1, 4),
        "difficulties": rng.choice(DIFFICULTIES),
        "proposals": rng.choice(PROPOSALS),
    }


def _monthly_values(rng: random.Random, officials: int) -> dict[str, Any]:
    met = officials - rng.randint(0, min(2, officials))
    return {
        "officials_total": officials,
        "commitments_written": officials,
        "commitments_met": met,
        "met_rate": round(100 * met / officials, 1),
        "notes": rng.choice(NOTES),
    }


def _person(rng: random.Random, form: dict[str, Any]) -> dict[str, Any]:
    choices = {f["key"]: f.get("choices") for f in form["fields"]}
    return {
        "full_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
        "position": "Chi hội trưởng ấp " + rng.choice(FIRST) + " " + rng.choice(SECOND),
        "domain": rng.choice(choices["domain"]),
        "achievement": rng.choice(ACHIEVEMENTS),
        "recognition": rng.choice(choices["recognition"]),
    }


def _vn_text(value: Any) -> Any:
    """An integer as a clerk types it into a text cell: 1.250."""
    return f"{value:,}".replace(",", ".") if isinstance(value, int) and value >= 1000 else value


def _sheet(
    config: Config,
    raw_forms: list[dict[str, Any]],
    model: Unit,
    unit: SyntheticUnit,
    in_view: dict[str, list[Any]],
    rng: random.Random,
    today: dt.date,
) -> None:
    """Fill ``unit.tabs`` with one row per period due (list forms: a few people), then spoil it."""
    forms = {f["key"]: f for f in raw_forms}
    officials = rng.randint(8, 15) if model.kind == "district" else rng.randint(3, 8)
    scale = 1.0 if model.kind == "district" else 0.2
    as_text, nfd = rng.random() < 0.1, rng.random() < 0.05
    rows: dict[str, list[dict[str, Any]]] = {}
    due: list[tuple[str, Any, dt.date, dict[str, Any]]] = []  # (form, period, deadline, row)
    for form_key, kinds in owed_forms(config, model).items():
        form = forms[form_key]
        periods = [pd for kind in kinds for pd in in_view.get(kind, [])]
        periods += [pd for pd in in_view["ad_hoc"] if pd[0].id in kinds]
        rows[form_key] = []
        for period, deadline in sorted(periods, key=lambda pd: pd[0].end):
            if form["layout"] == "list":
                for _ in range(rng.randint(1, 3)):
                    rows[form_key].append({"_period": period.label, **_person(rng, form)})
                continue
            if deadline >= today:
                continue  # not due yet: most units have not typed it
            if form_key == "topic_report":
                values = _topic_values(rng, officials, 1.0 if period.type != "ad_hoc" else 0.45, scale)
            else:
                values = _monthly_values(rng, officials)
            span = max(0, (deadline - period.end).days - 1)
            row = {"_period": period.label, "_date": period.end + dt.timedelta(days=1 + rng.randint(0, span))}
            row |= {k: _vn_text(v) if as_text else v for k, v in values.items()}
            rows[form_key].append(row)
            due.append((form_key, period, deadline, row))
    if due and unit.scenario in ("late", "incomplete", "invalid", "missing"):
        form_key, period, deadline, row = rng.choice(due)
        unit.spoiled = (form_key, period.id)
        if unit.scenario == "late":
            row["_date"] = min(today - dt.timedelta(days=1), deadline + dt.timedelta(days=rng.randint(1, 20)))
        elif unit.scenario == "incomplete":
            required = [f["key"] for f in forms[form_key]["fields"] if f.get("required")]
            row[rng.choice(required)] = None
        elif unit.scenario == "invalid" and rng.random() < 0.5:
            row["commitments_written"] = row["officials_total"] + rng.randint(1, 5)  # a high rule broken
        elif unit.scenario == "invalid":
            # Not "#N/A": openpyxl would write an error cell, which a workbook and Google read apart.
            row["officials_total"] = rng.choice(["mười hai", "12,000", "không rõ", "khoảng 10"])
        else:
            rows[form_key].remove(row)
    for form_key, lines in rows.items():
        form = forms[form_key]
        labels = [form["period_label"]] + ([form["report_date_label"]] if form.get("report_date_label") else [])
        labels += [f["label"] for f in form["fields"]]
        keys = ["_period"] + (["_date"] if form.get("report_date_label") else []) + [f["key"] for f in form["fields"]]
        header = [unicodedata.normalize("NFD", label) if nfd else label for label in labels]
        unit.tabs[form["tab"]] = [header] + [[line.get(k) for k in keys] for line in lines]


def synthetic(count: int, seed: int = 2023, shares: Shares = Shares(), today: dt.date = TODAY) -> Synthetic:
    """``count`` units on the repository's forms, reproducible from ``seed``."""
    rng = random.Random(seed)
    raw = _config(unit_entries(count, rng))
    config = Config.model_validate(raw)
    weights = asdict(shares)
    scenarios = list(weights) + ["on_time"]
    shares_list = [*weights.values(), max(0.0, 1 - sum(weights.values()))]
    working = WorkingDays(config.calendar)
    in_view = {kind: periods_in_view(kind, config.calendar, today, working) for kind in
               ("monthly", "six_monthly", "yearly", "ad_hoc")}  # fmt: skip
    units = []
    for entry, model in zip(raw["units"], config.units, strict=True):
        unit = SyntheticUnit(entry, rng.choices(scenarios, weights=shares_list)[0])
        if unit.scenario not in ("no_workbook", "not_a_workbook"):
            _sheet(config, raw["forms"], model, unit, in_view, rng, today)
        units.append(unit)
    return Synthetic(raw, units, today)


def write_workbook(path: Path, tabs: dict[str, Grid]) -> None:
    """An .xlsx with one tab per grid (openpyxl's write-only mode: about 5 ms a workbook)."""
    workbook = Workbook(write_only=True)
    for title, grid in tabs.items():
        sheet = workbook.create_sheet(title)
        for row in grid:
            sheet.append(row)
    workbook.save(path)


def write_local(data: Synthetic, folder: Path) -> Path:
    """Write ``folder``/config.yaml (state, board, log and outbox inside ``folder``) and the
    workbooks in ``folder``/workbooks; returns the config path."""
    books = folder / "workbooks"
    books.mkdir(parents=True, exist_ok=True)
    for unit in data.units:
        path = books / unit.entry["sheet"]
        if unit.scenario == "no_workbook":
            path.unlink(missing_ok=True)
        elif unit.scenario == "not_a_workbook":
            path.write_bytes(b"Ky bao cao;Ngay bao cao\r\n6 thang dau nam 2023;16/06/2023\r\n")  # a CSV renamed
        else:
            write_workbook(path, unit.tabs)
    raw = dict(data.raw)
    raw |= {"state_file": "state/state.sqlite3", "log_file": "log/service.log", "board_file": "board/index.html"}
    raw["source"] = {"kind": "local", "folder": "workbooks"}
    raw["mail"] = {**raw["mail"], "delivery": {"transport": "outbox", "folder": "outbox"}}
    path = folder / "config.yaml"
    path.write_text(yaml.dump(raw, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def google_grid(grid: Grid) -> Grid:
    """A grid as the Sheets API serves it (dates as serial days, empty cells as "")."""
    from tests.sheets_fake_values import sheets_value

    return [[sheets_value(value) for value in row] for row in grid]


def seed_google(fake: Any, data: Synthetic, refused_to: set[str] | None = None) -> dict[str, str]:
    """Serve every unit's grids from the Google fake (a ``tests.sheets_fake.SheetsFake``): a unit
    without a workbook has no spreadsheet (404), one whose file is not a workbook has not shared
    it (403). Returns unit id → spreadsheet ID, for the units' ``sheet``."""
    ids = {}
    for unit in data.units:
        sheet_id = f"sheet-{unit.id}"
        ids[unit.id] = sheet_id
        if unit.scenario == "no_workbook":
            continue
        tabs = {title: google_grid(grid) for title, grid in unit.tabs.items()}
        shared = (refused_to or set()) if unit.scenario == "not_a_workbook" else None
        fake.add_spreadsheet(sheet_id, tabs, shared_with=shared, title=unit.entry["name"])
    return ids


def google_config(data: Synthetic, folder: Path, api_base: str, key_file: Path, ids: dict[str, str]) -> Path:
    """``folder``/config.yaml reading the units' spreadsheets (``seed_google``'s ids) from ``api_base``."""
    raw = dict(data.raw)
    raw |= {"state_file": "state/state.sqlite3", "log_file": None, "board_file": None}
    raw["source"] = {
        "kind": "google",
        "api_base": api_base,
        "credentials": [{"key_file": str(key_file)}],
        "retry": {"initial_wait": 0, "max_wait": 0},
    }
    raw["units"] = [{**u.entry, "sheet": ids[u.id]} for u in data.units]
    raw["mail"] = {**raw["mail"], "delivery": {"transport": "outbox", "folder": "outbox"}}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.dump(raw, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def scenario_counts(data: Synthetic) -> dict[str, int]:
    return {name: sum(u.scenario == name for u in data.units) for name in SCENARIOS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("units", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    data = synthetic(args.units, args.seed)
    print(write_local(data, args.folder))
    print(json.dumps(scenario_counts(data)))


if __name__ == "__main__":
    main()
