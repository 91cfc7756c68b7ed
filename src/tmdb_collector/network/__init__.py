"""The co-credit network: people linked by the movies they share, built in DuckDB from the
export tables and written as Parquet, CSV, GEXF, GraphML or Neo4j import CSVs.

From a notebook, the whole way from a store:

    from tmdb_collector.network import NetworkOptions, build_from_store

    summary = build_from_store(store, NetworkOptions(top_billed=10), Path("net"), "gexf,parquet")

or from tables already built (every table: `tables.build(store, con)`):

    from tmdb_collector.export import tables
    from tmdb_collector.network import NetworkOptions, build_network

    options = NetworkOptions(top_billed=10)
    con = tables.connect()
    tables.build(store, con, only=options.tables)
    summary = build_network(con, options, Path("net"), "gexf,parquet")

Nodes: person id, name, gender, popularity, known_for_department (from `people` when the
person was crawled, else from their most recent credit in the chosen roles), movies (distinct
movies among the filtered credits), degree (in the kept graph), community (Leiden, numbered
by size; NULL when not computed). Only people with at least one kept edge are nodes. Edges:
source < target, weight = shared movies, first_year and last_year of those movies, optionally
movie_ids.
"""

from tmdb_collector.network.build import NetworkSummary, build_network
from tmdb_collector.network.collection import build_from_store
from tmdb_collector.network.files import WRITERS
from tmdb_collector.network.options import FORMATS, ROLES, NetworkOptions, Role, check_formats

__all__ = [
    "FORMATS",
    "ROLES",
    "WRITERS",
    "NetworkOptions",
    "NetworkSummary",
    "Role",
    "build_from_store",
    "build_network",
    "check_formats",
]
