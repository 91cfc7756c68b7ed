"""The simulated catalog's co-star network looks like Hollywood's (issue #12): pairs who share
several top-billed movies are many and gather in franchise and director communities; the
full cast graph is clustered like Watts & Strogatz's actors (0.79) and its degree tail is a
power law like Barabási & Albert's (exponent 2.3).

The network is built by the product's own code (`network.graph`, `network.community`) from
the tables the export would make of a 20,000-movie catalog (`network_catalog.simulated`),
without HTTP."""

from __future__ import annotations

import random
import statistics
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import date

import duckdb
import igraph
import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from network_catalog import simulated
from tmdb_collector.network import NetworkOptions, community, graph
from tmdb_collector.network.graph import EDGES, NODES
from tmdb_collector.simulator import careers, credits, franchises
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.credits import director_of, movie_credits
from tmdb_collector.simulator.franchises import franchise_of, release_year
from tmdb_collector.simulator.movies import movie_base, movie_json

MOVIES, SEED = 20_000, 1


@pytest.fixture(scope="module")
def tables() -> Iterator[duckdb.DuckDBPyConnection]:
    con = simulated(MOVIES, SEED)
    yield con
    con.close()


def cast_graph(con: duckdb.DuckDBPyConnection, options: NetworkOptions) -> igraph.Graph:
    """The network the options ask for, built by the product, as an igraph graph."""
    graph.build(con, options)
    pairs = con.execute(
        f"SELECT s.idx, t.idx FROM {EDGES} e "
        f"JOIN {NODES} s ON s.id = e.source JOIN {NODES} t ON t.id = e.target"
    ).fetchall()
    (nodes,) = con.execute(f"SELECT count(*) FROM {NODES}").fetchone() or (0,)
    return igraph.Graph(n=nodes, edges=pairs)


def movie_labels(con: duckdb.DuckDBPyConnection) -> None:
    """Register `labels` (movie_id, label): each movie's collection, or else its director."""
    sim = Catalog(MOVIES, SEED, date(2026, 11, 2))
    ids, labels = [], []
    for index in range(MOVIES):
        franchise = franchise_of(SEED, index)
        ids.append(sim.movies.ids.id_of(index))
        labels.append(
            f"collection {franchise.id}" if franchise else f"director {director_of(sim, index)}"
        )
    con.register("labels", pa.table({"movie_id": ids, "label": labels}))


# For each of the largest communities: its most frequent label among the movies behind its
# inner edges, that label's share there, and the label's share in the whole network.
DOMINANT_LABELS = f"""
WITH shared AS (
    SELECT s.community AS a, t.community AS b, unnest(e.movie_ids) AS movie_id
    FROM {EDGES} e JOIN {NODES} s ON s.id = e.source JOIN {NODES} t ON t.id = e.target),
labelled AS (SELECT a, b, label FROM shared JOIN labels USING (movie_id)),
overall AS (SELECT label, count(*) / (SELECT count(*) FROM labelled) AS share
            FROM labelled GROUP BY label),
inside AS (SELECT a AS community, label, count(*) AS n FROM labelled
           WHERE a = b AND a < $1 GROUP BY ALL),
top AS (SELECT community, arg_max(label, n) AS label, max(n) / sum(n) AS share
        FROM inside GROUP BY community)
SELECT top.community, top.label, top.share, overall.share
FROM top JOIN overall USING (label) ORDER BY top.community
"""


def test_pairs_sharing_two_top_billed_movies_form_franchise_communities(
    tables: duckdb.DuckDBPyConnection,
) -> None:
    # Sequels bring their leads back and directors recast their regulars, so thousands of
    # actors share two top-billed movies or more with someone (60 pairs before issue #12),
    # and the largest communities each gather around a different collection or director.
    options = NetworkOptions(top_billed=10, min_shared=2, movie_ids=True)
    built = graph.build(tables, options)
    found = community.detect(tables, built, options)
    assert built.nodes >= 2_000, built
    assert found.count and found.count >= 100
    movie_labels(tables)
    largest = tables.execute(DOMINANT_LABELS, [10]).fetchall()
    assert len(largest) == 10
    assert len({label for _, label, _, _ in largest}) == 10, largest
    for _, label, share, overall in largest:
        # the plurality of the community's co-appearances, many times its share overall
        assert share >= 20 * overall, (label, share, overall)
    assert statistics.median(share for _, _, share, _ in largest) >= 0.15, largest
    graph.drop(tables)


def test_the_full_cast_graph_is_clustered_with_a_power_law_degree_tail(
    tables: duckdb.DuckDBPyConnection,
) -> None:
    import powerlaw

    g = cast_graph(tables, NetworkOptions())
    graph.drop(tables)
    # Average local clustering, people with fewer than two co-stars counting 0 (networkx's
    # average_clustering); Watts & Strogatz's actors: 0.79. Before issue #12: 0.66.
    assert g.transitivity_avglocal_undirected(mode="zero") >= 0.7
    with warnings.catch_warnings():  # powerlaw's optimizer warns on its own search bounds
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(g.degree(), discrete=True, verbose=False)
    # Maximum likelihood, the tail's start chosen by the Kolmogorov-Smirnov distance
    # (Clauset, Shalizi & Newman 2009); Barabási & Albert's actors: 2.3.
    assert 2 <= fit.power_law.alpha <= 3, (fit.power_law.alpha, fit.power_law.xmin)
    assert fit.power_law.xmin <= 100  # a tail, not its last few dozen people


# --- the model behind it: franchises, directors, careers, each derived per movie ---------------

