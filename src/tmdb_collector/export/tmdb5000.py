"""`tmdb_5000_movies.csv` and `tmdb_5000_credits.csv`, as Kaggle's "TMDB 5000 Movie Dataset".

Notebooks written for that dataset read the files with `pandas.read_csv` and decode the list
columns with `json.loads`, so these files keep its columns and its encoding: list cells hold
JSON written as Python's `json.dumps` writes it (", " and ": " separators, non-ASCII escaped),
with the keys the Kaggle files have, in their order (`production_companies` items are
{"name", "id"}, `spoken_languages` items {"iso_639_1", "name"}); `runtime` is a float
("162.0"); a missing value is an empty cell. Movies come most-voted first: without a filter,
the `config.OUTPUT_TMDB5000_MOVIES` movies with the most votes; with one, every movie it keeps.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb

from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.export import tables
from tmdb_collector.export.datapackage import Field
from tmdb_collector.export.tables import Progress
from tmdb_collector.vocab import Kind

MOVIES_FILE = "tmdb_5000_movies.csv"
CREDITS_FILE = "tmdb_5000_credits.csv"

NAMED = "a JSON array of {id, name}"
MOVIE_COLUMNS = (
    Field("budget", "integer", "US dollars; 0 when unknown."),
    Field("genres", "array", f"Genres, {NAMED}, in TMDb's order."),
    Field("homepage", "string", "Official site (empty when none)."),
    Field("id", "integer", "TMDb movie id.", True),
    Field("keywords", "array", f"Keywords, {NAMED} (empty array without the keywords append)."),
    Field("original_language", "string", "ISO 639-1 code of the original language."),
    Field("original_title", "string", "Title in the original language."),
    Field("overview", "string", "Plot summary (empty when none)."),
    Field("popularity", "number", "TMDb popularity score on the day fetched."),
    Field("production_companies", "array", 'Production companies, a JSON array of '
          '{"name", "id"}.'),
    Field("production_countries", "array", "Production countries, a JSON array of "
          "{iso_3166_1, name}."),
    Field("release_date", "date", "Primary release date (empty when unknown)."),
    Field("revenue", "integer", "US dollars; 0 when unknown."),
    Field("runtime", "number", "Minutes, as a float (empty when unknown)."),
    Field("spoken_languages", "array", "Spoken languages, a JSON array of {iso_639_1, name}."),
    Field("status", "string", "Released, Post Production, Planned, …"),
    Field("tagline", "string", "Tagline (empty when none)."),
    Field("title", "string", "Title in English."),
    Field("vote_average", "number", "Mean user rating, 0-10."),
    Field("vote_count", "integer", "Number of user ratings."),
)  # fmt: skip
CREDIT_COLUMNS = (
    Field("movie_id", "integer", "TMDb movie id (tmdb_5000_movies.csv id).", True),
    Field("title", "string", "Title in English."),
    Field("cast", "array", "Cast in billing order, a JSON array of {cast_id, character, "
          "credit_id, gender, id, name, order}."),
    Field("crew", "array", "Crew, one item per job, a JSON array of {credit_id, department, "
          "gender, id, job, name}."),
)  # fmt: skip
FILES = {MOVIES_FILE: MOVIE_COLUMNS, CREDITS_FILE: CREDIT_COLUMNS}

CAST_KEYS = ("cast_id", "character", "credit_id", "gender", "id", "name", "order")
CREW_KEYS = ("credit_id", "department", "gender", "id", "job", "name")


def selection(condition: str | None) -> str:
    """Which movies the files hold, in words."""
    if condition is None:
        return f"The {config.OUTPUT_TMDB5000_MOVIES:,} movies with the most votes"
    return "Every movie the filter keeps, most voted first"


def write(
    store: Store,
    paths: dict[str, Path],
    condition: str | None,
    scratch: Path,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write both CSVs (to `paths[name]`); returns the rows written per file."""
    query = (
        f"SELECT id FROM movies WHERE {condition or 'true'} ORDER BY vote_count DESC NULLS LAST, id"
    )
    if condition is None:
        query += f" LIMIT {config.OUTPUT_TMDB5000_MOVIES}"
    con = tables.connect(scratch / "tables.duckdb")
    try:
        tables.build(store, con, progress, only=duckdb.get_table_names(query))
        ids = [row[0] for row in con.execute(query).fetchall()]
    finally:
        con.close()
    with (
        paths[MOVIES_FILE].open("w", encoding="utf-8", newline="") as movies,
        paths[CREDITS_FILE].open("w", encoding="utf-8", newline="") as credits,
    ):
        movie_rows = csv.writer(movies, lineterminator="\n")
        credit_rows = csv.writer(credits, lineterminator="\n")
        movie_rows.writerow([c.name for c in MOVIE_COLUMNS])
        credit_rows.writerow([c.name for c in CREDIT_COLUMNS])
        written = 0
        for n, id_ in enumerate(ids, 1):
            if progress and n % 1000 == 0:
                progress(1000)
            doc = store.get(Kind.MOVIE, id_)
            if doc is None:  # gone since the tables were built
                continue
            movie_rows.writerow(movie_row(doc))
            credit_rows.writerow(credit_row(doc))
            written += 1
    return {MOVIES_FILE: written, CREDITS_FILE: written}


def documents_to_read(movies: int, condition: str | None) -> int:
    """Documents `write` reads: every movie for the ranking, then the ones written."""
    return movies + (min(movies, config.OUTPUT_TMDB5000_MOVIES) if condition is None else movies)


def cell(items: list[dict[str, Any]]) -> str:
    """A list cell: JSON as Kaggle's files have it (Python's json.dumps defaults)."""
    return json.dumps(items)


def movie_row(doc: dict[str, Any]) -> list[Any]:
    runtime = doc.get("runtime")
    keywords = (doc.get("keywords") or {}).get("keywords") or []
    return [
        doc.get("budget"),
        cell([{"id": g["id"], "name": g["name"]} for g in doc.get("genres") or ()]),
        doc.get("homepage"),
        doc["id"],
        cell([{"id": k["id"], "name": k["name"]} for k in keywords]),
        doc.get("original_language"),
        doc.get("original_title"),
        doc.get("overview"),
        doc.get("popularity"),
        cell([{"name": c["name"], "id": c["id"]} for c in doc.get("production_companies") or ()]),
        cell([{"iso_3166_1": c["iso_3166_1"], "name": c["name"]}
              for c in doc.get("production_countries") or ()]),
        doc.get("release_date"),
        doc.get("revenue"),
        float(runtime) if isinstance(runtime, int | float) else None,
        cell([{"iso_639_1": s["iso_639_1"], "name": s["name"]}
              for s in doc.get("spoken_languages") or ()]),
        doc.get("status"),
        doc.get("tagline"),
        doc.get("title"),
        doc.get("vote_average"),
        doc.get("vote_count"),
    ]  # fmt: skip


def credit_row(doc: dict[str, Any]) -> list[Any]:
    credits = doc.get("credits") or {}
    return [
        doc["id"],
        doc.get("title"),
        cell([{k: c.get(k) for k in CAST_KEYS} for c in credits.get("cast") or ()]),
        cell([{k: c.get(k) for k in CREW_KEYS} for c in credits.get("crew") or ()]),
    ]
