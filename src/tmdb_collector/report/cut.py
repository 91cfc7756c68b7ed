"""The report's third part, the network: a cut of the co-credit graph (built by
`network.graph`, communities by `network.community`, as `tmdb-collector network` builds it),
capped to what a browser draws fluidly, laid out by igraph, its largest communities described.

The cap keeps the heaviest people (the most shared movies in all, summed over their edges),
then the heaviest edges among them; people left without a drawn edge are not drawn. Degree,
movies and community stay those of the whole cut.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import duckdb
import igraph

from tmdb_collector import config
from tmdb_collector.errors import TmdbCollectorError
from tmdb_collector.network import NetworkOptions, graph
from tmdb_collector.network import community as communities
from tmdb_collector.network.graph import CREDITS, EDGES, NODES
from tmdb_collector.report.catalog import columns

DRAWN_NODES = "temp.main.report_nodes"
DRAWN_EDGES = "temp.main.report_edges"
DRAWN_FILMS = "temp.main.report_films"


@dataclass(frozen=True)
class DrawLimits:
    """How much of the cut the page draws, and lists."""

    nodes: int = config.REPORT_MAX_NODES
    edges: int = config.REPORT_MAX_EDGES
    communities: int = config.REPORT_COMMUNITIES
    films: int = config.REPORT_MOVIES_PER_PERSON
    top_people: int = config.REPORT_TOP_PEOPLE


def network_facts(
    con: duckdb.DuckDBPyConnection, options: NetworkOptions, limits: DrawLimits | None = None
) -> dict[str, Any]:
    """The cut's totals, the drawn nodes (with positions) and edges, each drawn person's movies,
    the largest communities and the people with the most co-stars."""
    limits = limits or DrawLimits()
    try:
        with graph.setting(con, "memory_limit", options.memory_limit):
            built = graph.build(con, options)
            found = communities.detect(con, built, options)
            _draw(con, limits)
            facts = _facts(con, limits)
    except (duckdb.OutOfMemoryException, duckdb.IOException) as exc:
        raise TmdbCollectorError(
            f"the report's network did not fit DuckDB's limits ({str(exc).splitlines()[0]}): "
            "cut it with --min-shared or --top-billed"
        ) from None
    finally:
        for table in (DRAWN_NODES, DRAWN_EDGES, DRAWN_FILMS):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        graph.drop(con)
    facts["nodes"]["x"], facts["nodes"]["y"] = layout(
        len(facts["nodes"]["id"]), facts["edges"], options.seed
    )
    facts["total"] = {
        "nodes": built.nodes, "edges": built.edges, "movies": built.movies,
        "communities": found.count,
        "modularity": None if found.modularity is None else round(found.modularity, 4),
    }  # fmt: skip
    facts["cut"] = cut_text(options)
    facts["notes"] = [found.note] if found.note else []
    return facts


def cut_text(options: NetworkOptions) -> str:
    """The cut in words, as the page states it."""
    who = {"cast": "actors", "crew": "crew members", "both": "people"}[options.roles]
    parts = [f"{who} linked by at least {options.min_shared} shared movie"
             + ("s" if options.min_shared > 1 else "")]  # fmt: skip
    if options.top_billed is not None:
        parts.append(f"billed in the first {options.top_billed} places")
    if options.min_votes is not None:
        parts.append(f"movies with at least {options.min_votes} votes")
    if options.year_from is not None or options.year_to is not None:
        parts.append(f"released {options.year_from or '…'}–{options.year_to or '…'}")
    return ", ".join(parts)


def _draw(con: duckdb.DuckDBPyConnection, limits: DrawLimits) -> None:
    """Fill DRAWN_NODES (i: 0..n-1 in id order), DRAWN_EDGES and DRAWN_FILMS."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE report_edges AS
        WITH ends AS (SELECT source AS id, weight FROM {EDGES}
                      UNION ALL SELECT target, weight FROM {EDGES}),
        heaviest AS (SELECT id FROM ends GROUP BY id ORDER BY sum(weight) DESC, id LIMIT ?)
        SELECT source, target, weight FROM {EDGES}
        WHERE source IN (SELECT id FROM heaviest) AND target IN (SELECT id FROM heaviest)
        ORDER BY weight DESC, source, target LIMIT ?""",
        [limits.nodes, limits.edges],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE report_nodes AS
        SELECT (row_number() OVER (ORDER BY id) - 1)::INTEGER AS i, id, name,
            known_for_department AS department, popularity, movies, degree, community
        FROM {NODES} WHERE id IN (SELECT source FROM {DRAWN_EDGES}
                                  UNION SELECT target FROM {DRAWN_EDGES})"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE report_films AS
        SELECT * FROM (
            SELECT n.i, c.movie_id, row_number() OVER (
                PARTITION BY n.i ORDER BY m.year DESC NULLS LAST, m.id DESC) AS rank
            FROM {CREDITS} c JOIN {DRAWN_NODES} n ON n.id = c.person_id
            JOIN movies m ON m.id = c.movie_id)
        WHERE rank <= ?""",
        [limits.films],
    )


