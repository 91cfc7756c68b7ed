"""The report: one self-contained HTML page about a collection, built from its store.

From a notebook:

    from tmdb_collector.crawl.store import Store
    from tmdb_collector.network import NetworkOptions
    from tmdb_collector.report import build_report

    summary = build_report(Store.open("tmdb-data"), Path("report.html"),
                           NetworkOptions(top_billed=10, min_shared=2))

The page has three parts: the collection (ids per kind and state, failures by cause, export
day, sync watermark, the runs), the catalog (movies per year, budget against revenue, genres by
decade, the people with the most movies and co-stars) and the network (a cut of the co-credit
graph drawn with WebGL, coloured by community, searchable, with a side panel per person). Every
script and style is inlined, so it opens from disk and fetches nothing.
"""

from tmdb_collector.report.build import ReportSummary, build_report, check_out, check_store
from tmdb_collector.report.cut import DrawLimits

__all__ = ["DrawLimits", "ReportSummary", "build_report", "check_out", "check_store"]
