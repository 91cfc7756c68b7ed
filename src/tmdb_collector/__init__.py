"""tmdb-collector: the full TMDb dataset, collected, kept current, and turned into tables."""

__version__ = "0.1.0"
