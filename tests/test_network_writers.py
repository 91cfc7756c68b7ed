"""The network's files (issue #4): GEXF and GraphML that networkx loads, Parquet, CSV and Neo4j
import CSVs that agree with them, names that survive XML, and writes that are all or nothing."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from network_catalog import catalog
from tmdb_collector.network import NetworkOptions, NetworkSummary, build_network, files, xml

TRICKY = 'Zoë & "Bo" <O\'Hara>\ta\nb\x01\ufffe ]]> 李'
"""A name with XML's special characters, a tab and a newline, characters XML 1.0 forbids
(\\x01, U+FFFE: they are dropped), a CDATA end and non-ASCII."""
TRICKY_IN_XML = TRICKY.replace("\x01", "").replace("\ufffe", "")
ALL = ["parquet", "csv", "gexf", "graphml", "neo4j"]


def small_graph(tmp_path: Path, formats: list[str] = ALL, **options: Any) -> NetworkSummary:
    """Five people over three movies (one undated), one with a tricky name, written out."""
    con = catalog(
        [(1, 1999, 10), (2, 2004, 10), (3, None, 10)],
        cast=[(1, 1, 0, TRICKY), (1, 2, 1, "Bea"), (1, 3, 2, "Cy"), (2, 1, 0, TRICKY),
              (2, 2, 1, "Bea"), (3, 4, 0, "Di"), (3, 5, 1, "Ed")],
        people=[(5, "Ed Crawled", 1)],
    )  # fmt: skip
    return build_network(con, NetworkOptions(**options), tmp_path, formats)


def edges_table(out: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = duckdb.sql(f"SELECT * FROM '{out}/edges.parquet'").fetchall()
    return {(str(a), str(b)): tuple(rest) for a, b, *rest in rows}


def nodes_table(out: Path) -> dict[str, tuple[Any, ...]]:
    rows = duckdb.sql(f"SELECT * FROM '{out}/nodes.parquet'").fetchall()
    return {str(node_id): tuple(rest) for node_id, *rest in rows}


def test_every_format_is_written_and_they_agree(tmp_path: Path) -> None:
    summary = small_graph(tmp_path, movie_ids=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        name for f in ALL for name, _ in files.WRITERS[f]
    )
    edges, nodes = edges_table(tmp_path), nodes_table(tmp_path)
    assert (summary.nodes, summary.edges) == (len(nodes), len(edges)) == (5, 4)
    assert edges[("1", "2")] == (2, 1999, 2004, [1, 2])
    assert edges[("4", "5")] == (1, None, None, [3])
    # name, gender, popularity, department, movies, degree, community
    assert nodes["1"][0] == TRICKY and nodes["5"][0] == "Ed Crawled"
    assert nodes["1"][4:6] == (2, 2) and nodes["4"][4:6] == (1, 1)
    with (tmp_path / "edges.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {(r["source"], r["target"]): int(r["weight"]) for r in rows} == {
        pair: values[0] for pair, values in edges.items()
    }
    assert {r["movie_ids"] for r in rows} == {"1;2", "1", "3"}
    with (tmp_path / "nodes.csv").open(newline="", encoding="utf-8") as f:
        assert {r["id"]: r["name"] for r in csv.DictReader(f)}["1"] == TRICKY


def test_parquet_columns_have_the_types_a_user_expects(tmp_path: Path) -> None:
    small_graph(tmp_path, ["parquet"], movie_ids=True)
    edges = pq.read_schema(tmp_path / "edges.parquet")
    assert [(f.name, f.type) for f in edges] == [
        ("source", pa.int64()), ("target", pa.int64()), ("weight", pa.int32()),
        ("first_year", pa.int32()), ("last_year", pa.int32()),
        ("movie_ids", pa.list_(pa.field("element", pa.int64()))),
    ]  # fmt: skip
    nodes = pq.read_schema(tmp_path / "nodes.parquet")
    assert nodes.names == ["id", "name", "gender", "popularity", "known_for_department",
                           "movies", "degree", "community"]  # fmt: skip
    assert nodes.field("gender").type == pa.int8()


@pytest.mark.parametrize("movie_ids", [False, True])
def test_gexf_loads_with_networkx_and_matches_the_tables(tmp_path: Path, movie_ids: bool) -> None:
    small_graph(tmp_path, ["parquet", "gexf"], movie_ids=movie_ids)
    g = nx.read_gexf(tmp_path / "network.gexf", version="1.3")
    edges, nodes = edges_table(tmp_path), nodes_table(tmp_path)
    assert not g.is_directed()
    assert g.number_of_nodes() == len(nodes) and g.number_of_edges() == len(edges)
    for (a, b), (weight, first, last, *ids) in edges.items():
        data = g.edges[a, b]
        assert data["weight"] == weight
        assert (data.get("first_year"), data.get("last_year")) == (first, last)
        assert data.get("movie_ids") == (";".join(map(str, ids[0])) if movie_ids else None)
    for node_id, (name, gender, popularity, department, movies, degree, group) in nodes.items():
        data = g.nodes[node_id]
        assert data["label"] == name.replace("\x01", "").replace("\ufffe", "")
        assert (data.get("gender"), data.get("popularity")) == (gender, popularity)
        assert (data["movies"], data["degree"], data["community"]) == (movies, degree, group)
        assert data.get("known_for_department") == department
    assert g.nodes["1"]["label"] == TRICKY_IN_XML


def test_graphml_loads_with_networkx_and_matches_the_tables(tmp_path: Path) -> None:
    small_graph(tmp_path, ["parquet", "graphml"], movie_ids=True)
    g = nx.read_graphml(tmp_path / "network.graphml")
    edges, nodes = edges_table(tmp_path), nodes_table(tmp_path)
    assert not g.is_directed()
    assert g.number_of_nodes() == len(nodes) and g.number_of_edges() == len(edges)
    for (a, b), (weight, first, last, ids) in edges.items():
        data = g.edges[a, b]
        assert isinstance(data["weight"], int) and data["weight"] == weight
        assert (data.get("first_year"), data.get("last_year")) == (first, last)
        assert data["movie_ids"] == ";".join(map(str, ids))
    for node_id, (name, gender, popularity, _, movies, degree, group) in nodes.items():
        data = g.nodes[node_id]
        assert data["name"] == name.replace("\x01", "").replace("\ufffe", "")
        assert (data.get("gender"), data.get("popularity")) == (gender, popularity)
        assert (data["movies"], data["degree"], data["community"]) == (movies, degree, group)
    assert g.nodes["1"]["name"] == TRICKY_IN_XML


def test_an_empty_graph_is_still_valid_xml(tmp_path: Path) -> None:
    small_graph(tmp_path, ["gexf", "graphml"], min_shared=5)
    assert nx.read_gexf(tmp_path / "network.gexf", version="1.3").number_of_nodes() == 0
    assert nx.read_graphml(tmp_path / "network.graphml").number_of_edges() == 0


def test_neo4j_files_have_the_import_tools_headers(tmp_path: Path) -> None:
    small_graph(tmp_path, ["parquet", "neo4j"], movie_ids=True)
    with (tmp_path / "neo4j_nodes.csv").open(newline="", encoding="utf-8") as f:
        nodes = list(csv.reader(f))
    with (tmp_path / "neo4j_relationships.csv").open(newline="", encoding="utf-8") as f:
        relationships = list(csv.reader(f))
    assert nodes[0] == ["personId:ID(Person)", "name", "gender:int", "popularity:double",
                        "knownForDepartment", "movies:int", "degree:int", "community:int",
                        ":LABEL"]  # fmt: skip
    assert relationships[0] == [
        ":START_ID(Person)", ":END_ID(Person)", "weight:int", "firstYear:int", "lastYear:int",
        "movieIds:long[]", ":TYPE",
    ]  # fmt: skip
    assert len(nodes) - 1 == 5 and {row[-1] for row in nodes[1:]} == {"Person"}
    by_pair = {(r[0], r[1]): r for r in relationships[1:]}
    assert by_pair.keys() == edges_table(tmp_path).keys()
    assert by_pair[("1", "2")][2:] == ["2", "1999", "2004", "1;2", "APPEARED_WITH"]
    # The import tool refuses multi-line fields by default: newlines become spaces.
    assert {r[0]: r[1] for r in nodes[1:]}["1"] == TRICKY.replace("\n", " ")


def test_crew_relationships_are_worked_with(tmp_path: Path) -> None:
    small_graph(tmp_path, ["neo4j"], roles="both")
    with (tmp_path / "neo4j_relationships.csv").open(newline="", encoding="utf-8") as f:
        assert {row[-1] for row in list(csv.reader(f))[1:]} == {"WORKED_WITH"}


# --- all or nothing ------------------------------------------------------------------------------


def failing_gexf(con: duckdb.DuckDBPyConnection, tables: Any, path: Path) -> None:
    """Writes half a file, then fails, as a full disk would."""
    path.write_text('<?xml version="1.0"?><gexf><graph><nodes><node id="1"')
    raise OSError(28, "No space left on device")


def test_a_failed_write_keeps_the_previous_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_graph(tmp_path, ["parquet", "gexf"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setitem(files.WRITERS, "gexf", (("network.gexf", failing_gexf),))
    with pytest.raises(OSError, match="No space left"):
        small_graph(tmp_path, ["parquet", "gexf"], min_shared=2)  # different contents
    # nodes.parquet and edges.parquet were rewritten before the failure, but never renamed.
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_failed_first_write_leaves_no_file_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(files.WRITERS, "gexf", (("network.gexf", failing_gexf),))
    with pytest.raises(OSError):
        small_graph(tmp_path / "net", ["parquet", "gexf"])
    assert list((tmp_path / "net").iterdir()) == []


def test_ctrl_c_while_writing_keeps_the_previous_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_graph(tmp_path, ["graphml"])
    before = (tmp_path / "network.graphml").read_bytes()

    def interrupted(con: duckdb.DuckDBPyConnection, query: str, sink: Any) -> None:
        sink.write(b"<node")
        raise KeyboardInterrupt

    monkeypatch.setattr(xml, "_stream", interrupted)
    with pytest.raises(KeyboardInterrupt):
        small_graph(tmp_path, ["graphml"], min_shared=2)
    assert [p.name for p in tmp_path.iterdir()] == ["network.graphml"]
    assert (tmp_path / "network.graphml").read_bytes() == before
