"""The schema of config.yaml: organisation, units, forms, validation rules, calendar, source, mail.

Every model forbids unknown keys so a typo fails at load with its key path. Cross-references
(a rule's fields, a calendar's forms and units) are checked here too.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from settings.expressions import Expression, ExpressionError, parse_expression
from vntext import fold

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _check_email(value: str) -> str:
    # Strict ASCII addresses: nothing from config can smuggle CR/LF or a display name into a header.
    value = value.strip()
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValueError(f"{value!r} is not a valid e-mail address")
    return value


def _check_single_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line")
    return value.strip()


Email = Annotated[str, AfterValidator(_check_email)]
Line = Annotated[str, AfterValidator(_check_single_line)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
UnitId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
PeriodType = Literal["monthly", "six_monthly", "yearly"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(Strict):
    name: Line
    office_name: Line = "Ban Tuyên giáo - Chính sách, Luật pháp"
    office_email: Email = "bantuyengiaocslp2019@gmail.com"
    timezone: str = "Asia/Ho_Chi_Minh"
    topics: dict[int, Line] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def topic(self, year: int) -> str:
        """The thematic topic of ``year``, or a neutral title when none is configured."""
        return self.topics.get(year, f"Chuyên đề năm {year}")


class Unit(Strict):
    id: UnitId
    name: Line
    # How emails' subjects and tables name the unit ("Long Phú"); by default the name without
    # the prefixes listed in templates/mail.yaml (unit_name_prefixes).
    short_name: Line | None = None
    kind: Literal["district", "commune", "affiliated"] = "district"
    sheet: Line = Field(description="local: workbook file in the source folder; google: URL or ID")
    emails: list[Email] = Field(min_length=1)
    supervisor_email: Email | None = None


class FormField(Strict):
    key: Key
    label: Line
    aliases: list[Line] = Field(default_factory=list)
    type: Literal["integer", "number", "percent", "text", "date", "choice"]
    required: bool = False
    min: float | None = None
    max: float | None = None
    choices: list[Line] | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> FormField:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice field needs a non-empty 'choices' list")
        if self.type != "choice" and self.choices:
            raise ValueError("'choices' is only for fields of type choice")
        if (self.min is not None or self.max is not None) and not self.numeric:
            raise ValueError("'min' and 'max' are only for integer, number and percent fields")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        return self

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "number", "percent")


class Form(Strict):
    key: Key
    tab: Line
    title: Line
    layout: Literal["per_period", "list"] = "per_period"
    period_label: Line = "Kỳ báo cáo"
    report_date_label: Line | None = None
    header_row: int = Field(1, ge=1)
    min_rows: int = Field(1, ge=0)
    key_indicators: list[Key] = Field(default_factory=list)
    fields: list[FormField] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_fields(self) -> Form:
        keys = [f.key for f in self.fields]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate field key(s): {', '.join(dupes)}")
        labels = [fold(label) for f in self.fields for label in (f.label, *f.aliases)]
        labels += [fold(self.period_label)]
        if self.report_date_label:
            labels.append(fold(self.report_date_label))
        if len(labels) != len(set(labels)):
            raise ValueError("two columns have the same header label (after normalisation)")
        unknown = [k for k in self.key_indicators if k not in keys]
        if unknown:
            raise ValueError(f"key_indicators name unknown field(s): {', '.join(unknown)}")
        return self

    def field(self, key: str) -> FormField:
        return next(f for f in self.fields if f.key == key)


class Rule(Strict):
    id: Key
    form: Key
    description: Line
    left: str
    operator: Literal["==", "!=", "<", "<=", ">", ">=", "compulsory_pair", "exclusive_pair"]
    right: str
    importance: Literal["high", "medium", "low"] = "medium"
    missing_values: Literal["skip_if_any_missing", "skip_if_all_missing", "never_skip"] = "skip_if_any_missing"
    _left: Expression = PrivateAttr()
    _right: Expression = PrivateAttr()
    _names: tuple[str, ...] = PrivateAttr()

    @model_validator(mode="after")
    def _parse(self) -> Rule:
        try:
            self._left = parse_expression(self.left)
            self._right = parse_expression(self.right)
        except ExpressionError as exc:
            raise ValueError(str(exc)) from exc
        self._names = tuple(dict.fromkeys(self._left.names + self._right.names))
        return self

    # Cached on the instance: a private attribute is looked up through pydantic's __getattr__,
    # and rule evaluation reads these for every record of every unit.
    @cached_property
    def left_expression(self) -> Expression:
        return self._left

    @cached_property
    def right_expression(self) -> Expression:
        return self._right

    @cached_property
    def names(self) -> tuple[str, ...]:
        return self._names


class Deadline(Strict):
    days: int = Field(2, ge=0, le=366)
    count: Literal["working", "calendar"] = "working"


class Obligation(Strict):
    form: Key
    periods: list[PeriodType] = Field(min_length=1)
    units: list[UnitId] | None = None
    unit_kinds: list[Literal["district", "commune", "affiliated"]] | None = None


class AdHocPeriod(Strict):
    id: UnitId
    label: Line
    aliases: list[Line] = Field(default_factory=list)
    # How subjects and tables name the period ("Đột xuất 4/2023"); by default its first alias.
    short_label: Line | None = None
    start: dt.date
    end: dt.date
    deadline: dt.date
    forms: list[Key] = Field(min_length=1)
    units: list[UnitId] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AdHocPeriod:
        if not self.start <= self.end <= self.deadline:
            raise ValueError("dates must satisfy start <= end <= deadline")
        return self


class Calendar(Strict):
    cutoff_day: int = Field(15, ge=1, le=28)
    start: dt.date
    lookback_days: int = Field(400, ge=0)
    deadlines: dict[PeriodType, Deadline] = Field(default_factory=dict)
    holidays_country: str = "VN"
    extra_days_off: list[dt.date] = Field(default_factory=list)
    extra_working_days: list[dt.date] = Field(default_factory=list)
    obligations: list[Obligation] = Field(min_length=1)
    ad_hoc: list[AdHocPeriod] = Field(default_factory=list)

    def deadline_rule(self, period_type: str) -> Deadline:
        return self.deadlines.get(period_type, Deadline())


SheetLink = tuple[str | None, str | None]


class LocalSource(Strict):
    """Workbooks in ``folder``, each unit's ``sheet`` naming its file."""

    kind: Literal["local"]
    folder: Path

    def sheet_link(self, sheet: str) -> SheetLink:
        """(None, file name): a local workbook has no address a unit could click."""
        return None, sheet


