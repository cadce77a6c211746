"""CSV (and JSON-rows) import input: a streaming reader that accepts UTF-8, UTF-8 with BOM and
UTF-16 with BOM and names the first undecodable byte; the column mapping (our field -> CSV
header, with default header names); the upload checks done before any work (size, encoding,
columns, at most 100,000 rows). Cells are data: nothing is escaped or evaluated on import."""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from linkhub.errors import Invalid
from linkhub.services import link_fields
from linkhub.services.import_rows import FIELDS

MAX_ROWS = 100_000
CHUNK_BYTES = 65_536

# Our field -> header names recognised without a mapping (compared lower-case, letters and
# digits only, so "Short Code", "short_code" and "shortCode" are one name).
ALIASES: dict[str, tuple[str, ...]] = {
    "destinationUrl": ("destinationurl", "destination", "url", "longurl", "originalurl",
                       "targeturl", "target"),
    "shortCode": ("shortcode", "code", "slug", "backhalf", "keyword", "slashtag", "alias"),
    "title": ("title", "name"),
    "description": ("description",),
    "notes": ("notes", "note"),
    "tags": ("tags", "tag"),
    "domain": ("domain", "domainname"),
    "campaign": ("campaign", "campaignname"),
    "folder": ("folder", "foldername"),
    "expiresAt": ("expiresat", "expires", "expiry", "expiration"),
}
BOOLEAN_FIELDS = frozenset({*link_fields.SWITCHES, "archived"})
INTEGER_FIELDS = frozenset({"redirectType", "clicksLimit"})
_TRUE, _FALSE = {"true", "yes", "y", "1", "on"}, {"false", "no", "n", "0", "off"}
_NORMAL_RE = re.compile(r"[^a-z0-9]")


def normal(header: str) -> str:
    return _NORMAL_RE.sub("", header.lower())


def detect_encoding(head: bytes) -> str:
    """utf-8-sig / utf-16 from a byte-order mark, else utf-8 (checked strictly)."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise Invalid(fields={"file": "UTF-32 is not supported: save the file as UTF-8"})
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _lines(path: Path) -> Iterator[str]:
    """The file's decoded lines (ends kept, for csv.reader), read 64 KB at a time."""
    with path.open("rb") as fh:
        encoding = detect_encoding(fh.read(4))
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        offset, newlines, pending = 0, 0, ""
        while True:
            chunk = fh.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = max(0, min(exc.start, len(chunk)))
                line = newlines + chunk[:at].count(b"\n") + 1
                byte = exc.object[exc.start:exc.start + 1].hex()
                raise Invalid(fields={"file": (
                    f"is not valid {encoding.upper().replace('-SIG', '')} text: byte 0x{byte} "
                    f"near byte {offset + at} (line {line}); save it as UTF-8 (or UTF-16 "
                    "with a byte-order mark) and upload it again")}) from None
            offset += len(chunk)
            newlines += chunk.count(b"\n")
            pending += text
            parts = pending.split("\n")
            pending = parts.pop()
            for part in parts:
                yield part + "\n"
            if not chunk:
                break
        if pending:
            yield pending


def _records(path: Path) -> Iterator[list[str]]:
    reader = csv.reader(_lines(path))
    try:
        yield from reader
    except csv.Error as exc:
        raise Invalid(fields={"file": f"is not valid CSV near line {reader.line_num}: "
                                      f"{exc}"}) from None


def _blank(record: list[str]) -> bool:
    return not any(cell.strip() for cell in record)


