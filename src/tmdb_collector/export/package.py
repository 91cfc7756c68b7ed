"""What each export's datapackage.json says about its files (see `datapackage`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from tmdb_collector.export import datapackage, hnv, schema, tmdb5000


def resources(
    format_: str, files: Mapping[str, Path], rows: Mapping[str, int], views: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The export's files, as datapackage.json describes them (`files`: each one's name ->
    where it is now; `rows`: the counts the writer made; `views`: the DuckDB file's)."""
    if format_ == "tmdb5000":
        return [datapackage.csv_table(files[name], name, fields, ABOUT[name], rows[name])
                for name, fields in tmdb5000.FILES.items()]  # fmt: skip
    if format_ == "hnv":
        return [datapackage.json_lines(files[name], name, fields, ABOUT[name])
                for name, fields in hnv.FILES.items()]  # fmt: skip
    if format_ == "parquet":
        return [
            *(datapackage.parquet_table(files[f"{t.name}.parquet"], f"{t.name}.parquet", t)
              for t in schema.TABLES),
            datapackage.text_file(files["SCHEMA.md"], "SCHEMA.md", "Every table and column, "
                                  "with types and meanings.", "md", "text/markdown"),
        ]  # fmt: skip
    ((name, path),) = files.items()
    if format_ == "duckdb":
        return [datapackage.duckdb_database(path, name, schema.TABLES, views)]
    about = "One raw TMDb movie document per line, with its appends, as TMDb sent it."
    return [datapackage.json_lines(path, name, _raw_movie_fields(), about)]


ABOUT = {
    hnv.MOVIES_FILE: "Movies as the Hollywood Network Visualizer reads them (JSON Lines, ASCII).",
    hnv.ACTORS_FILE: "The people in those movies' casts, as the Visualizer reads them.",
    tmdb5000.MOVIES_FILE: "Movies, with the columns of Kaggle's TMDB 5000 Movie Dataset.",
    tmdb5000.CREDITS_FILE: "Their cast and crew, with the columns of Kaggle's TMDB 5000 set.",
}


def selection(format_: str, condition: str | None) -> str:
    """Which movies an export holds, in words."""
    if format_ == "tmdb5000":
        return tmdb5000.selection(condition)
    return "Every stored movie" if condition is None else "The movies the filter keeps"


def _raw_movie_fields() -> tuple[datapackage.Field, ...]:
    """The top-level keys of a raw movie document, typed as its parsing structure types them
    and described as the movies table describes them."""
    about = {c.name: c.about for c in schema.MOVIES.columns}
    kinds = {"BIGINT": "integer", "INTEGER": "integer", "DOUBLE": "number", "BOOLEAN": "boolean"}
    fields = []
    for name, kind in orjson.loads(schema.MOVIE_STRUCTURE).items():
        if isinstance(kind, list | dict):
            type_ = "array" if isinstance(kind, list) else "object"
        else:
            type_ = kinds.get(kind, "string")  # release_date too: TMDb sends "" when unknown
        text = about.get(name) or f"{name.replace('_', ' ').capitalize()}, as TMDb sends it."
        fields.append(datapackage.Field(name, type_, text, name == "id"))
    return tuple(fields)
