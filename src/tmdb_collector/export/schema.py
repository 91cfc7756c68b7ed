"""The normalized tables: their columns, what each means, and how each is cut from the raw
TMDb documents.

Documents are parsed inside DuckDB (`json_transform` with the structures below), a chunk at
a time: far faster than flattening them in Python, and the parsing of a chunk runs on every
core. The SQL of each table reads the chunk's parsed rows, `parsed(id, fetched_at, d)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from tmdb_collector.export import kinds_schema, tv_schema
from tmdb_collector.export.tabledef import FETCHED, NAMED, PERSON_CREDIT, column, date_of
from tmdb_collector.export.tabledef import Column as Column  # re-exported: the export's words
from tmdb_collector.export.tabledef import Table as Table
from tmdb_collector.export.tabledef import insert_sql as insert_sql

_c, _date, _NAMED, _PERSON_CREDIT = column, date_of, NAMED, PERSON_CREDIT

MOVIE_STRUCTURE = orjson.dumps(
    {
        **{k: "VARCHAR" for k in (
            "imdb_id", "title", "original_title", "original_language", "overview", "tagline",
            "status", "release_date", "homepage", "poster_path", "backdrop_path",
        )},
        "id": "BIGINT", "runtime": "INTEGER", "budget": "BIGINT", "revenue": "BIGINT",
        "popularity": "DOUBLE", "vote_average": "DOUBLE", "vote_count": "INTEGER",
        "adult": "BOOLEAN", "video": "BOOLEAN", "origin_country": ["VARCHAR"],
        "belongs_to_collection": {**_NAMED, "poster_path": "VARCHAR", "backdrop_path": "VARCHAR"},
        "genres": [_NAMED],
        "production_companies": [{**_NAMED, "logo_path": "VARCHAR", "origin_country": "VARCHAR"}],
        "production_countries": [{"iso_3166_1": "VARCHAR", "name": "VARCHAR"}],
        "spoken_languages": [
            {"iso_639_1": "VARCHAR", "english_name": "VARCHAR", "name": "VARCHAR"}
        ],
        "keywords": {"keywords": [_NAMED]},
        "external_ids": {k: "VARCHAR" for k in (
            "imdb_id", "wikidata_id", "facebook_id", "instagram_id", "twitter_id"
        )},
        "credits": {
            "cast": [{**_PERSON_CREDIT, "character": "VARCHAR", "order": "INTEGER",
                      "cast_id": "INTEGER"}],
            "crew": [{**_PERSON_CREDIT, "department": "VARCHAR", "job": "VARCHAR"}],
        },
    }
).decode()  # fmt: skip

PERSON_STRUCTURE = orjson.dumps(
    {
        **{k: "VARCHAR" for k in (
            "name", "known_for_department", "birthday", "deathday", "place_of_birth",
            "biography", "imdb_id", "homepage", "profile_path",
        )},
        "id": "BIGINT", "gender": "TINYINT", "popularity": "DOUBLE", "adult": "BOOLEAN",
        "also_known_as": ["VARCHAR"],
    }
).decode()  # fmt: skip

STRUCTURE = {
    "movie": MOVIE_STRUCTURE, "person": PERSON_STRUCTURE, "tv": tv_schema.TV_STRUCTURE,
    **kinds_schema.STRUCTURES,
}  # fmt: skip
"""How each kind's documents are parsed: the fields the tables read, with their types."""

EXTRA_PARSE = {"tv": tv_schema.SEASONS_SQL}
"""Per kind, one more parse of a chunk (while it is registered as `chunk`): a series' seasons."""


