"""The simulated catalog's co-star network beside the real one's published figures (issue #12).

For each size, the simulator's first-day catalog (seed 1 unless --seed) is turned in-process
into the tables the export makes (movies and cast; no HTTP, no store), and the product's
network code (`network.graph.build`) builds two networks from them:
- the full cast graph (every credited actor; an edge when two share a movie): nodes, edges,
  mean degree, the share of edges whose pair shares two movies or more, the average local
  clustering coefficient (people with fewer than two co-stars counted as 0, and left out),
  the degree tail's power-law exponent by maximum likelihood (the `powerlaw` package: the
  tail's start chosen by the Kolmogorov-Smirnov distance, Clauset, Shalizi & Newman 2009),
  and the mean shortest path length in the largest component, from --sources random people;
- `--top-billed 10 --min-shared 2`: its nodes and edges (what `tmdb-collector network` keeps).

The real figures: Watts & Strogatz 1998 (IMDb actors: 225,226 actors, mean degree 61,
clustering 0.79, mean path length 3.65) and Barabási & Albert 1999 (degree tail exponent
2.3 ± 0.1).

    .venv/bin/python bench/network_stats.py [--movies 20000,200000] [--seed 1] [--sources 100]
"""

from __future__ import annotations

import argparse
import random
import time
import warnings
from datetime import date
from typing import Any

import duckdb
import igraph
import numpy as np
import pyarrow as pa

from tmdb_collector.export import schema
from tmdb_collector.network import NetworkOptions, graph
from tmdb_collector.network.graph import EDGES, NODES
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.credits import movie_credits
from tmdb_collector.simulator.movies import movie_base

REAL = {
    "nodes": "225,226",
    "mean degree": "61",
    "clustering": "0.79",
    "tail exponent": "2.3",
    "mean path length": "3.65",
}


def simulated_tables(movies: int, seed: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding `movies` and `cast` (the export's schema) for the first-day
    catalog: each movie that answers, its year and its cast."""
    sim = Catalog(movies, seed, date(2026, 11, 2))
    movie_rows: dict[str, list[Any]] = {"id": [], "year": []}
    cast_rows: dict[str, list[Any]] = {"movie_id": [], "person_id": [], "order": []}
    for index in range(movies):
        if not sim.movies.alive(index, 0):
            continue
        movie_id = sim.movies.ids.id_of(index)
        released = movie_base(sim, index).doc["release_date"]
        movie_rows["id"].append(movie_id)
        movie_rows["year"].append(int(released[:4]) if released else None)
        for person, order, _ in movie_credits(sim, index).cast:
            cast_rows["movie_id"].append(movie_id)
            cast_rows["person_id"].append(sim.people.ids.id_of(person))
            cast_rows["order"].append(order)
    con = duckdb.connect()
    for table in schema.TABLES:
        if table.name in ("movies", "cast", "crew", "people"):
            con.execute(table.create_sql())
    for name, rows in (("movies", movie_rows), ("cast", cast_rows)):
        con.register("rows", pa.table(rows))
        columns = ", ".join(f'"{c}"' for c in rows)
        con.execute(f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM rows')
        con.unregister("rows")
    return con


def full_cast_stats(con: duckdb.DuckDBPyConnection, sources: int) -> dict[str, Any]:
    """The full cast graph's figures (see the module's docstring)."""
    import powerlaw

    built = graph.build(con, NetworkOptions(community=False))
    edges = con.execute(
        f"SELECT s.idx, t.idx, e.weight FROM {EDGES} e "
        f"JOIN {NODES} s ON s.id = e.source JOIN {NODES} t ON t.id = e.target"
    ).fetchnumpy()
    graph.drop(con)
    pairs = np.column_stack([edges["idx"], edges["idx_1"]])
    g = igraph.Graph(n=built.nodes, edges=pairs.tolist())
    degrees = g.degree()
    with warnings.catch_warnings():  # powerlaw's optimizer warns on its own search bounds
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(degrees, discrete=True, verbose=False)
    giant = g.connected_components().giant()
    picked = random.Random(1).sample(range(giant.vcount()), min(sources, giant.vcount()))
    lengths = np.array(giant.distances(source=picked), dtype=float)
    reached = lengths[np.isfinite(lengths) & (lengths > 0)]
    return {
        "nodes": built.nodes,
        "edges": built.edges,
        "mean degree": 2 * built.edges / max(1, built.nodes),
        "pairs sharing 2+ movies": float(np.mean(edges["weight"] >= 2)),
        "clustering": g.transitivity_avglocal_undirected(mode="zero"),
        "clustering, degree 2+": g.transitivity_avglocal_undirected(mode="nan"),
        "tail exponent": float(fit.power_law.alpha),
        "tail from degree": int(fit.power_law.xmin),
        "largest component": giant.vcount() / max(1, built.nodes),
        "mean path length": float(reached.mean()),
    }


def top_billed_stats(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Nodes and edges of `--top-billed 10 --min-shared 2`."""
    built = graph.build(con, NetworkOptions(top_billed=10, min_shared=2, community=False))
    graph.drop(con)
    return {"top-10, 2+ shared: nodes": built.nodes, "top-10, 2+ shared: edges": built.edges}


def show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--movies", default="20000,200000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sources", type=int, default=100)
    args = parser.parse_args()
    sizes = [int(m) for m in args.movies.split(",")]
    columns: list[dict[str, Any]] = []
    for movies in sizes:
        started = time.monotonic()
        con = simulated_tables(movies, args.seed)
        made = time.monotonic() - started
        figures = {**full_cast_stats(con, args.sources), **top_billed_stats(con)}
        con.close()
        took = time.monotonic() - started - made
        print(f"{movies:,} movies: tables in {made:.0f} s, figures in {took:.0f} s", flush=True)
        columns.append(figures)
    header = ["", *(f"{m:,} movies" for m in sizes), "real (WS 1998, BA 1999)"]
    rows = [[name, *(show(c[name]) for c in columns), REAL.get(name, "")] for name in columns[0]]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip


if __name__ == "__main__":
    main()
