"""The co-credit network (issue #4): edges and nodes against a brute-force count, the filters,
node fields, communities, the real samples, and bad options."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network_catalog import Cast, Crew, Movie, catalog
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.errors import ConfigError, TmdbCollectorError
from tmdb_collector.export import tables
from tmdb_collector.network import NetworkOptions, build_network, check_formats, community, graph
from tmdb_collector.network.graph import EDGES, NODES

# --- the edges against a brute-force count -------------------------------------------------------


def brute_force(
    movies: Sequence[Movie], cast: Sequence[Cast], crew: Sequence[Crew], o: NetworkOptions
) -> tuple[dict[tuple[int, int], tuple[Any, ...]], dict[int, tuple[int, int]]]:
    """The edges {(a, b): (weight, first year, last year, movie ids)} and nodes {id: (movies,
    degree)} the options ask for, counted the slow and obvious way."""
    year = {m: y for m, y, votes in movies if _movie_kept(y, votes, o)}
    credited: dict[int, set[int]] = defaultdict(set)
    if o.roles in ("cast", "both"):
        for m, p, order, _ in cast:
            if o.top_billed is None or (order is not None and order < o.top_billed):
                credited[m].add(p)
    if o.roles in ("crew", "both"):
        for m, p, _, _ in crew:
            credited[m].add(p)
    shared: dict[tuple[int, int], list[int]] = defaultdict(list)
    movies_of: dict[int, set[int]] = defaultdict(set)
    for m, people in credited.items():
        if m not in year:
            continue
        for p in people:
            movies_of[p].add(m)
        for a, b in combinations(sorted(people), 2):
            shared[(a, b)].append(m)
    edges = {}
    for pair, ms in shared.items():
        if len(ms) >= o.min_shared:
            years = [year[m] for m in ms if year[m] is not None]
            edges[pair] = (len(ms), min(years, default=None), max(years, default=None), sorted(ms))
    degree: dict[int, int] = defaultdict(int)
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1
    return edges, {p: (len(movies_of[p]), d) for p, d in degree.items()}


def _movie_kept(year: int | None, votes: int, o: NetworkOptions) -> bool:
    if o.min_votes is not None and votes < o.min_votes:
        return False
    if o.year_from is not None and (year is None or year < o.year_from):
        return False
    return not (o.year_to is not None and (year is None or year > o.year_to))


@st.composite
def catalogs(draw: st.DrawFn) -> tuple[list[Movie], list[Cast], list[Crew]]:
    """Up to 6 movies and 10 people; an actor may be listed twice in a movie (two roles) and a
    crew member may hold several jobs; some billing orders and years are unknown."""
    movies: list[Movie] = []
    cast: list[Cast] = []
    crew: list[Crew] = []
    person = st.integers(1, 10)
    for m in range(1, draw(st.integers(1, 6)) + 1):
        movies.append((m, draw(st.none() | st.integers(1990, 1994)), draw(st.integers(0, 20))))
        for order, p in enumerate(draw(st.lists(person, max_size=7))):
            cast.append((m, p, draw(st.sampled_from([order, order, None])), f"P{p}"))
        crew.extend((m, p, "Job", f"P{p}") for p in draw(st.lists(person, max_size=4)))
    return movies, cast, crew


@st.composite
def network_options(draw: st.DrawFn) -> NetworkOptions:
    roles = draw(st.sampled_from(["cast", "crew", "both"]))
    top = None if roles == "crew" else draw(st.none() | st.integers(1, 5))
    year_from = draw(st.none() | st.integers(1989, 1995))
    year_to = draw(st.none() | st.integers(year_from or 1989, 1996))
    return NetworkOptions(
        min_shared=draw(st.integers(1, 3)), top_billed=top,
        min_votes=draw(st.none() | st.integers(0, 20)), year_from=year_from, year_to=year_to,
        roles=roles, movie_ids=True, community=False,
    )  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs(), network_options(), st.sampled_from([10**9, 3]))
def test_edges_and_nodes_equal_a_brute_force_count(
    data: tuple[list[Movie], list[Cast], list[Crew]], options: NetworkOptions, per_pass: int
) -> None:
    movies, cast, crew = data
    con = catalog(movies, cast, crew)
    built = graph.build(con, options, pairs_per_pass=per_pass)  # 3: many aggregation passes
    rows = con.execute(f"SELECT * FROM {EDGES}").fetchall()
    pairs = [(a, b) for a, b, *_ in rows]
    assert all(a < b for a, b in pairs)  # no self-loops, each pair as (smaller, larger)
    assert len(set(pairs)) == len(pairs)  # no pair twice
    edges, nodes = brute_force(movies, cast, crew, options)
    assert {(a, b): tuple(rest) for a, b, *rest in rows} == edges
    got = con.execute(f"SELECT id, movies, degree FROM {NODES}").fetchall()
    assert {p: (m, d) for p, m, d in got} == nodes
    assert (built.edges, built.nodes) == (len(edges), len(nodes))


def test_a_person_with_several_jobs_shares_the_movie_once() -> None:
    con = catalog(
        [(1, 2000, 5)],
        cast=[(1, 10, 0, "Actor"), (1, 10, 1, "Actor")],  # one actor, two characters
        crew=[(1, 20, "Director", "D"), (1, 20, "Writer", "D"), (1, 10, "Producer", "Actor")],
    )
    graph.build(con, NetworkOptions(roles="both"))
    assert con.execute(f"SELECT source, target, weight FROM {EDGES}").fetchall() == [(10, 20, 1)]


# --- node fields ---------------------------------------------------------------------------------


def test_node_fields_come_from_people_then_from_the_latest_credit() -> None:
    con = catalog(
        [(1, 2000, 5), (2, 2010, 5), (3, None, 5)],
        cast=[(1, 1, 0, "Old Name"), (2, 1, 0, "New Name"), (3, 1, 0, "Undated Name"),
              (1, 2, 1, "Credited"), (2, 2, 1, "Credited"), (2, 3, 2, "Three")],
        people=[(2, "Crawled Name", None)],
    )  # fmt: skip
    graph.build(con, NetworkOptions())
    got = con.execute(
        f"SELECT id, name, gender, movies, degree FROM {NODES} ORDER BY id"
    ).fetchall()
    # gender: people's is NULL for 2, so their credits' (person_id % 3 in network_catalog)
    assert got == [(1, "New Name", 1, 3, 2), (2, "Crawled Name", 2, 2, 2), (3, "Three", 0, 1, 2)]


# --- communities ---------------------------------------------------------------------------------


def cliques(sizes: Sequence[int], first_id: Sequence[int]) -> list[Cast]:
    """One movie per clique (its people all co-cast), and one movie joining each clique's
    first person to the next clique's."""
    cast: list[Cast] = []
    for movie, (size, start) in enumerate(zip(sizes, first_id, strict=True), start=1):
        cast += [(movie, p, p - start, f"P{p}") for p in range(start, start + size)]
    for bridge, (a, b) in enumerate(pairwise(first_id), start=100):
        cast += [(bridge, a, 0, f"P{a}"), (bridge, b, 1, f"P{b}")]
    return cast