MOVIES = Table(
    "movies",
    "One row per movie the store holds (status ok).",
    ("id",),
    (
        _c("id", "BIGINT NOT NULL", "TMDb movie id."),
        _c("imdb_id", "VARCHAR", "IMDb id (tt…), when TMDb knows it."),
        _c("title", "VARCHAR", "Title in English (TMDb's default language)."),
        _c("original_title", "VARCHAR", "Title in the original language."),
        _c("original_language", "VARCHAR", "ISO 639-1 code of the original language."),
        _c("overview", "VARCHAR", "Plot summary ('' when none)."),
        _c("tagline", "VARCHAR", "Tagline ('' when none)."),
        _c("status", "VARCHAR", "Released, Post Production, Planned, …"),
        _c("release_date", "DATE", "Primary release date; NULL when unknown.",
           _date("d.release_date")),
        _c("year", "INTEGER", "Year of release_date.", f"year({_date('d.release_date')})"),
        _c("runtime", "INTEGER", "Minutes; 0 or NULL when unknown."),
        _c("budget", "BIGINT", "US dollars; 0 when unknown."),
        _c("revenue", "BIGINT", "US dollars; 0 when unknown."),
        _c("popularity", "DOUBLE", "TMDb popularity score on the day fetched."),
        _c("vote_average", "DOUBLE", "Mean user rating, 0-10."),
        _c("vote_count", "INTEGER", "Number of user ratings."),
        _c("adult", "BOOLEAN", "Adult content flag."),
        _c("video", "BOOLEAN", "A video release rather than a film."),
        _c("homepage", "VARCHAR", "Official site ('' when none)."),
        _c("poster_path", "VARCHAR", "Poster image path (prefix with an image base URL)."),
        _c("backdrop_path", "VARCHAR", "Backdrop image path."),
        _c("collection_id", "BIGINT", "The collection it belongs to (collections.id).",
           "d.belongs_to_collection.id"),
        _c("origin_country", "VARCHAR[]", "ISO 3166-1 codes of the countries of origin."),
        FETCHED,
    ),
    "movie",
    doc_id="id",
)  # fmt: skip

PEOPLE = Table(
    "people",
    "One row per person the store holds (status ok): crawled with `crawl people`.",
    ("id",),
    (
        _c("id", "BIGINT NOT NULL", "TMDb person id."),
        _c("name", "VARCHAR", "Name."),
        _c("also_known_as", "VARCHAR[]", "Other names."),
        _c("gender", "TINYINT", "0 not set, 1 female, 2 male, 3 non-binary."),
        _c("birthday", "DATE", "NULL when unknown.", _date("d.birthday")),
        _c("deathday", "DATE", "NULL when alive or unknown.", _date("d.deathday")),
        _c("place_of_birth", "VARCHAR", "As free text."),
        _c("known_for_department", "VARCHAR", "Acting, Directing, Writing, …"),
        _c("popularity", "DOUBLE", "TMDb popularity score on the day fetched."),
        _c("imdb_id", "VARCHAR", "IMDb id (nm…), when TMDb knows it."),
        _c("homepage", "VARCHAR", "Official site, or NULL."),
        _c("profile_path", "VARCHAR", "Profile image path."),
        _c("biography", "VARCHAR", "Biography ('' when none)."),
        _c("adult", "BOOLEAN", "Adult performer flag."),
        FETCHED,
    ),
    "person",
    doc_id="id",
)  # fmt: skip

_CREDIT_COLUMNS = (
    _c("movie_id", "BIGINT NOT NULL", "The movie (movies.id).", "id"),
    _c("person_id", "BIGINT NOT NULL", "The person (people.id; not every person is crawled).",
       "r.id"),
    _c("credit_id", "VARCHAR", "TMDb's id of this credit.", "r.credit_id"),
)  # fmt: skip
_CREDIT_PERSON = tuple(
    _c(name, type_, about, f"r.{name}")
    for name, type_, about in (
        ("name", "VARCHAR", "The person's name as the movie's credits give it."),
        ("original_name", "VARCHAR", "The name in its original script."),
        ("gender", "TINYINT", "0 not set, 1 female, 2 male, 3 non-binary."),
        ("known_for_department", "VARCHAR", "The person's main department."),
        ("popularity", "DOUBLE", "The person's popularity when the movie was fetched."),
    )
)

CAST = Table(
    "cast",
    "One row per cast entry of a movie's credits, in billing order.",
    (),
    (
        *_CREDIT_COLUMNS,
        _c("character", "VARCHAR", "The role played ('' when unknown).", "r.character"),
        _c("order", "INTEGER", "Billing position, 0 first.", 'r."order"'),
        _c("cast_id", "INTEGER", "TMDb's older per-movie cast id.", "r.cast_id"),
        *_CREDIT_PERSON,
    ),
    "movie",
    "(SELECT id, unnest(d.credits.cast) AS r FROM parsed)",
    "movie_id",
)  # fmt: skip

