"""CSV exports of collections: one row per record, repeated values joined with `;`."""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

CSV_MEDIA_TYPE = "text/csv"
JSON_MEDIA_TYPE = "application/json"
LIST_SEPARATOR = ";"
PART_SEPARATOR = ":"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); a leading
# apostrophe makes it text. Importers of these files strip it again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The page as JSON, or with `Accept: text/csv` every matching record.",
        "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


def _quality(media_range: str) -> tuple[str, float]:
    media_type, *params = (part.strip() for part in media_range.split(";"))
    quality = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return media_type.lower(), quality


def wants_csv(request: Request) -> bool:
    """Whether the caller asked for CSV by name, and no less than for JSON."""
    ranges = dict(_quality(part) for part in request.headers.get("accept", "").split(","))
    csv_quality = ranges.get(CSV_MEDIA_TYPE, 0.0)
    return csv_quality > 0 and csv_quality >= ranges.get(JSON_MEDIA_TYPE, 0.0)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return PART_SEPARATOR.join(cell(part) for part in value.values())
    if isinstance(value, list):
        return LIST_SEPARATOR.join(cell(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def uncell(text: str) -> str:
    """The text `cell` made into `text` (one value, or one item or part of one): without the
    apostrophe put before a formula-like start."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
        return text[1:]
    return text


def _lines(columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    columns: list[str], rows: Iterable[dict[str, Any]], *, filename: str
) -> StreamingResponse:
    return StreamingResponse(
        _lines(columns, rows),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
