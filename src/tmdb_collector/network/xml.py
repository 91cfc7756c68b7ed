"""GEXF 1.3 (Gephi) and GraphML files, streamed from DuckDB.

DuckDB writes each node's and edge's XML as one line of text (escaping on all cores), and the
lines reach the file a batch at a time as the raw bytes of an Arrow string column: no Python
object per row, and memory bounded by the batch, whatever the graph's size.

Text is escaped for XML 1.0: `& < > " '` become entities, tab, newline and carriage return
become character references (an attribute value would otherwise turn them into spaces), and the
characters XML 1.0 forbids (C0 controls other than those three, U+FFFE, U+FFFF) are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple

import duckdb
import pyarrow as pa

from tmdb_collector.network.graph import EDGES, NODES, GraphTables

BATCH_ROWS = 100_000

ESCAPE_MACRO = r"""
CREATE OR REPLACE TEMP MACRO network_xml(s) AS
replace(replace(replace(replace(replace(replace(replace(replace(
    regexp_replace(s, '[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]', '', 'g'),
    '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&apos;'),
    chr(9), '&#9;'), chr(10), '&#10;'), chr(13), '&#13;')
"""


class Attribute(NamedTuple):
    """A node or edge attribute: its name, GEXF and GraphML types, and its SQL value."""

    name: str
    gexf: str
    graphml: str
    sql: str


NODE_ATTRIBUTES = (
    Attribute("gender", "integer", "int", "gender"),
    Attribute("popularity", "double", "double", "popularity"),
    Attribute("known_for_department", "string", "string", "network_xml(known_for_department)"),
    Attribute("movies", "integer", "int", "movies"),
    Attribute("degree", "integer", "int", "degree"),
    Attribute("community", "integer", "int", "community"),
)
MOVIE_IDS = Attribute("movie_ids", "string", "string", "array_to_string(movie_ids, ';')")


def edge_attributes(tables: GraphTables) -> tuple[Attribute, ...]:
    """The edges' attributes besides the weight (GraphML adds the weight as a key)."""
    years = (
        Attribute("first_year", "integer", "int", "first_year"),
        Attribute("last_year", "integer", "int", "last_year"),
    )
    return (*years, MOVIE_IDS) if tables.movie_ids else years


def write_gexf(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """The graph as GEXF 1.3: undirected, labels are names, weights are shared movies."""
    edge_attrs = edge_attributes(tables)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gexf xmlns="http://gexf.net/1.3" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n'
        "<meta><creator>tmdb-collector</creator>"
        f"<description>{_describe(tables)}</description></meta>\n"
        '<graph defaultedgetype="undirected" mode="static">\n'
        f"{_gexf_declarations('node', NODE_ATTRIBUTES)}{_gexf_declarations('edge', edge_attrs)}"
    )
    node = (
        "'<node id=\"' || id || '\" label=\"' || network_xml(coalesce(name, id::VARCHAR)) "
        f"|| '\">' || {_gexf_values(NODE_ATTRIBUTES)} || '</node>' || chr(10)"
    )
    edge = (
        "'<edge source=\"' || source || '\" target=\"' || target || '\" weight=\"' || weight "
        f"|| '\">' || {_gexf_values(edge_attrs)} || '</edge>' || chr(10)"
    )
    with path.open("wb") as sink:
        sink.write(head.encode())
        sink.write(b"<nodes>\n")
        _stream(con, f"SELECT {node} FROM {NODES} ORDER BY id", sink)
        sink.write(b"</nodes>\n<edges>\n")
        _stream(con, f"SELECT {edge} FROM {EDGES}", sink)
        sink.write(b"</edges>\n</graph>\n</gexf>\n")


def _gexf_declarations(kind: str, attributes: tuple[Attribute, ...]) -> str:
    lines = [f'<attributes class="{kind}" mode="static">']
    for number, a in enumerate(attributes):
        lines.append(f'<attribute id="{number}" title="{a.name}" type="{a.gexf}"/>')
    return "\n".join([*lines, "</attributes>\n"])


def _gexf_values(attributes: tuple[Attribute, ...]) -> str:
    """SQL for an element's <attvalues>: one <attvalue> per non-NULL value, and nothing at all
    when every value is NULL (an empty <attvalues> is not valid GEXF)."""
    values = ", ".join(
        f"coalesce('<attvalue for=\"{number}\" value=\"' || ({a.sql})::VARCHAR || '\"/>', '')"
        for number, a in enumerate(attributes)
    )
    return f"coalesce('<attvalues>' || nullif(concat({values}), '') || '</attvalues>', '')"


def write_graphml(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """The graph as GraphML: undirected, every attribute declared with its type."""
    node_attrs = (Attribute("name", "string", "string", "network_xml(name)"), *NODE_ATTRIBUTES)
    weight = Attribute("weight", "integer", "int", "weight")
    edge_attrs = (weight, *edge_attributes(tables))
    keys = [_graphml_key(f"n{i}", "node", a) for i, a in enumerate(node_attrs)]
    keys += [_graphml_key(f"e{i}", "edge", a) for i, a in enumerate(edge_attrs)]
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
        f"<desc>{_describe(tables)}</desc>\n" + "".join(keys) + '<graph edgedefault="undirected">\n'
    )
    node = (
        f"'<node id=\"' || id || '\">' || {_graphml_data('n', node_attrs)} || '</node>' || chr(10)"
    )
    edge = (
        "'<edge source=\"' || source || '\" target=\"' || target || '\">' || "
        f"{_graphml_data('e', edge_attrs)} || '</edge>' || chr(10)"
    )
    with path.open("wb") as sink:
        sink.write(head.encode())
        _stream(con, f"SELECT {node} FROM {NODES} ORDER BY id", sink)
        _stream(con, f"SELECT {edge} FROM {EDGES}", sink)
        sink.write(b"</graph>\n</graphml>\n")


def _graphml_key(key: str, kind: str, a: Attribute) -> str:
    return f'<key id="{key}" for="{kind}" attr.name="{a.name}" attr.type="{a.graphml}"/>\n'


def _graphml_data(prefix: str, attributes: tuple[Attribute, ...]) -> str:
    """SQL for an element's <data> children: one per non-NULL value."""
    values = ", ".join(
        f"coalesce('<data key=\"{prefix}{i}\">' || ({a.sql})::VARCHAR || '</data>', '')"
        for i, a in enumerate(attributes)
    )
    return f"concat({values})"


def _describe(tables: GraphTables) -> str:
    meaning = "acted in" if tables.relationship == "APPEARED_WITH" else "were credited on"
    return f"People linked when they {meaning} the same movie; weight: movies shared (TMDb)"


def _stream(con: duckdb.DuckDBPyConnection, query: str, sink: BinaryIO) -> None:
    """Write the one text column of `query`'s rows, batch by batch, as they are."""
    con.execute(ESCAPE_MACRO)
    for batch in con.sql(query).to_arrow_reader(BATCH_ROWS):
        sink.write(text_bytes(batch.column(0)))


def text_bytes(column: pa.Array) -> memoryview:
    """The concatenated UTF-8 bytes of a string column without NULLs, without copying them."""
    if len(column) == 0:
        return memoryview(b"")
    code: Literal["i", "q"] = "i"
    if column.type == pa.large_string():
        code = "q"
    elif column.type != pa.string():  # a string view, say: one copy into a plain layout
        column, code = column.cast(pa.large_string()), "q"
    _, offsets, data = column.buffers()
    ends = memoryview(offsets).cast(code)
    return memoryview(data)[ends[column.offset] : ends[column.offset + len(column)]]