def _facts(con: duckdb.DuckDBPyConnection, limits: DrawLimits) -> dict[str, Any]:
    nodes = columns(
        con,
        f"SELECT id, name, department, movies, degree, community FROM {DRAWN_NODES} ORDER BY i",
    )
    edges = columns(
        con,
        f"SELECT s.i AS s, t.i AS t, e.weight AS w FROM {DRAWN_EDGES} e "
        f"JOIN {DRAWN_NODES} s ON s.id = e.source JOIN {DRAWN_NODES} t ON t.id = e.target "
        "ORDER BY s, t",
    )
    movies = columns(
        con,
        f"SELECT id, title, year FROM movies WHERE id IN (SELECT movie_id FROM {DRAWN_FILMS}) "
        "ORDER BY id",
    )
    where = {id_: n for n, id_ in enumerate(movies["id"])}
    films: list[list[int]] = [[] for _ in nodes["id"]]
    for i, movie_id in con.execute(
        f"SELECT i, movie_id FROM {DRAWN_FILMS} ORDER BY i, rank"
    ).fetchall():
        films[i].append(where[movie_id])
    nodes["films"] = films
    return {
        "nodes": nodes,
        "edges": edges,
        "movies": movies,
        "communities": columns(con, COMMUNITIES_SQL, [limits.communities]),
        "top_by_costars": columns(
            con,
            f"SELECT id, name, degree AS costars, movies FROM {NODES} "
            "ORDER BY degree DESC, id LIMIT ?",
            [limits.top_people],
        ),
    }


COMMUNITIES_SQL = f"""
WITH members AS (SELECT * FROM {NODES} WHERE community < ?),
credits AS (
    SELECT m.community, c.movie_id, c.year FROM {CREDITS} c JOIN members m ON m.id = c.person_id),
genres AS (
    SELECT community, list(genre ORDER BY n DESC, genre)[1] AS genre FROM (
        SELECT c.community, g.name AS genre, count(*) AS n FROM credits c
        JOIN movie_genres l ON l.movie_id = c.movie_id JOIN genres g ON g.id = l.genre_id
        GROUP BY ALL)
    GROUP BY community),
years AS (
    SELECT community, quantile_disc(year, 0.1) // 10 * 10 AS first_decade,
        quantile_disc(year, 0.9) // 10 * 10 AS last_decade
    FROM credits WHERE year IS NOT NULL GROUP BY community)
SELECT community, count(*)::INTEGER AS size,
    list(name ORDER BY popularity DESC NULLS LAST, degree DESC, id)[1:5] AS best_known,
    any_value(g.genre) AS genre, any_value(y.first_decade)::INTEGER AS first_decade,
    any_value(y.last_decade)::INTEGER AS last_decade
FROM members LEFT JOIN genres g USING (community) LEFT JOIN years y USING (community)
GROUP BY community ORDER BY community
"""
"""The largest communities (numbered by size, 0 the largest): size, the five best-known
members (by popularity), the genre most of their credits carry, and the decades that hold the
middle 80% of their credited movies."""


def layout(nodes: int, edges: dict[str, list[Any]], seed: int) -> tuple[list[float], list[float]]:
    """Positions by Fruchterman-Reingold (igraph, grid mode from 1,000 nodes: ~1.5 s for
    10,000 nodes and 50,000 edges), weighted by shared movies, seeded; scaled to 0..1000."""
    if nodes == 0:
        return [], []
    g = igraph.Graph(n=nodes, edges=list(zip(edges["s"], edges["t"], strict=True)))
    igraph.set_random_number_generator(random.Random(seed))
    try:
        coords = g.layout_fruchterman_reingold(
            weights=[float(w) for w in edges["w"]],
            niter=config.REPORT_LAYOUT_ITERATIONS,
            grid="auto",
        ).coords
    finally:
        igraph.set_random_number_generator(random)
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return (
        [round((x - min(xs)) / span * 1000, 1) for x in xs],
        [round((y - min(ys)) / span * 1000, 1) for y in ys],
    )
