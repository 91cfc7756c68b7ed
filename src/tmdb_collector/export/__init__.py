"""Derived outputs: normalized tables, Parquet, DuckDB and JSONL, rebuilt from the store."""
