"""Imports of the files users bring (SPEC §8), the same for the CLI, the upload page and the API.

An import is all or nothing: every row is validated (schema, then references against the database
in bulk), and only a file without a single bad row is written — in one transaction, as bulk upserts
on natural keys, so importing the same file twice changes nothing the second time. A dry run does the
whole import, lints it, and rolls back: the preview shows exactly what a real import would do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from marshmallow import Schema, ValidationError

from tracker.core import request_memo
from tracker.extensions import db
from tracker.targets.files import open_source, read_table
from tracker.targets.schemas import HEADERS, REQUIRED_HEADERS
from tracker.targets.tables import FileRejected, Limits, Table

__all__ = [
    "ImportReport",
    "RowError",
    "ParsedRow",
    "ImportContext",
    "run_import",
    "import_records",
    "register_importer",
    "IMPORT_KINDS",
]

IMPORT_KINDS = ("targets", "projects", "department", "spending", "actuals", "goals", "bureaus", "departments")


@dataclass(frozen=True)
class RowError:
    """One bad cell or row: ``行 N 列 X: reason``. ``line`` 0 is the whole file."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.line == 0:
            return self.reason
        if self.column:
            return f"行 {self.line} 列 {self.column}: {self.reason}"
        return f"行 {self.line}: {self.reason}"


@dataclass
class ImportReport:
    kind: str
    filename: str
    dry_run: bool = False
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: How values printed in an odd way were read (“≥266米”读作 266米), for the clerk to check.
    notes: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verb = "预检" if self.dry_run else "导入"
        if not self.ok:
            return f"{self.filename}: {len(self.errors)} 处错误，未写入任何数据"
        return (
            f"{self.filename}: {verb} {self.rows} 行 — 新增 {self.inserted}，更新 {self.updated}，"
            f"未变 {self.unchanged}；警告 {len(self.warnings)} 条"
        )


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any]


@dataclass
class ImportContext:
    """What an importer gets: the validated rows, the user it acts for (None: the command line,
    which may do everything), and the report it fills."""

    kind: str
    rows: list[ParsedRow]
    user: Any
    report: ImportReport
    synthetic: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    #: Files name columns by their Chinese header; JSON records by their field name.
    by_header: bool = True

    def error(self, line: int, key: str, reason: str) -> None:
        column = header_for(self.kind, key) if self.by_header else ("" if key == "_schema" else key)
        self.report.errors.append(RowError(line, column, reason))

    def note(self, line: int, key: str, reading: str) -> None:
        """Say how a value was read; the preview lists it like an error, but it blocks nothing."""
        column = header_for(self.kind, key) if self.by_header else key
        self.report.notes.append(RowError(line, column, reading))

    def tally(self, plan: Any) -> None:
        """Count an :class:`~tracker.targets.upsert.UpsertPlan`'s rows into the report."""
        self.report.inserted += len(plan.inserts)
        self.report.updated += len(plan.updates)
        self.report.unchanged += plan.unchanged


class Importer(Protocol):
    schema: type[Schema]

    def check(self, ctx: ImportContext) -> None: ...  # reference errors → ctx.error

    def write(self, ctx: ImportContext) -> None: ...  # upserts, counts, audit, lint warnings


_IMPORTERS: dict[str, Callable[[], Importer]] = {}


def register_importer(kind: str) -> Callable[[type], type]:
    def decorator(importer: type) -> type:
        _IMPORTERS[kind] = importer
        return importer

    return decorator


def header_for(kind: str, key: str) -> str:
    for header, name in HEADERS[kind].items():
        if name == key:
            return header
    return key if key != "_schema" else ""


