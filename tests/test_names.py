"""How emails name units and periods: short unit names, periods as staff name them (never an id)."""

from __future__ import annotations

import datetime as dt

import pytest

from consolidation.names import period_name, period_short, short_unit_name
from rules.model import Period
from settings.schema import Unit

AD_HOC = Period(
    "dot-xuat-2023-04", "ad_hoc", 2023, dt.date(2023, 2, 10), dt.date(2023, 4, 14), "Báo cáo nhanh (đột xuất)"
)


@pytest.mark.parametrize(
    ("name", "kind", "short"),
    [
        ("Hội LHPN huyện Long Phú", "district", "Long Phú"),
        ("Hội LHPN thành phố Sóc Trăng", "district", "TP Sóc Trăng"),
        ("Hội LHPN thị xã Ngã Năm", "district", "TX Ngã Năm"),
        ("Hội LHPN cơ sở Bệnh viện Đa khoa tỉnh", "affiliated", "Bệnh viện Đa khoa tỉnh"),
        ("Hội Liên hiệp Phụ nữ phường Tân An", "commune", "Phường Tân An"),
        ("hội lhpn  Xã An Ninh", "commune", "Xã An Ninh"),
        ("Hội LHPN", "district", "Hội LHPN"),
    ],
)
def test_a_unit_goes_by_its_name_without_the_union_and_its_kind(name, kind, short):
    unit = Unit(id="1", name=name, kind=kind, sheet="x.xlsx", emails=["a@example.vn"])

    assert short_unit_name(unit) == short
    assert short_unit_name(unit.model_copy(update={"short_name": "Tân An"})) == "Tân An"


def test_a_recurring_period_goes_by_its_label_and_in_a_table_by_its_short_form(config):
    july = Period("2023-M07", "monthly", 2023, dt.date(2023, 6, 15), dt.date(2023, 7, 14), "Tháng 7/2023")
    half = Period("2023-H1", "six_monthly", 2023, dt.date(2022, 12, 15), dt.date(2023, 6, 14), "6 tháng đầu năm 2023")

    assert [period_name(config, p) for p in (july, half)] == ["Tháng 7/2023", "6 tháng đầu năm 2023"]
    assert [period_short(config, p) for p in (july, half)] == ["T7/2023", "6T/2023"]


@pytest.mark.parametrize(
    ("update", "name"),
    [
        ({}, "Đột xuất 4/2023"),  # the shipped config: its first alias
        ({"short_label": "Báo cáo nhanh 4/2023"}, "Báo cáo nhanh 4/2023"),
        ({"aliases": []}, "Báo cáo nhanh kết quả học tập Chuyên đề (đột xuất tháng 4/2023)"),
    ],
)
def test_an_ad_hoc_period_goes_by_its_short_label_else_its_first_alias_never_its_id(config, update, name):
    adhoc = config.calendar.ad_hoc[0].model_copy(update=update)
    config = config.model_copy(update={"calendar": config.calendar.model_copy(update={"ad_hoc": [adhoc]})})

    assert period_name(config, AD_HOC) == period_short(config, AD_HOC) == name