class Credential(Strict):
    key_file: Path | None = Field(None, description="service-account JSON; else GOOGLE_APPLICATION_CREDENTIALS")
    # With a burst of 2 (sync.google_http.quota_burst), any 60 s window holds at most Google's 60.
    reads_per_minute: int = Field(58, ge=1, le=300)


class Retry(Strict):
    max_attempts: int = Field(5, ge=1, le=20)
    max_seconds: float = Field(120, gt=0, le=3600)
    initial_wait: float = Field(1.0, ge=0)
    max_wait: float = Field(32.0, ge=0)


class GoogleSource(Strict):
    kind: Literal["google"]
    credentials: list[Credential] = Field(default_factory=lambda: [Credential()], min_length=1)
    # Google allows 300 reads a minute per project, whatever the number of service accounts in it.
    reads_per_minute_per_project: int = Field(295, ge=1, le=3000)
    retry: Retry = Retry()
    api_base: str | None = Field(
        None, description="tests/benchmarks only: base URL that replaces every Google API host"
    )
    skip_unchanged: bool = True
    # Seconds one request may take before it is dropped and retried; without it a hung connection
    # would stall the cron job for ever.
    request_timeout: float = Field(60, gt=0, le=600)

    def sheet_link(self, sheet: str) -> SheetLink:
        """(URL, None): the unit's ``sheet`` if it is a URL, else the edit URL of the ID it gives."""
        if sheet.startswith(("https://", "http://")):
            return sheet, None
        return f"https://docs.google.com/spreadsheets/d/{sheet}/edit", None


class Outbox(Strict):
    """Write each email as an .eml file (plus index.csv) into ``folder``; nothing is sent."""

    transport: Literal["outbox"] = "outbox"
    folder: Path = Path("outbox")

    def sender(self, organisation: Organisation) -> str:
        """The From address: the office's mailbox, since nothing logs in."""
        return organisation.office_email