def test_communities_are_found_and_numbered_by_size(tmp_path: Path) -> None:
    cast = cliques([4, 6], [1, 10])
    movies = [(m, 2000, 5) for m in {c[0] for c in cast}]
    con = catalog(movies, cast)
    summary = build_network(con, NetworkOptions(), tmp_path, ["parquet"])
    got = dict(duckdb.sql(f"SELECT id, community FROM '{tmp_path}/nodes.parquet'").fetchall())
    # The bigger clique is community 0, though it holds the larger ids.
    assert got == {**dict.fromkeys(range(10, 16), 0), **dict.fromkeys(range(1, 5), 1)}
    assert summary.communities == 2
    assert summary.modularity is not None and summary.modularity > 0.3


def random_catalog(seed: int) -> tuple[list[Movie], list[Cast]]:
    """60 movies of 2-8 cast among 120 people, drawn from `seed`: a graph with many
    communities and many ways to split it."""
    import random

    rng = random.Random(seed)
    movies = [(m, 1990 + m % 20, 10) for m in range(1, 61)]
    cast = [
        (m, p, order, f"P{p}")
        for m, *_ in movies
        for order, p in enumerate(rng.sample(range(1, 121), rng.randint(2, 8)))
    ]
    return movies, cast


def communities(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    return dict(con.execute(f"SELECT id, community FROM {NODES}").fetchall())


def test_communities_are_the_same_run_after_run_and_whatever_the_edge_order() -> None:
    movies, cast = random_catalog(seed=5)
    con = catalog(movies, cast)
    built = graph.build(con, NetworkOptions())
    community.detect(con, built, NetworkOptions())
    first = communities(con)
    assert None not in first.values() and len(set(first.values())) > 2
    community.detect(con, built, NetworkOptions())
    assert communities(con) == first
    # The same edges inserted in another order (a plain connection scans in insertion order).
    con.execute(f"CREATE TABLE shuffled AS SELECT * FROM {EDGES} ORDER BY hash(source * target)")
    con.execute(f"DELETE FROM {EDGES}")
    con.execute(f"INSERT INTO {EDGES} SELECT * FROM shuffled")
    con.execute(f"UPDATE {NODES} SET community = NULL")
    community.detect(con, built, NetworkOptions())
    assert communities(con) == first


def test_too_big_a_graph_gets_no_communities_and_a_note(tmp_path: Path) -> None:
    movies, cast = random_catalog(seed=6)
    options = NetworkOptions(community_max_edges=10)
    summary = build_network(catalog(movies, cast), options, tmp_path, "parquet")
    assert summary.communities is None and summary.edges > 10
    assert summary.notes and "not computed" in summary.notes[0] and "10" in summary.notes[0]
    got = duckdb.sql(f"SELECT count(community) FROM '{tmp_path}/nodes.parquet'").fetchall()
    assert got == [(0,)]


# --- the real samples ----------------------------------------------------------------------------


def test_the_real_movie_gives_a_complete_graph(
    tmp_path: Path, samples: Callable[[str], Any]
) -> None:
    movie = samples("movie_49026_tt1345836_append_credits_images_keywords.json")
    store = Store.open(tmp_path / "store")
    store.record([Outcome("movie", 49026, "ok", "ok", 200, orjson.dumps(movie))])
    actors = {row["id"] for row in movie["credits"]["cast"]}
    everyone = actors | {row["id"] for row in movie["credits"]["crew"]}
    year = int(movie["release_date"][:4])
    for options, people in [
        (NetworkOptions(), actors),
        (NetworkOptions(roles="both"), everyone),  # several jobs: still one shared movie
        (NetworkOptions(top_billed=10), {r["id"] for r in movie["credits"]["cast"][:10]}),
    ]:
        out = tmp_path / f"{options.roles}-{options.top_billed}"
        con = tables.connect()
        tables.build(store, con, only=options.tables)  # the tables the command builds
        summary = build_network(con, options, out, "parquet")
        n = len(people)
        assert (summary.nodes, summary.edges) == (n, n * (n - 1) // 2)
        got = duckdb.sql(
            f"SELECT DISTINCT weight, first_year, last_year FROM '{out}/edges.parquet'"
        )
        assert got.fetchall() == [(1, year, year)]
        assert summary.communities == 1  # a clique is one community


# --- bad options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: NetworkOptions(min_shared=0), "--min-shared must be at least 1"),
        (lambda: NetworkOptions(top_billed=0), "--top-billed must be at least 1"),
        (lambda: NetworkOptions(min_votes=-1), "--min-votes must be at least 0"),
        (lambda: NetworkOptions(year_from=2010, year_to=2000), "year range is inverted"),
        (lambda: NetworkOptions(roles="crew", top_billed=5), "cannot apply to crew"),
        (lambda: NetworkOptions(roles="actors"), "unknown roles 'actors'"),  # type: ignore[arg-type]
        (lambda: NetworkOptions(memory_limit="lots"), "bad memory limit 'lots'"),
        (lambda: check_formats("gexf,pajek"), "unknown network format 'pajek'"),
        (lambda: check_formats(""), "no network format"),
    ],
)
def test_bad_options_are_one_line_errors(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_running_out_of_memory_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    movies, cast = random_catalog(seed=7)
    with pytest.raises(TmdbCollectorError) as caught:
        build_network(catalog(movies, cast), NetworkOptions(memory_limit="1MB"), tmp_path, "csv")
    assert "memory limit of 1MB" in str(caught.value) and "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_formats_are_deduplicated_in_a_fixed_order() -> None:
    assert check_formats("GEXF, parquet,gexf") == ("parquet", "gexf")
    assert check_formats(["neo4j", "csv"]) == ("csv", "neo4j")


def test_bad_format_or_output_touches_nothing(tmp_path: Path) -> None:
    con = catalog([(1, 2000, 5)], [(1, 1, 0, "A"), (1, 2, 1, "B")])
    with pytest.raises(ConfigError, match="unknown network format"):
        build_network(con, NetworkOptions(), tmp_path / "net", "parquet,svg")
    assert not (tmp_path / "net").exists()
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(ConfigError, match="must be a directory"):
        build_network(con, NetworkOptions(), tmp_path / "file", "parquet")
    assert (tmp_path / "file").read_text() == "not a directory"
