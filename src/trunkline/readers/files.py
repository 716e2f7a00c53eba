"""Read records from files: JSON Lines, JSON, CSV and Parquet.

JSONL, CSV and Parquet are streamed (one line, row or batch at a time). A ``.json`` file is parsed
whole, so it suits small files such as lookup lists; large ones belong in JSONL or Parquet.
Errors name the file (and the line, when there is one) and say how to fix it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trunkline.core.errors import ConfigError

BATCH_SIZE = 10_000
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
_FORMAT_FIX = "use a .jsonl, .ndjson, .json, .csv or .parquet file, or name its format"
_UTF8_FIX = "save the file as UTF-8"


def read_records(path: Path, format: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the records of the file at ``path``, one mapping per record.

    ``format`` (``jsonl``, ``ndjson``, ``json``, ``csv`` or ``parquet``) defaults to the one the suffix
    names. JSON: a top-level array of objects, or an object holding exactly one array of objects.
    CSV: a header row, then one record per row with every value a string (missing trailing cells
    are empty strings); every column must have a name of its own, since a repeated name would keep only
    one of its values and an empty one names no field. A missing file, an unknown format or such a CSV
    header is reported at once, before iteration.
    """
    path = Path(path)
    chosen = (format or "").lower() or _FORMATS.get(path.suffix.lower())
    readers = {"jsonl": _jsonl, "ndjson": _jsonl, "json": _json, "csv": _csv, "parquet": _parquet}
    if chosen not in readers:
        raise ConfigError(str(path), "has an unknown file format", value=format, fix=_FORMAT_FIX)
    if not path.exists():
        where = f" (read as {path.resolve()})" if not path.is_absolute() else ""
        raise ConfigError(str(path), f"no such file{where}",
                          fix="check the path: in a flow or source file it is relative to that file's folder, "
                              "on the command line to the current directory")
    if not path.is_file():
        raise ConfigError(str(path), "is not a file", fix="give the path of a file, not a directory")
    if chosen == "csv":
        _check_csv_header(path)
    return readers[chosen](path)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8-sig") as lines:
        try:
            for line_number, line in enumerate(lines, start=1):
                if line.strip():
                    yield _jsonl_record(path, line_number, line)
        except UnicodeDecodeError:
            raise ConfigError(str(path), "is not UTF-8 text", fix=_UTF8_FIX) from None


def _jsonl_record(path: Path, line_number: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{line_number}",
            f"is not valid JSON ({exc.msg} at column {exc.colno})",
            fix="make every line one complete JSON object (JSON Lines)",
        ) from None
    if not isinstance(record, dict):
        raise ConfigError(
            f"{path}:{line_number}",
            f"holds a JSON {_json_kind(record)}, not an object",
            fix="make every line one JSON object (JSON Lines)",
        )
    return record


def _json(path: Path) -> Iterator[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}",
            f"is not valid JSON ({exc.msg} at column {exc.colno})",
            fix="correct the JSON syntax",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "is not UTF-8 text", fix=_UTF8_FIX) from None
    records = _records_in(path, document)
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ConfigError(
                str(path),
                f"item {index} of the array is a JSON {_json_kind(record)}, not an object",
                fix="make every item of the array a JSON object",
            )
        yield record


def _records_in(path: Path, document: Any) -> list[Any]:
    """The array of records in a JSON document: the document itself, or its only array-valued key."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        arrays = [key for key, value in document.items() if isinstance(value, list)]
        if len(arrays) == 1:
            return document[arrays[0]]
        if arrays:
            raise ConfigError(
                str(path),
                f"holds several arrays ({', '.join(arrays)}), so which one holds the records is unclear",
                fix="keep only the array of records, or convert the file to JSON Lines",
            )
    raise ConfigError(
        str(path),
        "holds no array of records",
        fix="make the file a JSON array of objects, or an object with one array of objects",
    )


def _json_kind(value: Any) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    return "number"


def _check_csv_header(path: Path) -> None:
    """Refuse a CSV file whose header row repeats a column name or leaves one empty (or blank).

    Read as records, a repeated name keeps only the last of its values and an empty one becomes a field
    named ``""``: either would send data other than the file holds, without a word. The error names the
    file, the columns (1-based) and the fix. A file without a header row (empty) passes: it has no records.
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        try:
            header = next(csv.reader(handle), None)
        except csv.Error as exc:
            raise ConfigError(f"{path}:1", f"is not valid CSV ({exc})", fix="correct the CSV") from None
        except UnicodeDecodeError:
            raise ConfigError(str(path), "is not UTF-8 text", fix=_UTF8_FIX) from None
    if not header:
        return
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(header, start=1):
        positions.setdefault(name, []).append(number)
    unnamed = [number for number, name in enumerate(header, start=1) if not name.strip()]
    if unnamed:
        raise ConfigError(
            str(path), f"has a header row where {_columns(unnamed)} {'has' if len(unnamed) == 1 else 'have'} no name",
            fix="give every column a name in the header row (the first line), or delete the column",
        )
    repeated = {name: numbers for name, numbers in positions.items() if len(numbers) > 1}
    if repeated:
        listed = "; ".join(f"{name!r} ({_columns(numbers)})" for name, numbers in repeated.items())
        raise ConfigError(
            str(path), f"has a header row that repeats column names, so only the last value of each would be "
                       f"kept: {listed}",
            fix="rename the repeated columns in the header row (the first line) so that each name is used once, "
                "or delete the columns that are not wanted",
        )


def _columns(numbers: list[int]) -> str:
    """``column 2``, ``columns 1 and 2``, ``columns 1, 3 and 6``."""
    if len(numbers) == 1:
        return f"column {numbers[0]}"
    return f"columns {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _csv(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = csv.DictReader(handle, restval="")
        try:
            for row in rows:
                if None in row:
                    raise ConfigError(
                        f"{path}:{rows.line_num}",
                        "has more values than the header has columns",
                        fix="quote values that contain commas, or add the missing column names to the header",
                    )
                yield row
        except csv.Error as exc:
            raise ConfigError(
                f"{path}:{rows.line_num}", f"is not valid CSV ({exc})", fix="correct the CSV"
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(str(path), "is not UTF-8 text", fix=_UTF8_FIX) from None


def _parquet(path: Path) -> Iterator[dict[str, Any]]:
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=BATCH_SIZE)
        for batch in batches:
            yield from batch.to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise ConfigError(
            str(path), f"cannot be read as Parquet ({exc})", fix="give a valid Parquet file"
        ) from None