class Smtp(Strict):
    """Send through an SMTP server with yagmail; the password never lives in config.yaml."""

    transport: Literal["smtp"]
    user: Email
    host: Line = "smtp.gmail.com"
    port: int = Field(465, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    login: bool = Field(True, description="false only for a local relay that takes no AUTH")
    password_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = "SMTP_PASSWORD"
    password_file: Path | None = None
    timeout: float = Field(30, gt=0, le=600)
    outbox_folder: Path = Field(Path("outbox"), description="where --dry-run writes")

    def sender(self, organisation: Organisation) -> str:
        """The From address: the account that logs in (Gmail would rewrite any other to it)."""
        return self.user


class Reminders(Strict):
    days_before: list[Annotated[int, Field(ge=1, le=366)]] = Field(default_factory=lambda: [7, 3, 1])
    on_the_day: bool = True
    overdue_every_days: int = Field(3, ge=1)
    overdue_max: int = Field(5, ge=0)
    escalate_after_days: int = Field(7, ge=1)

    @field_validator("days_before")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("days_before lists the same day twice")
        return sorted(value, reverse=True)


class Mail(Strict):
    sender_name: Line = "Ban Tuyên giáo - Chính sách, Luật pháp, Hội LHPN tỉnh Sóc Trăng"
    delivery: Outbox | Smtp = Field(default_factory=Outbox, discriminator="transport")
    daily_cap: int = Field(450, ge=1)
    digest_weekday: int = Field(0, ge=0, le=6, description="0 = Monday")
    catch_up_days: int = Field(
        2,
        ge=0,
        le=31,
        description="a consolidated report or digest missed by cron still goes out this many sending days late;"
        " later, a period's report is folded into the next consolidated report that goes out",
    )
    send_on_days_off: bool = Field(
        False,
        description="false: nothing is sent on weekends and the calendar's days off; what falls due goes out"
        " on the next working day",
    )
    max_attempts: int = Field(10, ge=1, le=100, description="after this many failed tries an email is given up")
    technician_email: Email | None = Field(
        None, description="also told when the service itself cannot read the sheets (a key refused, a quota spent)"
    )
    reminders: Reminders = Reminders()


class ReportDocument(Strict):
    """The draft Báo cáo (.docx) that `report` writes: its layout and who issues and signs it."""

    layout: Literal["party", "state"] = Field(
        "party", description="party: Hướng dẫn 36-HD/VPTW; state: Nghị định 30/2020/NĐ-CP"
    )
    superior_body: Line = "TỈNH ỦY SÓC TRĂNG"
    issuing_body: Line = "ĐẢNG ĐOÀN HỘI LHPN TỈNH"
    place: Line = "Sóc Trăng"
    number_suffix: Line = Field("BC/ĐĐ", description='after the number: "Số    -BC/ĐĐ", "Số:    /BC-HLHPN"')
    signer_title: Line = "T/M ĐẢNG ĐOÀN"
    signer_position: Line | None = "PHÓ BÍ THƯ"
    signer_name: Line | None = Field(None, description="null: a placeholder for the name")
    recipients: list[Line] = Field(default_factory=lambda: ["Như trên", "Lưu VP"], min_length=1)


class Control(Strict):
    """The office's control spreadsheet: units, ad-hoc requests and reviews kept by staff."""

    sheet: Line = Field(description="local: workbook file in the source folder; google: URL or ID")


_URL_ID = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")
_BARE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def spreadsheet_id(sheet: str) -> str | None:
    """The spreadsheet ID in a ``sheet`` setting (a URL or a bare ID); None if there is none."""
    found = _URL_ID.search(sheet)
    if found:
        return found.group(1)
    sheet = sheet.strip()
    return sheet if _BARE_ID.match(sheet) else None


class WriteBack(Strict):
    """What `run` writes back (off by default): the status tab of the office's spreadsheet and,
    optionally, a feedback tab in each unit's own spreadsheet."""

    enabled: bool = False
    office_sheet: Line | None = Field(
        None, description="google: URL or ID of the office's spreadsheet that gets the status tab"
    )
    office_workbook: Path | None = Field(None, description="local: the .xlsx file the same status table is written to")
    unit_feedback: bool = Field(False, description="google: a feedback tab in each unit's spreadsheet")


class Config(Strict):
    organisation: Organisation
    state_file: Path = Path("state/state.sqlite3")
    log_file: Path | None = Field(Path("log/service.log"), description="rotating log of every command; null: none")
    board_file: Path | None = Field(
        Path("board/index.html"), description="the status board, rewritten by every run and check; null: none"
    )
    source: LocalSource | GoogleSource = Field(discriminator="kind")
    units: list[Unit] = Field(min_length=1)
    forms: list[Form] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    calendar: Calendar
    mail: Mail = Mail()
    report: ReportDocument = ReportDocument()
    control: Control | None = None
    writeback: WriteBack = WriteBack()

    @model_validator(mode="after")
    def _writeback_target(self) -> Config:
        writeback = self.writeback
        if not writeback.enabled:
            return self
        if self.source.kind == "google":
            if writeback.office_sheet is None and not writeback.unit_feedback:
                raise ValueError("writeback.office_sheet: needed when writeback is enabled (or set unit_feedback)")
            if writeback.office_sheet is not None and spreadsheet_id(writeback.office_sheet) is None:
                raise ValueError(f"writeback.office_sheet: {writeback.office_sheet!r} is not a spreadsheet URL or ID")
            return self
        if writeback.unit_feedback:
            raise ValueError(
                "writeback.unit_feedback: only for the Google source; the service never writes into units' workbooks"
            )
        if writeback.office_workbook is None:
            raise ValueError("writeback.office_workbook: needed when writeback is enabled with the local source")
        if writeback.office_workbook.suffix.lower() != ".xlsx":
            raise ValueError(f"writeback.office_workbook: {writeback.office_workbook} must be an .xlsx file")
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        unit_ids = [u.id for u in self.units]
        dupes = sorted(u for u, n in Counter(unit_ids).items() if n > 1)  # not list.count: 3,321² compares
        if dupes:
            raise ValueError(f"units: duplicate unit id(s): {', '.join(dupes)}")
        form_keys = [f.key for f in self.forms]
        dupes = sorted({k for k in form_keys if form_keys.count(k) > 1})
        if dupes:
            raise ValueError(f"forms: duplicate form key(s): {', '.join(dupes)}")
        tabs = [fold(f.tab) for f in self.forms]
        if len(tabs) != len(set(tabs)):
            raise ValueError("forms: two forms use the same tab")
        forms = {f.key: f for f in self.forms}
        for i, rule in enumerate(self.rules):
            if rule.form not in forms:
                raise ValueError(f"rules.{i}.form: unknown form {rule.form!r}")
            fields = {f.key: f for f in forms[rule.form].fields}
            for name in rule.names:
                if name not in fields:
                    raise ValueError(f"rules.{i}: {name!r} is not a field of form {rule.form!r}")
                if rule.operator not in ("compulsory_pair", "exclusive_pair") and not fields[name].numeric:
                    raise ValueError(f"rules.{i}: field {name!r} is not numeric")
        for i, ob in enumerate(self.calendar.obligations):
            if ob.form not in forms:
                raise ValueError(f"calendar.obligations.{i}.form: unknown form {ob.form!r}")
            for unit in ob.units or []:
                if unit not in unit_ids:
                    raise ValueError(f"calendar.obligations.{i}.units: unknown unit {unit!r}")
        for i, adhoc in enumerate(self.calendar.ad_hoc):
            for form in adhoc.forms:
                if form not in forms:
                    raise ValueError(f"calendar.ad_hoc.{i}.forms: unknown form {form!r}")
            for unit in adhoc.units or []:
                if unit not in unit_ids:
                    raise ValueError(f"calendar.ad_hoc.{i}.units: unknown unit {unit!r}")
        return self

    def form(self, key: str) -> Form:
        return next(f for f in self.forms if f.key == key)

    def unit(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)

    def rules_for(self, form_key: str) -> list[Rule]:
        """The rules of one form, indexed once per list of rules (asked for every record judged)."""
        index = self.__dict__.get("_rules_by_form")
        if index is None or index[0] is not self.rules:
            by_form: dict[str, list[Rule]] = {}
            for rule in self.rules:
                by_form.setdefault(rule.form, []).append(rule)
            index = self.__dict__["_rules_by_form"] = (self.rules, by_form)
        return list(index[1].get(form_key, ()))


def union_members(model: type[BaseModel], field: str) -> dict[str, type[BaseModel]]:
    """The settings model behind each tag of a discriminated-union field, e.g. {"local": LocalSource, ...}."""
    info = model.model_fields[field]
    return {
        tag: member
        for member in get_args(info.annotation)
        for tag in get_args(member.model_fields[info.discriminator].annotation)
    }


# The kinds config.yaml accepts; sync.registry and delivery.registry name a class for each.
SOURCE_SETTINGS = union_members(Config, "source")
DELIVERY_SETTINGS = union_members(Mail, "delivery")
