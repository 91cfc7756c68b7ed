"""Communities of the graph: Leiden (modularity, weighted by shared movies) through igraph.

The graph is handed to igraph in DuckDB-sized batches as integer pairs (the node index `idx`,
0..n-1 in person-id order) and the weights as raw float64 bytes, so no Python object per edge
outlives its batch. Leiden's random choices come from a `random.Random(seed)`: the same graph
and seed give the same communities, which are then numbered by size (0 is the largest; ties go
to the community holding the smaller person id), so ids do not depend on igraph's internals.

Memory is the limit: igraph needs ~100 bytes an edge at Leiden's peak (1.64 GB for the
whole process at 11.9 M edges), so graphs above `NetworkOptions.community_max_edges` are
skipped with a note rather than risking the machine's memory.
"""

from __future__ import annotations

import array
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import igraph
import pyarrow as pa

from tmdb_collector import config
from tmdb_collector.network.graph import EDGES, NODES, GraphTables, current_setting
from tmdb_collector.network.options import NetworkOptions

BATCH_ROWS = 1 << 20


@dataclass(frozen=True)
class Communities:
    """What community detection found (count None: it did not run; `note` says why)."""

    count: int | None = None
    modularity: float | None = None
    note: str | None = None


def detect(
    con: duckdb.DuckDBPyConnection, tables: GraphTables, options: NetworkOptions
) -> Communities:
    """Set NODES.community when the options ask for it and the graph fits the edge limit."""
    if not options.community:
        return Communities()
    if tables.edges > options.community_max_edges:
        return Communities(
            note=f"communities not computed: {tables.edges:,} edges is over the limit of "
            f"{options.community_max_edges:,} (raise --min-shared or set --top-billed)"
        )
    if tables.nodes == 0:
        return Communities(0)
    with _duckdb_yields_memory(con):
        membership, modularity = leiden(con, tables.nodes, options.seed)
    return Communities(_store(con, membership), modularity)


@contextlib.contextmanager
def _duckdb_yields_memory(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's memory limit lowered within the block: it evicts its cache (to disk) and
    returns the memory, which igraph then uses. If it cannot free that much, it keeps its
    limit (and the memory), and Leiden runs all the same."""
    before: str | None = current_setting(con, "memory_limit")
    try:
        con.execute(f"SET memory_limit = '{config.NETWORK_COMMUNITY_MEMORY_LIMIT}'")
    except duckdb.OutOfMemoryException:
        before = None  # nothing changed, nothing to restore
    try:
        yield
    finally:
        if before is not None:
            con.execute(f"SET memory_limit = '{before}'")


def leiden(con: duckdb.DuckDBPyConnection, nodes: int, seed: int) -> tuple[list[int], float]:
    """Each node's community (by idx) and the partition's weighted modularity."""
    weights = array.array("d")
    graph = igraph.Graph(n=nodes, edges=_pairs(con, weights))
    igraph.set_random_number_generator(random.Random(seed))
    try:
        found = graph.community_leiden(
            objective_function="modularity",
            weights=weights,
            n_iterations=config.NETWORK_LEIDEN_ITERATIONS,
        )
    finally:
        igraph.set_random_number_generator(random)  # python-igraph's default
    membership: list[int] = found.membership
    return membership, float(graph.modularity(membership, weights=weights))


def _pairs(
    con: duckdb.DuckDBPyConnection, weights: array.array[float]
) -> Iterator[tuple[int, int]]:
    """The edges as (idx, idx) pairs, appending each edge's weight to `weights` on the way.

    In no particular order: Leiden walks each vertex's neighbours in igraph's own sorted
    adjacency, so the communities depend on the vertex numbering and the seed, not on the
    order edges arrive in (a test shuffles them), and DuckDB need not sort them."""
    query = (
        f"SELECT s.idx, t.idx, e.weight::DOUBLE FROM {EDGES} e "
        f"JOIN {NODES} s ON s.id = e.source JOIN {NODES} t ON t.id = e.target"
    )
    for batch in con.sql(query).to_arrow_reader(BATCH_ROWS):
        column = batch.column(2)
        start = column.offset * 8
        weights.frombytes(memoryview(column.buffers()[1])[start : start + 8 * len(column)])
        yield from zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True)


def _store(con: duckdb.DuckDBPyConnection, membership: list[int]) -> int:
    """Write the communities into NODES, numbered by size; returns how many there are."""
    found = pa.table(
        {
            "idx": pa.array(range(len(membership)), pa.int32()),
            "found": pa.array(membership, pa.int32()),
        }
    )
    con.register("network_membership", found)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE network_communities AS
            WITH m AS (SELECT n.id, f.found FROM network_membership f
                       JOIN {NODES} n ON n.idx = f.idx),
            ranked AS (SELECT found, (row_number() OVER (ORDER BY count(*) DESC, min(id)) - 1)
                              ::INTEGER AS community
                       FROM m GROUP BY found)
            SELECT m.id, ranked.community FROM m JOIN ranked USING (found)"""
        )
        con.execute(
            f"UPDATE {NODES} AS n SET community = c.community "
            "FROM temp.main.network_communities c WHERE n.id = c.id"
        )
        con.execute("DROP TABLE temp.main.network_communities")
    finally:
        con.unregister("network_membership")
    return len(set(membership))