def resolve_mapping(headers: list[str], mapping: Mapping[str, Any] | None) -> dict[str, str]:
    """{our field: header} from the explicit `mapping` plus the default names. An explicit
    null/"" leaves a field out. Needs a destination column."""
    mapping = dict(mapping or {})
    problems: dict[str, str] = {}
    present = {h.strip(): h for h in headers}
    chosen: dict[str, str] = {}
    for name, header in mapping.items():
        if name not in FIELDS:
            problems[f"mapping.{name}"] = "is not a link field we import"
        elif header in (None, ""):
            continue
        elif not isinstance(header, str) or header.strip() not in present:
            problems[f"mapping.{name}"] = f"the file has no column named {header!r}"
        else:
            chosen[name] = present[header.strip()]
    used = set(chosen.values())
    by_normal: dict[str, str] = {}
    for header in headers:
        by_normal.setdefault(normal(header), header)
    for name in sorted(FIELDS):
        if name in mapping:
            continue
        for alias in (normal(name), *ALIASES.get(name, ())):
            header = by_normal.get(alias)
            if header is not None and header not in used:
                chosen[name] = header
                used.add(header)
                break
    if "destinationUrl" not in chosen and not problems:
        shown = ", ".join(h for h in headers[:20] if h.strip()) or "none"
        problems["file"] = ("has no destination column: name one destinationUrl (or url, "
                            f"destination, long_url) or map it; columns found: {shown}")
    if problems:
        raise Invalid(fields=problems)
    return chosen


def inspect_csv(path: Path, mapping: Mapping[str, Any] | None) -> tuple[dict[str, str], int]:
    """The resolved mapping and the number of (non-blank) data rows; 400 on a bad encoding,
    bad CSV, no header, missing columns or more than MAX_ROWS rows. Reads the whole file."""
    records = _records(path)
    headers = next(records, None)
    if headers is None or _blank(headers):
        raise Invalid(fields={"file": "is empty: the first line must name the columns"})
    resolved = resolve_mapping(headers, mapping)
    total = 0
    for record in records:
        if not _blank(record):
            total += 1
            if total > MAX_ROWS:
                raise Invalid(fields={"file": f"has more than {MAX_ROWS:,} rows; split it "
                                              "into several imports"})
    if total == 0:
        raise Invalid(fields={"file": "has a header but no rows"})
    return resolved, total


def convert(name: str, value: Any) -> Any:
    """A CSV cell as the link field takes it: switches and numbers parsed when they look
    right (otherwise left for the field's own error), everything else as given."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if name in BOOLEAN_FIELDS and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if name in INTEGER_FIELDS and text.isdigit():
        return int(text)
    return value


def _mapped(record: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, header in mapping.items():
        value = record.get(header)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[name] = convert(name, value)
    return out


def csv_rows(path: Path, mapping: Mapping[str, str],
             start: int) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(row number, API-named fields) from data row `start` + 1 on; blank rows give None (they
    advance the cursor and count for nothing)."""
    records = _records(path)
    headers = next(records)
    index = {}
    for position, header in enumerate(headers):
        index.setdefault(header, position)
    for number, record in enumerate(records, start=1):
        if number <= start:
            continue
        if _blank(record):
            yield number, None
            continue
        cells = {h: record[i] for h, i in index.items() if i < len(record)}
        yield number, _mapped(cells, mapping)


# --- JSON rows (`{"rows": [...]}` on the CSV route): stored one object per line ----------

def save_json_rows(rows: list[Any], path: Path,
                   mapping: Mapping[str, Any] | None) -> tuple[dict[str, str], int]:
    """Check JSON rows like a CSV file (keys are the headers) and store them as JSON lines."""
    if not rows:
        raise Invalid(fields={"rows": "must hold at least one row"})
    if len(rows) > MAX_ROWS:
        raise Invalid(fields={"rows": f"must hold at most {MAX_ROWS:,} rows"})
    headers: dict[str, None] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise Invalid(fields={f"rows.{number - 1}": "must be an object"})
        headers.update(dict.fromkeys(str(k) for k in row))
    resolved = resolve_mapping(list(headers), mapping)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")
    return resolved, len(rows)


def json_rows(path: Path, mapping: Mapping[str, str],
              start: int) -> Iterator[tuple[int, dict[str, Any] | None]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if number > start:
                yield number, _mapped(json.loads(line), mapping)
