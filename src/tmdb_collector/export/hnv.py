"""`movies.json` and `actors.json` as the Hollywood Network Visualizer reads them.

The Visualizer's loader (tmdb-to-neo4j, Scala with spray-json) reads each file line by line
with the JVM's default charset and parses every line as one object: so the files are JSON
Lines in pure ASCII (non-ASCII characters escaped), with no blank line. Its case classes say
which keys must be present and non-null (`REQUIRED`) and which are read when present. It keeps
a movie's cast members only when they are in `actors.json`, and links every two of them.

`actors.json` holds everyone in the exported movies' casts, in id order. Their details come
from the stored person documents (people not stored, or whose fetch failed, get the name and
gender their movie credits give). Their `movie_credits.cast` lists, for the movies the store
holds, the cast credits of those movies' own documents, and for other movies the person
document's `movie_credits` when it was crawled with that append: so the list agrees with the
stored movies whichever way the person was crawled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson

from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError
from tmdb_collector.export import tables
from tmdb_collector.export.datapackage import Field
from tmdb_collector.export.tables import Progress
from tmdb_collector.vocab import Kind, State

MOVIES_FILE = "movies.json"
ACTORS_FILE = "actors.json"

CAST_ITEM = "objects {id, order, character}"
MOVIE_FIELDS = (
    Field("id", "integer", "TMDb movie id.", True),
    Field("title", "string", "Title in English.", True),
    Field("overview", "string", "Plot summary ('' when none).", True),
    Field("budget", "integer", "US dollars; 0 when unknown.", True),
    Field("revenue", "integer", "US dollars; 0 when unknown.", True),
    Field("genres", "array", "Genres, objects {id, name}, in TMDb's order.", True),
    Field("credits", "object", f"{{cast: [{CAST_ITEM}]}}: the cast members in actors.json, "
          "in billing order (person id, billing position from 0, role).", True),
    Field("backdrop_path", "string", "Backdrop image path (absent when none)."),
    Field("poster_path", "string", "Poster image path (absent when none)."),
    Field("production_countries", "array", "Objects {iso_3166_1, name}."),
    Field("release_date", "string", "Primary release date, YYYY-MM-DD ('' or absent when "
          "unknown)."),
    Field("runtime", "integer", "Minutes (absent when unknown)."),
    Field("tagline", "string", "Tagline ('' when none)."),
)  # fmt: skip
ACTOR_FIELDS = (
    Field("id", "integer", "TMDb person id.", True),
    Field("name", "string", "Name.", True),
    Field("gender", "integer", "0 not set, 1 female, 2 male, 3 non-binary.", True),
    Field("movie_credits", "object", f"{{cast: [{CAST_ITEM}]}}: the movies the person plays "
          "in (movie id, billing position, role).", True),
    Field("biography", "string", "Biography (absent when the person is not stored)."),
    Field("birthday", "string", "YYYY-MM-DD (absent when unknown)."),
    Field("deathday", "string", "YYYY-MM-DD (absent when alive or unknown)."),
    Field("place_of_birth", "string", "As free text (absent when unknown)."),
    Field("profile_path", "string", "Profile image path (absent when none)."),
)  # fmt: skip
FILES = {MOVIES_FILE: MOVIE_FIELDS, ACTORS_FILE: ACTOR_FIELDS}

_MOVIE_OPTIONAL = tuple(f.name for f in MOVIE_FIELDS if not f.required)
_ACTOR_OPTIONAL = tuple(f.name for f in ACTOR_FIELDS if not f.required)

CastCredit = tuple[int, int, str]
"""(movie id, billing order, character)."""


def check_people(store: Store) -> None:
    """Raise a one-line ConfigError when the store holds no person documents."""
    if not store.counts().get(Kind.PERSON, {}).get(State.OK, 0):
        raise ConfigError(
            "hnv: the store holds no people: run 'tmdb-collector crawl people' first "
            "(actors.json takes names, genders and biographies from them)"
        )


def write(
    store: Store,
    paths: dict[str, Path],
    condition: str | None,
    scratch: Path,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write movies.json and actors.json (to `paths[name]`) for the movies `condition`
    keeps; returns the lines written per file."""
    check_people(store)
    query = f"SELECT id FROM movies WHERE {condition or 'true'}"
    con = tables.connect(scratch / "tables.duckdb")
    try:
        tables.build(store, con, progress, only={"cast"} | duckdb.get_table_names(query))
        con.execute(f"CREATE TEMP TABLE kept AS {query}")
        stored = {row[0] for row in con.execute("SELECT id FROM movies").fetchall()}
        with paths[ACTORS_FILE].open("w", encoding="ascii", newline="\n") as sink:
            actors = _write_actors(store, con, stored, sink, progress)
        kept = {row[0] for row in con.execute("SELECT id FROM kept").fetchall()}
    finally:
        con.close()
    with paths[MOVIES_FILE].open("w", encoding="ascii", newline="\n") as sink:
        movies = _write_movies(store, kept, actors, sink, progress)
    return {MOVIES_FILE: movies, ACTORS_FILE: len(actors)}


def documents_to_read(movies: int, people: int) -> int:
    """Documents `write` reads: the movies twice (tables, then lines) and the people once."""
    return 2 * movies + people


def line(doc: dict[str, Any]) -> str:
    """One line: compact JSON, non-ASCII escaped (the JVM's default charset may be ASCII)."""
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")) + "\n"


