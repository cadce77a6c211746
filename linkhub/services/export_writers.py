"""Streaming file writers for exports (CSV, a JSON array, xlsx) and THE spreadsheet cell
escaping (analytics CSV downloads use it too). Writers take rows batch by batch and never hold
more than one batch; they know nothing about the database or the Export row."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_576  # per worksheet, header included; more rows go on the next sheet
XLSX_MAX_CHARS = 32_767  # Excel's limit for one cell (longer texts are cut)


_FORMULA_CHARS = frozenset(FORMULA_START)


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def escape_cell(value: Any) -> Any:
    """A value as a CSV cell: None is empty; text a spreadsheet would run as a formula gets a
    leading apostrophe; anything else is unchanged."""
    if value is None:
        return ""
    return "'" + value if formula_like(value) else value


def flat(value: Any) -> Any:
    """A JSON value as one spreadsheet cell: lists joined with `;` (how CSV imports read
    tags), objects as JSON text, booleans as true/false; numbers and text unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join("" if v is None else str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


def csv_cell(value: Any) -> Any:
    """escape_cell(flat(value)), with the common cases first (this runs for every cell)."""
    kind = value.__class__
    if kind is str:
        return "'" + value if value and value[0] in _FORMULA_CHARS else value
    if value is None:
        return ""
    if kind is int or kind is float:
        return value
    return escape_cell(flat(value))


class CsvWriter:
    """A header line, then one line per row (CRLF, RFC 4180). Appending resumes a file whose
    committed prefix already holds the header and earlier rows."""

    def __init__(self, path: Path, columns: list[str], *, append: bool):
        self.columns = columns
        self.file: BinaryIO = open(path, "ab" if append else "wb")  # noqa: SIM115
        if not append:
            self._lines([[escape_cell(c) for c in columns]])

    def _lines(self, rows: list[list[Any]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        self.file.write(buffer.getvalue().encode("utf-8"))

    def write(self, rows: list[list[Any]]) -> None:
        formula = _FORMULA_CHARS  # csv_cell inlined for the common types: it runs per cell
        self._lines([[v if v is None or (kind := v.__class__) is int or kind is float
                      else (("'" + v if v and v[0] in formula else v) if kind is str
                            else csv_cell(v)) for v in row] for row in rows])

    def checkpoint(self) -> int:
        """Flush; the byte offset every written row is inside of."""
        self.file.flush()
        return self.file.tell()

    def close(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def abort(self) -> None:
        self.file.close()


class JsonWriter(CsvWriter):
    """`[` + one object per row, comma-separated, + `]`: a JSON array written as it goes.
    `written` says whether a row precedes the next one (it needs a comma then)."""

    def __init__(self, path: Path, columns: list[str], *, append: bool, written: int = 0):
        self.columns = columns
        self.first = not written
        self.file = open(path, "ab" if append else "wb")  # noqa: SIM115
        if not append:
            self.file.write(b"[")

    def write(self, rows: list[list[Any]]) -> None:
        parts = []
        for row in rows:
            item = json.dumps(dict(zip(self.columns, row, strict=True)), ensure_ascii=False,
                              separators=(",", ":"))
            parts.append(("\n" if self.first else ",\n") + item)
            self.first = False
        self.file.write("".join(parts).encode("utf-8"))

    def close(self) -> None:
        self.file.write(b"\n]\n" if not self.first else b"]\n")
        super().close()


class XlsxWriter:
    """xlsxwriter in constant_memory mode: each row goes to a temp file as it is written (the
    temp files live beside the export, not in /tmp). Text is always written as text, never as
    a formula, and formula-like text also gets Excel's quote prefix. An xlsx file cannot be
    appended to: a resumed xlsx export starts again (see services/export_jobs.py)."""

    def __init__(self, path: Path, columns: list[str]):
        import xlsxwriter

        self.columns = columns
        self.book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "tmpdir": str(path.parent),
            "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        self.bold = self.book.add_format({"bold": True})
        self.quoted = self.book.add_format({"quote_prefix": True})
        self.sheet = None
        self.row = 0
        self.sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self.sheets += 1
        self.sheet = self.book.add_worksheet(f"Export {self.sheets}" if self.sheets > 1
                                             else "Export")
        for col, name in enumerate(self.columns):
            self.sheet.write_string(0, col, name, self.bold)
        self.row = 1

    def _cell(self, col: int, value: Any) -> None:
        value = flat(value)
        if value is None or value == "":
            return
        if isinstance(value, (int, float)):
            self.sheet.write_number(self.row, col, value)
        else:
            text = str(value)[:XLSX_MAX_CHARS]
            self.sheet.write_string(self.row, col, text,
                                    self.quoted if formula_like(text) else None)

    def write(self, rows: list[list[Any]]) -> None:
        for row in rows:
            if self.row >= XLSX_MAX_ROWS:
                self._new_sheet()
            for col, value in enumerate(row):
                self._cell(col, value)
            self.row += 1

    def checkpoint(self) -> int:
        return 0  # nothing durable until close()

    def close(self) -> None:
        self.book.close()

    def abort(self) -> None:
        """Drop the rows buffered so far without assembling the file (no zip is written)."""
        for sheet in self.book.worksheets():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                handle.close()
            name = getattr(sheet, "row_data_filename", None)
            if name:
                Path(name).unlink(missing_ok=True)


def open_writer(fmt: str, path: Path, columns: list[str], *, append: bool = False,
                written: int = 0) -> CsvWriter | JsonWriter | XlsxWriter:
    """A writer for `fmt`; with `append`, continue the file at its current end (csv/json)."""
    if fmt == "csv":
        return CsvWriter(path, columns, append=append)
    if fmt == "json":
        return JsonWriter(path, columns, append=append, written=written)
    if fmt == "xlsx":
        return XlsxWriter(path, columns)
    raise ValueError(f"unknown export format {fmt!r}")
