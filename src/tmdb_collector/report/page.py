"""The page: a template, the vendored libraries and the report's own script and style, all
inlined, with the data as one JSON script element. Opened from disk, it fetches nothing.

The libraries: minified builds taken unchanged from their npm packages (`npm pack
NAME@VERSION`, the file copied from the package's `build/` or `dist/`), each licence beside
its file in `vendor/` (`third-party.LICENSE`: the code those builds bundle from other
packages, d3's modules first), all of them quoted in the page's footer:

| file               | package              | licence      |
|--------------------|----------------------|--------------|
| vega.min.js        | vega 6.4.0           | BSD-3-Clause |
| vega-lite.min.js   | vega-lite 6.5.0      | BSD-3-Clause |
| vega-embed.min.js  | vega-embed 7.3.0     | BSD-3-Clause |
| graphology.min.js  | graphology 0.26.0    | MIT          |
| sigma.min.js       | sigma 3.0.3          | MIT          |
"""

from __future__ import annotations

import html
import re
from importlib import resources
from typing import Any

import orjson

LIBRARIES = (
    ("vega", "6.4.0", "vega.min.js"),
    ("vega-lite", "6.5.0", "vega-lite.min.js"),
    ("vega-embed", "7.3.0", "vega-embed.min.js"),
    ("graphology", "0.26.0", "graphology.min.js"),
    ("sigma", "3.0.3", "sigma.min.js"),
)
"""(package, version, file) in load order: vega-embed needs vega and vega-lite, sigma needs a
graphology graph."""

DATA_ID = "report-data"
"""The id of the script element holding the page's data as JSON (tests read it too)."""

_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_SLOT = re.compile(r"<!--slot:([a-z]+)-->")


def render(data: dict[str, Any]) -> str:
    """The whole page for `data` (collection, catalog, network, generated, version)."""
    slots = {
        "style": _own("report.css"),
        "data": json_for_html(data),
        "libraries": "\n".join(
            f"<script>/* {name} {version} */\n{_vendor(file)}</script>"
            for name, version, file in LIBRARIES
        ),
        "app": _own("report.js"),
        "licences": "\n".join(
            f"<h4>{name}</h4><pre>{html.escape(_vendor(licence))}</pre>"
            for name, licence in (
                *((f"{name} {version}", _licence(file)) for name, version, file in LIBRARIES),
                ("Bundled in those builds", "third-party.LICENSE"),
            )
        ),
    }
    # A function as the replacement: the slots' text is inserted as it is, never parsed.
    return _SLOT.sub(lambda match: slots[match.group(1)], _own("page.html"))


def json_for_html(data: Any) -> str:
    """JSON that can sit inside a <script> element: every `<` written `\\u003c` (the same
    string to a JSON parser), so no value can end the element or open a comment in it. Keys
    may be StrEnums (a State): written as their strings."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode().replace("<", "\\u003c")


def _own(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _vendor(name: str) -> str:
    text = resources.files(__package__).joinpath("vendor", name).read_text(encoding="utf-8")
    # A source map is fetched only by developer tools, but the page promises no fetch at all.
    return _SOURCE_MAP.sub("", text)


def _licence(file: str) -> str:
    return file.removesuffix(".min.js") + ".LICENSE"