def run_import(
    kind: str,
    source: str | Path | IO[bytes],
    *,
    filename: str | None = None,
    user: Any = None,
    dry_run: bool = False,
    synthetic: bool = False,
    limits: Limits | None = None,
    **options: Any,
) -> ImportReport:
    """Import one file of ``kind``. Returns the report; writes only when it has no errors."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    stream, name = open_source(source)
    report = ImportReport(kind=kind, filename=filename or name or kind, dry_run=dry_run)
    try:
        table = read_table(stream, filename or name, limits)
    except FileRejected as exc:
        report.errors.append(RowError(0, "", f"文件被拒绝：{exc}"))
        return report
    finally:
        if isinstance(source, (str, Path)):
            stream.close()

    importer = _IMPORTERS[kind]()
    rows = _validated_rows(kind, table, importer.schema, report)
    if any(error.line <= 1 for error in report.errors):
        return report
    report.rows = len(table.rows)
    return _check_and_write(importer, ImportContext(kind, rows, user, report, synthetic, options), dry_run)


def import_records(
    kind: str, records: list[dict[str, Any]], *, user: Any = None, dry_run: bool = False, **options: Any
) -> ImportReport:
    """The same import for JSON records keyed by field name (the API's bulk upsert): record *n*
    (1-based) is "line" *n* of the report and errors name the field."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    report = ImportReport(kind=kind, filename=kind, dry_run=dry_run, rows=len(records))
    importer = _IMPORTERS[kind]()
    schema = importer.schema()
    rows: list[ParsedRow] = []
    for number, record in enumerate(records, start=1):
        try:
            rows.append(ParsedRow(number, schema.load(record)))
        except ValidationError as exc:
            for key, messages in _flatten(exc.normalized_messages()):
                report.errors.extend(RowError(number, "" if key == "_schema" else key, m) for m in messages)
    if not records:
        report.errors.append(RowError(0, "", "没有数据"))
        return report
    ctx = ImportContext(kind, rows, user, report, options=options, by_header=False)
    return _check_and_write(importer, ctx, dry_run)


def _check_and_write(importer: Importer, ctx: ImportContext, dry_run: bool) -> ImportReport:
    report = ctx.report
    # References are checked even when some rows are already bad, so one pass names every bad row.
    importer.check(ctx)
    if not report.ok:
        report.errors.sort(key=lambda e: e.line)
        return report
    try:
        importer.write(ctx)
        db.session.flush()
        request_memo.forget()  # units, departments and bureaus read before it may have changed
    except Exception:
        db.session.rollback()
        raise
    if dry_run or not report.ok:
        db.session.rollback()
    else:
        db.session.commit()
    return report


def _validated_rows(
    kind: str, table: Table, schema_class: type[Schema], report: ImportReport
) -> list[ParsedRow]:
    headers = HEADERS[kind]
    missing = [h for h in REQUIRED_HEADERS[kind] if h not in table.headers]
    if missing:
        report.errors.append(RowError(1, "", "缺少必需的列：" + "、".join(missing)))
        return []
    unknown = [h for h in table.headers if h and h not in headers]
    if unknown:
        report.warnings.append("已忽略未知的列：" + "、".join(unknown))
    for problem in table.problems:
        report.errors.append(RowError(problem.line, problem.column, problem.reason))
    if not table.rows:
        report.errors.append(RowError(0, "", "文件中没有数据行"))
    schema = schema_class()
    parsed: list[ParsedRow] = []
    for line, row in table.rows:
        data = {headers[h]: value for h, value in row.items() if h in headers}
        try:
            parsed.append(ParsedRow(line, schema.load(data)))
        except ValidationError as exc:
            for key, messages in _flatten(exc.normalized_messages()):
                for message in messages:
                    report.errors.append(RowError(line, header_for(kind, key), message))
    report.errors.sort(key=lambda e: e.line)
    return parsed


def _flatten(messages: Any, key: str = "_schema") -> Iterator[tuple[str, list[str]]]:
    if isinstance(messages, dict):
        for name, inner in messages.items():
            yield from _flatten(inner, str(name))
    elif isinstance(messages, list):
        yield key, [str(m) for m in messages]
    else:
        yield key, [str(messages)]