CREW = Table(
    "crew",
    "One row per crew entry: a person with several jobs on a movie has one row per job.",
    (),
    (
        *_CREDIT_COLUMNS,
        _c("department", "VARCHAR", "Directing, Writing, Sound, …", "r.department"),
        _c("job", "VARCHAR", "Director, Screenplay, Original Music Composer, …", "r.job"),
        *_CREDIT_PERSON,
    ),
    "movie",
    "(SELECT id, unnest(d.credits.crew) AS r FROM parsed)",
    "movie_id",
)  # fmt: skip


EXTERNAL_IDS = Table(
    "external_ids",
    "A movie's ids elsewhere (from the external_ids append; no row when not fetched).",
    ("movie_id",),
    (
        _c("movie_id", "BIGINT NOT NULL", "The movie (movies.id).", "id"),
        *(_c(n, "VARCHAR", f"{label}, or NULL.", f"d.external_ids.{n}") for n, label in (
            ("imdb_id", "IMDb id"), ("wikidata_id", "Wikidata item"),
            ("facebook_id", "Facebook page"), ("instagram_id", "Instagram account"),
            ("twitter_id", "X/Twitter account"),
        )),
    ),
    "movie",
    "parsed WHERE d.external_ids IS NOT NULL",
    "movie_id",
)  # fmt: skip


@dataclass(frozen=True)
class ListField:
    """A list in the movie documents (genres, companies, ...): a table of its distinct items
    and a link table from movies to them."""

    name: str  # of the item table
    about: str
    field: str  # the list, in the parsed document
    key: Column  # the item's key, and how the link table names it (its `expr`)
    extra: tuple[Column, ...]  # the item's other columns

    @property
    def staging(self) -> Table:
        columns = (self.key, *self.extra)
        return Table(
            f"_{self.name}_seen", "Staging: items as each movie lists them.", (),
            (_c("movie_id", "BIGINT NOT NULL", "", "id"), FETCHED,
             *(_c(c.name, c.type, "", f"r.{c.name}") for c in columns)),
            "movie", f"(SELECT id, fetched_at, unnest({self.field}) AS r FROM parsed)",
            "movie_id",
        )  # fmt: skip

    @property
    def items(self) -> Table:
        return _items(self.name, self.about, self.key, self.extra)

    @property
    def links(self) -> Table:
        key, link = self.key.name, self.key.expr
        return Table(
            f"movie_{self.name}", f"Which movies have which {self.name}.", ("movie_id", link),
            (_c("movie_id", "BIGINT NOT NULL", "The movie (movies.id).", "movie_id"),
             _c(link, f"{self.key.type} NOT NULL", f"The item ({self.name}.{key}).", key)),
            "derived",
            f"(SELECT DISTINCT movie_id, {key} FROM _{self.name}_seen WHERE {key} IS NOT NULL)",
            "movie_id",
        )  # fmt: skip


def _items(name: str, about: str, key: Column, extra: tuple[Column, ...]) -> Table:
    """The table of the distinct items of staging table `_{name}_seen`, one row per key.

    Movies may describe an item differently (a company renamed between two fetches): the
    most recently fetched movie's description wins (the highest movie id among those
    fetched at the same moment), so a rebuild and an incremental update agree on it.
    """
    k = key.name
    pick = ", ".join(f"'{c.name}': {c.name}" for c in extra)
    return Table(
        name, about, (k,),
        (_c(k, f"{key.type} NOT NULL", key.about, k),
         *(_c(c.name, c.type, c.about, f"v.{c.name}") for c in extra)),
        "derived",
        f"(SELECT {k}, arg_max({{{pick}}}, (fetched_at, movie_id)) AS v FROM _{name}_seen "
        f"WHERE {k} IS NOT NULL GROUP BY {k})",
    )  # fmt: skip