DAY = date(2026, 11, 2)


def fresh_catalog(movies: int, seed: int) -> Catalog:
    """A catalog with every derivation cache emptied, as in a new simulator process."""
    for cached in (movie_credits, franchises._window, franchises._leads, movie_base):
        cached.cache_clear()
    return Catalog(movies, seed, DAY)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 4_999), st.integers(1, 300))
def test_a_movie_alone_is_the_movie_among_others(seed: int, index: int, before: int) -> None:
    # Documents are derived per id from the seed: a movie computed first in a new process is
    # the one computed after many others (its collection, leads and director included).
    alone = fresh_catalog(5_000, seed)
    expected = movie_json(alone, index, ("credits",)), movie_credits(alone, index)
    among = fresh_catalog(5_000, seed)
    for other in range(max(0, index - before), min(5_000, index + before)):
        movie_json(among, other, ("credits",))
    assert (movie_json(among, index, ("credits",)), movie_credits(among, index)) == expected


def test_same_seed_same_credits_and_another_seed_others() -> None:
    a, b, c = Catalog(3_000, 5, DAY), Catalog(3_000, 5, DAY), Catalog(3_000, 6, DAY)
    assert [movie_credits(a, i) for i in range(300)] == [movie_credits(b, i) for i in range(300)]
    assert [movie_credits(a, i) for i in range(300)] != [movie_credits(c, i) for i in range(300)]


@given(st.integers(0, 2**64 - 1), st.integers(1, 10**7), st.integers(1920, 2026), st.booleans())
def test_credit_picks_are_pick_active_inlined(
    state: int, people: int, year: int, crew: bool
) -> None:
    # `credits._pick_people` inlines `careers.pick_active` for speed: the same draws must
    # give the same people.
    skew = credits.CREW_SKEW if crew else credits.CAST_SKEW
    inlined = credits._pick_people(random.Random(state).random, people, year, 1, skew, set(), crew)
    assert inlined == [careers.pick_active(random.Random(state).random, people, year, skew, crew)]


@given(st.integers(0, 2**64 - 1), st.integers(0, 10**6))
def test_a_window_groups_the_movies_that_join_franchises(seed: int, window: int) -> None:
    # `franchises._window` inlines `_joins`: its collections are made of the window's
    # joining movies, in order, all but a lone last one.
    first = window * franchises.WINDOW
    joining = [i for i in range(first, first + franchises.WINDOW) if franchises._joins(seed, i)]
    grouped = sorted(franchises._window(seed, window))
    assert grouped == joining[: len(grouped)] and len(joining) - len(grouped) <= 1
    assert all(
        franchise_of(seed, i) is None
        for i in set(range(first, first + franchises.WINDOW)) - set(grouped)
    )


def collections(catalog: Catalog, movies: int) -> dict[int, list[int]]:
    """Movie indices of each collection, in release order."""
    found: dict[int, list[int]] = {}
    for index in range(movies):
        franchise = franchise_of(catalog.seed, index)
        if franchise is not None:
            found.setdefault(franchise.id, []).append(index)
    return found


def test_sequels_come_out_in_order_and_bring_most_leads_back() -> None:
    catalog = Catalog(20_000, 1, DAY)
    found = collections(catalog, 20_000)
    assert len(found) >= 300 and max(len(m) for m in found.values()) >= 5
    kept = []
    for movies in found.values():
        docs = [movie_base(catalog, m).doc for m in movies]
        assert len({orjson.dumps(d["belongs_to_collection"]) for d in docs}) == 1
        years = [franchise_of(1, m).year for m in movies]  # type: ignore[union-attr]
        assert years == sorted(years) and len(set(years)) == len(years)
        first = {p for p, order, _ in movie_credits(catalog, movies[0]).cast if order < 10}
        for sequel in movies[1:]:
            cast = {p for p, order, _ in movie_credits(catalog, sequel).cast if order < 10}
            if first and cast:
                kept.append(len(first & cast) / min(len(first), len(cast)))
    assert statistics.mean(kept) >= 0.5  # a sequel's top billing: half the first's or more


def test_directors_recast_their_regulars() -> None:
    catalog = Catalog(20_000, 1, DAY)
    by_director: dict[int, list[int]] = {}
    for index in range(20_000):
        crew = movie_credits(catalog, index).crew
        assert not crew or crew[0][1:] == ("Directing", "Director")
        if crew:
            by_director.setdefault(crew[0][0], []).append(index)
    busy = {d: ms for d, ms in by_director.items() if len(ms) >= 10}
    assert len(busy) >= 20  # a few directors make many movies; most make one
    assert statistics.median(len(ms) for ms in by_director.values()) == 1
    for movies in busy.values():
        seen = Counter(p for m in movies for p, _, _ in movie_credits(catalog, m).cast)
        assert sum(n >= 3 for n in seen.values()) >= 2  # regulars: in three of their movies


def test_careers_span_an_era() -> None:
    catalog = Catalog(20_000, 1, DAY)
    years: dict[int, list[int]] = {}
    for index in range(20_000):
        for p, _, _ in movie_credits(catalog, index).cast:
            years.setdefault(p, []).append(release_year(1, index))
    spans = [max(ys) - min(ys) for ys in years.values() if len(ys) >= 5]
    # The catalog spans 1920-2026 (five movies drawn from it at random span ~70 years); picks
    # land within CAREER_YEARS of a debut, and leads and regulars may stay a little longer.
    assert statistics.median(spans) <= 35
    assert statistics.quantiles(spans, n=10)[-1] <= careers.CAREER_YEARS + 10
