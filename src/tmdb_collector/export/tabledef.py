"""What a table of the export is: its columns, their meanings, and how each is cut from the
parsed documents (`schema` and its companions declare the tables themselves)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    about: str
    expr: str  # over `d`, the parsed document (or the staging row, for derived tables)


@dataclass(frozen=True)
class Table:
    name: str
    about: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    source: str  # the kind of documents a chunk of rows comes from ("movie", "tv", ...); "derived"
    rows: str = "parsed"  # FROM clause, for one-to-many tables
    doc_id: str | None = None  # the column naming the document each row comes from; None:
    # an item table, whose rows many documents share (rebuilt by key from its staging tables)

    def create_sql(self) -> str:
        cols = [f'"{c.name}" {c.type}' for c in self.columns]
        if self.key:
            cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in self.key) + ")")
        return f'CREATE TABLE "{self.name}" (' + ", ".join(cols) + ")"


def column(name: str, type_: str, about: str, expr: str | None = None) -> Column:
    return Column(name, type_, about, expr or f"d.{name}")


NAMED = {"id": "BIGINT", "name": "VARCHAR"}
PERSON_CREDIT = {
    "id": "BIGINT",
    "credit_id": "VARCHAR",
    "name": "VARCHAR",
    "original_name": "VARCHAR",
    "gender": "TINYINT",
    "known_for_department": "VARCHAR",
    "popularity": "DOUBLE",
    "adult": "BOOLEAN",
    "profile_path": "VARCHAR",
}


def date_of(field: str) -> str:
    # TMDb sends "" for an unknown date; a malformed one becomes NULL rather than an error.
    return f"TRY_CAST(NULLIF({field}, '') AS DATE)"


FETCHED = column("fetched_at", "TIMESTAMP", "When the collector fetched this document (UTC).",
             "fetched_at")  # fmt: skip


def insert_sql(table: Table) -> str:
    """The statement that adds a chunk's rows (or, for a derived table, all its rows)."""
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    exprs = ", ".join(c.expr for c in table.columns)
    return f'INSERT INTO "{table.name}" ({names}) SELECT {exprs} FROM {table.rows}'