# --- movies ------------------------------------------------------------------------------------


def _write_movies(
    store: Store, kept: set[int], actors: set[int], sink: Any, progress: Progress | None
) -> int:
    written = 0
    for n, (id_, raw) in enumerate(store.documents(Kind.MOVIE), 1):
        if progress and n % 1000 == 0:
            progress(1000)
        if id_ in kept:
            sink.write(line(movie_line(orjson.loads(raw), actors)))
            written += 1
    return written


def movie_line(doc: dict[str, Any], actors: set[int]) -> dict[str, Any]:
    """A movie as the Visualizer reads it: its cast limited to the people in `actors`."""
    cast = ((doc.get("credits") or {}).get("cast")) or []
    out: dict[str, Any] = {
        "id": doc["id"],
        "title": doc.get("title") or doc.get("original_title") or "",
        "overview": doc.get("overview") or "",
        "budget": doc.get("budget") or 0,
        "revenue": doc.get("revenue") or 0,
        "genres": [
            {"id": g["id"], "name": g.get("name") or ""}
            for g in doc.get("genres") or ()
            if g.get("id") is not None
        ],
        "credits": {
            "cast": [
                _cast_item(c["id"], c.get("order"), c.get("character"))
                for c in cast
                if c.get("id") in actors
            ]
        },
    }
    for name in _MOVIE_OPTIONAL:
        value = doc.get(name)
        if value is not None:
            out[name] = value
    if "production_countries" in out:
        out["production_countries"] = [
            {"iso_3166_1": c.get("iso_3166_1") or "", "name": c.get("name") or ""}
            for c in out["production_countries"]
        ]
    if not isinstance(out.get("runtime", 0), int):
        del out["runtime"]  # the Visualizer reads an Int
    return out


def _cast_item(id_: int, order: Any, character: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "order": order if isinstance(order, int) else 0,
        "character": character if isinstance(character, str) else "",
    }


# --- actors ------------------------------------------------------------------------------------


def _write_actors(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    stored: set[int],
    sink: Any,
    progress: Progress | None,
) -> set[int]:
    """Write one line per person in the kept movies' casts; returns their ids."""
    written: set[int] = set()
    people = _person_documents(store, progress)
    person: tuple[int, bytes] | None = next(people, None)
    for pid, name, gender, credits in _credited(con):
        while person is not None and person[0] < pid:
            person = next(people, None)
        doc = orjson.loads(person[1]) if person is not None and person[0] == pid else None
        actor = actor_line(pid, doc, name, gender, credits, stored)
        if actor is not None:
            sink.write(line(actor))
            written.add(pid)
    for _ in people:  # read to the end, for the progress count
        pass
    return written


def actor_line(
    pid: int,
    doc: dict[str, Any] | None,
    credit_name: str | None,
    credit_gender: int | None,
    credits: list[CastCredit],
    stored: set[int],
) -> dict[str, Any] | None:
    """A person as the Visualizer reads them, or None when no name is known."""
    doc = doc or {}
    name = doc.get("name") or credit_name
    if not name:
        return None
    gender = doc.get("gender")
    if not isinstance(gender, int):
        gender = credit_gender if isinstance(credit_gender, int) else 0
    # The stored movies' own credits, and the person document's for the movies not stored.
    elsewhere = [
        (c["id"], c.get("order"), c.get("character"))
        for c in ((doc.get("movie_credits") or {}).get("cast") or ())
        if c.get("id") is not None and c["id"] not in stored
    ]
    cast = sorted(
        (_cast_item(m, o, c) for m, o, c in [*credits, *elsewhere]),
        key=lambda item: (item["id"], item["order"]),
    )
    out: dict[str, Any] = {"id": pid, "name": name, "gender": gender}
    out["movie_credits"] = {"cast": cast}
    for field in _ACTOR_OPTIONAL:
        value = doc.get(field)
        if value is not None:
            out[field] = value
    return out


def _person_documents(store: Store, progress: Progress | None) -> Iterator[tuple[int, bytes]]:
    for n, item in enumerate(store.documents(Kind.PERSON), 1):
        if progress and n % 1000 == 0:
            progress(1000)
        yield item


def _credited(
    con: duckdb.DuckDBPyConnection, batch: int = 10_000
) -> Iterator[tuple[int, str | None, int | None, list[CastCredit]]]:
    """Each person in the kept movies' casts, in id order: the name and gender their credits
    give, and every cast credit of theirs in the stored movies."""
    cursor = con.execute(
        'SELECT person_id, movie_id, "order", character, name, gender FROM "cast" '
        'WHERE person_id IN (SELECT c.person_id FROM "cast" c JOIN kept k ON k.id = c.movie_id) '
        'ORDER BY person_id, movie_id, "order"'
    )
    current: int | None = None
    name: str | None = None
    gender: int | None = None
    credits: list[CastCredit] = []
    while rows := cursor.fetchmany(batch):
        for pid, movie, order, character, credit_name, credit_gender in rows:
            if pid != current:
                if current is not None:
                    yield current, name, gender, credits
                current, name, gender, credits = pid, None, None, []
            name = name or credit_name
            gender = credit_gender if gender is None else gender
            credits.append((movie, order, character))
    if current is not None:
        yield current, name, gender, credits
