"""The tables of the smaller kinds: networks, and the crawled details of companies, collections
and keywords, which join the items movies name (`merged`): a company is in `companies` whether
a movie names it, its own document was crawled, or both."""

from __future__ import annotations

import orjson

from tmdb_collector.export.tabledef import FETCHED, NAMED, Column, Table
from tmdb_collector.export.tabledef import column as c

NETWORK_STRUCTURE = orjson.dumps(
    {**NAMED, **{k: "VARCHAR" for k in ("headquarters", "homepage", "logo_path",
                                        "origin_country")}}
).decode()  # fmt: skip

COMPANY_STRUCTURE = orjson.dumps(
    {**NAMED, **{k: "VARCHAR" for k in ("description", "headquarters", "homepage", "logo_path",
                                        "origin_country")},
     "parent_company": NAMED}
).decode()  # fmt: skip

COLLECTION_STRUCTURE = orjson.dumps(
    {**NAMED, **{k: "VARCHAR" for k in ("original_name", "original_language", "overview",
                                        "poster_path", "backdrop_path")},
     "parts": [{"id": "BIGINT", "title": "VARCHAR", "release_date": "VARCHAR",
                "media_type": "VARCHAR"}]}
).decode()  # fmt: skip

KEYWORD_STRUCTURE = orjson.dumps(NAMED).decode()

STRUCTURES = {
    "network": NETWORK_STRUCTURE,
    "company": COMPANY_STRUCTURE,
    "collection": COLLECTION_STRUCTURE,
    "keyword": KEYWORD_STRUCTURE,
}

_HQ = c("headquarters", "VARCHAR", "Where it is based, as free text.")
_HOME = c("homepage", "VARCHAR", "Official site ('' when none).")

NETWORKS = Table(
    "networks",
    "One row per TV network the store holds (status ok): crawled with `crawl networks`.",
    ("id",),
    (
        c("id", "BIGINT NOT NULL", "TMDb network id."),
        c("name", "VARCHAR", "Name."),
        _HQ, _HOME,
        c("logo_path", "VARCHAR", "Logo image path."),
        c("origin_country", "VARCHAR", "ISO 3166-1 code ('' when none)."),
        FETCHED,
    ),
    "network",
    doc_id="id",
)  # fmt: skip

COMPANY_DOCS = Table(
    "_company_docs", "Staging: the crawled companies.", (),
    (c("id", "BIGINT", ""), c("name", "VARCHAR", ""), c("logo_path", "VARCHAR", ""),
     c("origin_country", "VARCHAR", ""),
     c("description", "VARCHAR", "What the company says of itself ('' when none; NULL when "
       "not crawled)."),
     _HQ, _HOME,
     c("parent_company_id", "BIGINT", "The company that owns it (companies.id), or NULL.",
       "d.parent_company.id"),
     c("fetched_at", "TIMESTAMP", "When its own document was fetched (UTC); NULL when only "
       "named by movies.", "fetched_at")),
    "company", doc_id="id",
)  # fmt: skip

COLLECTION_DOCS = Table(
    "_collection_docs", "Staging: the crawled collections.", (),
    (c("id", "BIGINT", ""), c("name", "VARCHAR", ""), c("poster_path", "VARCHAR", ""),
     c("backdrop_path", "VARCHAR", ""),
     c("overview", "VARCHAR", "Summary ('' when none; NULL when not crawled)."),
     c("original_language", "VARCHAR", "ISO 639-1 code of the original language."),
     c("parts_count", "INTEGER", "Movies the collection lists (collection_parts).",
       "len(d.parts)"),
     c("fetched_at", "TIMESTAMP", "When its own document was fetched (UTC); NULL when only "
       "named by movies.", "fetched_at")),
    "collection", doc_id="id",
)  # fmt: skip

KEYWORD_DOCS = Table(
    "_keyword_docs", "Staging: the keywords of the keyword export.", (),
    (c("id", "BIGINT", ""), c("name", "VARCHAR", "")),
    "keyword", doc_id="id",
)  # fmt: skip

COLLECTION_PARTS = Table(
    "collection_parts",
    "The movies of each crawled collection, in the order TMDb lists them.",
    ("collection_id", "position"),
    (
        c("collection_id", "BIGINT NOT NULL", "The collection (collections.id).", "id"),
        c("position", "INTEGER NOT NULL", "Place in the collection's list, 1 first.", "position"),
        c("movie_id", "BIGINT", "The movie (movies.id; not every movie is crawled).", "p.id"),
        c("title", "VARCHAR", "The movie's title as the collection gives it.", "p.title"),
        c("release_date", "DATE", "Its release date; NULL when unknown.",
          "TRY_CAST(NULLIF(p.release_date, '') AS DATE)"),
    ),
    "collection",
    "(SELECT id, unnest(d.parts) AS p, generate_subscripts(d.parts, 1) AS position "
    "FROM parsed)",
    "collection_id",
)  # fmt: skip


def merged(seen: Table, docs: Table) -> Table:
    """`seen` (items named by movies, a derived table keyed by id) joined with the crawled
    documents `docs`: one row per id in either, the crawled values first."""
    own = {col.name for col in seen.columns}
    columns: list[Column] = []
    for col in (*seen.columns, *(d for d in docs.columns if d.name not in own)):
        in_docs = any(d.name == col.name for d in docs.columns)
        expr = (f"coalesce(d.{col.name}, s.{col.name})" if col.name in own and in_docs
                else f"d.{col.name}" if in_docs else f"s.{col.name}")  # fmt: skip
        about = col.about or next(d.about for d in docs.columns if d.name == col.name)
        columns.append(Column(col.name, col.type, about, f"{expr} AS {col.name}"))
    select = ", ".join(col.expr for col in columns)
    named_seen = ", ".join(f"{col.expr} AS {col.name}" for col in seen.columns)
    rows = (f"(SELECT {select} FROM (SELECT * FROM {docs.name} WHERE id IS NOT NULL QUALIFY "
            f"row_number() OVER (PARTITION BY id) = 1) d FULL OUTER JOIN "
            f"(SELECT {named_seen} FROM {seen.rows}) s ON d.id = s.id)")  # fmt: skip
    named = tuple(Column(col.name, col.type, col.about, col.name) for col in columns)
    return Table(seen.name, seen.about, seen.key, named, "derived", rows)