LISTS = (
    ListField("genres", "Movie genres.", "d.genres",
              Column("id", "BIGINT", "TMDb genre id.", "genre_id"),
              (Column("name", "VARCHAR", "Genre name.", ""),)),
    ListField("companies", "Production companies.", "d.production_companies",
              Column("id", "BIGINT", "TMDb company id.", "company_id"),
              (Column("name", "VARCHAR", "Company name.", ""),
               Column("logo_path", "VARCHAR", "Logo image path.", ""),
               Column("origin_country", "VARCHAR", "ISO 3166-1 code.", ""))),
    ListField("countries", "Production countries.", "d.production_countries",
              Column("iso_3166_1", "VARCHAR", "ISO 3166-1 country code.", "iso_3166_1"),
              (Column("name", "VARCHAR", "Country name in English.", ""),)),
    ListField("languages", "Spoken languages.", "d.spoken_languages",
              Column("iso_639_1", "VARCHAR", "ISO 639-1 language code.", "iso_639_1"),
              (Column("english_name", "VARCHAR", "Language name in English.", ""),
               Column("name", "VARCHAR", "Language name in itself.", ""))),
    ListField("keywords", "Keywords (from the keywords append).", "d.keywords.keywords",
              Column("id", "BIGINT", "TMDb keyword id.", "keyword_id"),
              (Column("name", "VARCHAR", "Keyword.", ""),)),
)  # fmt: skip

_COLLECTION_SEEN = Table(
    "_collections_seen", "Staging: the collection of each movie.", (),
    (_c("movie_id", "BIGINT NOT NULL", "", "id"), FETCHED,
     _c("id", "BIGINT", "", "d.belongs_to_collection.id"),
     *(_c(n, "VARCHAR", "", f"d.belongs_to_collection.{n}")
       for n in ("name", "poster_path", "backdrop_path"))),
    "movie", "parsed WHERE d.belongs_to_collection IS NOT NULL", "movie_id",
)  # fmt: skip

_COLLECTIONS_NAMED = _items(
    "collections", "Collections (franchises): those movies belong to, and those crawled with "
    "`crawl collections`.",
    Column("id", "BIGINT", "TMDb collection id.", "id"),
    (Column("name", "VARCHAR", "Collection name.", ""),
     Column("poster_path", "VARCHAR", "Poster image path.", ""),
     Column("backdrop_path", "VARCHAR", "Backdrop image path.", "")),
)  # fmt: skip
COLLECTIONS = kinds_schema.merged(_COLLECTIONS_NAMED, kinds_schema.COLLECTION_DOCS)

_CRAWLED_TOO = {"companies": kinds_schema.COMPANY_DOCS, "keywords": kinds_schema.KEYWORD_DOCS}
"""Item tables that also take the documents of a kind crawled on its own."""


def _items_of(field: ListField) -> Table:
    docs = _CRAWLED_TOO.get(field.name)
    return field.items if docs is None else kinds_schema.merged(field.items, docs)


STAGING: tuple[Table, ...] = (
    *(f.staging for f in LISTS), _COLLECTION_SEEN, *_CRAWLED_TOO.values(),
    kinds_schema.COLLECTION_DOCS,
)  # fmt: skip
"""Filled chunk by chunk, turned into item and link tables at the end, then dropped."""

TABLES: tuple[Table, ...] = (
    MOVIES, PEOPLE, CAST, CREW, EXTERNAL_IDS, COLLECTIONS, kinds_schema.COLLECTION_PARTS,
    *(t for f in LISTS for t in (_items_of(f), f.links)),
    kinds_schema.NETWORKS, *tv_schema.TV_TABLES,
)  # fmt: skip
"""Every table of an export, in the order the schema document lists them."""

STAGED_BY: dict[str, tuple[str, ...]] = {
    **{t.name: (f.staging.name,) for f in LISTS for t in (f.items, f.links)},
    **{name: (f"_{name}_seen", docs.name) for name, docs in _CRAWLED_TOO.items()},
    COLLECTIONS.name: (_COLLECTION_SEEN.name, kinds_schema.COLLECTION_DOCS.name),
}
"""The staging tables each derived table is made from."""

MOVIE_KEYED = {t.name: "movie_id" for t in TABLES if t.columns[0].name == "movie_id"}
"""Tables whose rows belong to one movie: a filter on movies applies to them too."""


def document() -> str:
    """The schema document (Markdown): every table and column, with types and meanings."""
    out = ["# Tables", "", "Built from the store by `tmdb-collector export`. Keys in **bold**.", ""]
    for table in TABLES:
        out += [f"## {table.name}", "", table.about, "", "| column | type | meaning |",
                "|---|---|---|"]  # fmt: skip
        for c in table.columns:
            name = f"**{c.name}**" if c.name in table.key else c.name
            out.append(f"| {name} | {c.type.replace(' NOT NULL', '')} | {c.about} |")
        out.append("")
    return "\n".join(out)
