"""`datapackage.json`: a Frictionless Data Package describing an export's files.

Every export writes one beside its files: each file with its schema (the same column
definitions as `SCHEMA.md`), its size, sha256 hash and row count, the export's date and
filter, and TMDb's attribution and terms. Files that Frictionless reads as tables (CSV, JSON
Lines, gzip JSON Lines) carry the standard `rows`, which `frictionless validate` checks with
the hash and size. Files it cannot read row by row (Parquet, zstd JSON Lines, the DuckDB
database) are `file` resources: their size and hash are checked, and their schema and
`numRows` describe them.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow.parquet as pq
import zstandard

from tmdb_collector import __version__
from tmdb_collector.export import schema

ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB."
TERMS = (
    "TMDB's API is free for non-commercial use with attribution; commercial use needs a "
    "licence from TMDB. Refresh stored data rather than keeping it forever (third parties "
    "cite a six-month cap on caching in TMDB's API terms)."
)
NAME = "datapackage.json"
DIRECTORY_FORMATS = ("parquet", "hnv", "tmdb5000")


@dataclass(frozen=True)
class Field:
    """One column of a file: its Table Schema type, its meaning, and whether it is always
    there (not null)."""

    name: str
    type: str
    about: str
    required: bool = False


def package_path(format_: str, out: Path) -> Path:
    """Where an export's descriptor goes: inside a directory output, beside a file output."""
    if format_ in DIRECTORY_FORMATS:
        return out / NAME
    return out.with_name(f"{out.name}.{NAME}")


def describe(
    format_: str,
    out: Path,
    resources: list[dict[str, Any]],
    condition: str | None,
    selection: str,
) -> dict[str, Any]:
    """The package descriptor of an export whose files are `resources`."""
    return {
        "name": f"tmdb-{format_}",
        "title": f"TMDb collection: {format_} export",
        "description": f"{selection}. Exported by tmdb-collector from its store. {ATTRIBUTION}",
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "attribution": ATTRIBUTION,
        "terms": TERMS,
        "licenses": [
            {
                "path": "https://www.themoviedb.org/api-terms-of-use",
                "title": "TMDB API Terms of Use",
            }
        ],
        "sources": [
            {"title": "TMDB (The Movie Database) API", "path": "https://www.themoviedb.org"}
        ],
        "tmdbCollector": {
            "version": __version__,
            "format": format_,
            "filter": condition,
            "selection": selection,
        },
        "resources": resources,
    }


def write(path: Path, descriptor: Mapping[str, Any]) -> None:
    path.write_bytes(orjson.dumps(descriptor, option=orjson.OPT_INDENT_2) + b"\n")


# --- resources, by kind of file ----------------------------------------------------------------


def table_schema(fields: Iterable[Field], key: Iterable[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "description": f.about,
                **({"constraints": {"required": True}} if f.required else {}),
            }
            for f in fields
        ]
    }
    if key := list(key):
        out["primaryKey"] = key
    return out


# Each takes the file where it is (`path`) and its name in the package (`name`): files are
# described before they are renamed into place.


def json_lines(path: Path, name: str, fields: tuple[Field, ...], about: str) -> dict[str, Any]:
    """A JSON Lines file, one object a line; `fields` are the top-level keys described (a key
    absent from a line reads as null). zstd is not readable by Frictionless: a file resource."""
    rows = count_lines(path, name)
    resource = _file(path, name, about, "jsonl", "application/jsonl")
    # JSON has null for a missing value: "" is a string like any other.
    resource["schema"] = {**table_schema(fields), "missingValues": []}
    if name.endswith(".zst"):  # Frictionless knows no zstd: "compression" would fail it
        return {**resource, "mediatype": "application/zstd", "compressedWith": "zstd",
                "numRows": rows}  # fmt: skip
    if name.endswith(".gz"):
        resource["compression"] = "gz"
    # Frictionless takes a JSON file's column names from its first object unless told them.
    return {
        **resource,
        "type": "table",
        "rows": rows,
        "dialect": {"json": {"keys": [f.name for f in fields]}},
    }


def csv_table(
    path: Path, name: str, fields: tuple[Field, ...], about: str, rows: int
) -> dict[str, Any]:
    """A CSV file with a header line; JSON-array cells are `array` fields."""
    resource = _file(path, name, about, "csv", "text/csv")
    return {
        **resource,
        "type": "table",
        "rows": rows,
        "encoding": "utf-8",
        "dialect": {"csv": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True}},
        "schema": table_schema(fields),
    }


def parquet_table(path: Path, name: str, table: schema.Table) -> dict[str, Any]:
    resource = _file(path, name, table.about, "parquet", "application/vnd.apache.parquet")
    return {
        **resource,
        "numRows": pq.read_metadata(path).num_rows,
        "schema": table_schema((_field(c) for c in table.columns), table.key),
    }


def duckdb_database(
    path: Path, name: str, tables: tuple[schema.Table, ...], views: Mapping[str, str]
) -> dict[str, Any]:
    """The DuckDB file: one resource (a database is not a table), listing its tables, each with
    its schema and row count, and its views."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        described = [
            {
                "name": t.name,
                "description": t.about,
                "numRows": _count(con, t.name),
                "schema": table_schema((_field(c) for c in t.columns), t.key),
            }
            for t in tables
        ]
    finally:
        con.close()
    about = (
        "A DuckDB database holding the tables below, with primary keys, a comment on every "
        "column, and views; open it with duckdb.connect(path, read_only=True)."
    )
    return {
        **_file(path, name, about, "duckdb", "application/vnd.duckdb"),
        "tables": described,
        "views": [{"name": name, "sql": sql} for name, sql in views.items()],
    }


def text_file(path: Path, name: str, about: str, format_: str, mediatype: str) -> dict[str, Any]:
    return _file(path, name, about, format_, mediatype)


def _file(path: Path, name: str, about: str, format_: str, mediatype: str) -> dict[str, Any]:
    return {
        "name": _resource_name(name),
        "type": "file",
        "path": name,
        "format": format_,
        "mediatype": mediatype,
        "description": about,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256(path)}",
    }


def _resource_name(file_name: str) -> str:
    # Resource names are lower case letters, digits and -._ (Frictionless checks).
    return "".join(c if c.isalnum() or c in "-._" else "-" for c in file_name.lower())


_TYPES = {
    "BIGINT": "integer", "INTEGER": "integer", "TINYINT": "integer", "DOUBLE": "number",
    "VARCHAR": "string", "DATE": "date", "TIMESTAMP": "datetime", "BOOLEAN": "boolean",
    "VARCHAR[]": "array", "INTEGER[]": "array",
}  # fmt: skip
"""DuckDB column types (schema.py) as Table Schema types."""


def _field(column: schema.Column) -> Field:
    base = column.type.replace(" NOT NULL", "")
    return Field(column.name, _TYPES[base], column.about, column.type.endswith("NOT NULL"))


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(row[0]) if row else 0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def count_lines(path: Path, name: str) -> int:
    """Lines of a JSON Lines file (plain, .gz or .zst as `name` says), each ending in "\\n"."""
    with path.open("rb") as raw:
        stream: Any = raw
        if name.endswith(".gz"):
            stream = gzip.open(raw)  # noqa: SIM115 (closed with raw)
        elif name.endswith(".zst"):
            stream = zstandard.ZstdDecompressor().stream_reader(raw)
        lines = 0
        while chunk := stream.read(1 << 20):
            lines += chunk.count(b"\n")
        return lines
