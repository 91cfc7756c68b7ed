"""Companies, networks and keywords: how many there are, and their summaries.

Their ids are dense (1 to the count, keywords from `KEYWORD_FIRST_ID`) and the counts follow
the catalog's size, so a small test catalog has a few hundred of each, not TMDb's 200,000.
Each summary is a pure function of (seed, id): the same in every document that embeds it.
"""

from __future__ import annotations

from functools import lru_cache

from tmdb_collector import config
from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.attributes import (
    SALT_COMPANY,
    SALT_KEYWORD,
    SALT_NETWORK,
    Doc,
    hashed_path,
)
from tmdb_collector.simulator.catalog import SALT_GHOST, Catalog, mix, unit

COMPANIES_PER_MOVIE = 0.15
"""Production companies per movie (TMDb, 2026: about 190,000 for 1.24 million movies)."""
NETWORKS_PER_SERIES = 0.03
"""TV networks per series (TMDb, 2026: about 7,000 for 230,000 series)."""
KEYWORDS_PER_MOVIE = 0.1
"""Keywords per movie (TMDb, 2026: about 130,000 for 1.24 million movies)."""
MIN_COUNT = 20
"""The fewest companies, networks or keywords a catalog has, however small."""
KEYWORD_FIRST_ID = 100
"""The first keyword id; movies' keywords are the first ones (`vocab.KEYWORDS`)."""


def company_count(catalog: Catalog) -> int:
    """Production company ids run from 1 to this."""
    return max(MIN_COUNT, round(catalog.movies.base * COMPANIES_PER_MOVIE))


def network_count(catalog: Catalog) -> int:
    """Network ids run from 1 to this."""
    return max(MIN_COUNT, round(catalog.tv.base * NETWORKS_PER_SERIES))


def keyword_count(catalog: Catalog) -> int:
    """Keyword ids run from `KEYWORD_FIRST_ID` for this many."""
    return max(len(vocab.KEYWORDS), MIN_COUNT, round(catalog.movies.base * KEYWORDS_PER_MOVIE))


def is_ghost(seed: int, salt: int, id_: int) -> bool:
    """A company, network or keyword listed in the exports that answers 404 (merged away)."""
    return unit(seed, SALT_GHOST, salt, id_) < config.SIM_GHOST_RATE


def _summary(id_: int, x: int, words: tuple[list[str], list[str]], logo: bool, home: bool) -> Doc:
    """A company's or network's summary: a two-word name, perhaps a logo and a country."""
    return {
        "id": id_,
        "logo_path": hashed_path(x, ".png") if logo else None,
        "name": f"{words[0][(x >> 8) % len(words[0])]} {words[1][(x >> 16) % len(words[1])]}",
        "origin_country": vocab.COUNTRIES[(x >> 24) % len(vocab.COUNTRIES)][0] if home else "",
    }


@lru_cache(maxsize=1 << 16)
def company(seed: int, cid: int) -> Doc:
    """A production company as movies and series embed it."""
    x = mix(seed, SALT_COMPANY, cid)
    return _summary(cid, x, (vocab.LAST_NAMES, vocab.COMPANY_WORDS), x & 1 == 1, x % 5 != 0)


def company_doc(catalog: Catalog, cid: int) -> Doc | None:
    """`/company/{id}`, or None (404)."""
    if not 1 <= cid <= company_count(catalog) or is_ghost(catalog.seed, SALT_COMPANY, cid):
        return None
    summary = company(catalog.seed, cid)
    x = mix(catalog.seed, SALT_COMPANY, cid, 1)
    parent = 1 + (x >> 8) % company_count(catalog) if x % 10 == 0 else None
    parent_doc = None
    if parent is not None and parent != cid:
        p = company(catalog.seed, parent)
        parent_doc = {"name": p["name"], "id": parent, "logo_path": p["logo_path"]}
    return {
        "description": "" if x & 0x300 else f"{summary['name']} makes films.",
        "headquarters": vocab.PLACES[(x >> 12) % len(vocab.PLACES)] if x & 0x400 else "",
        "homepage": f"https://example.org/company/{cid}" if x & 0x800 else "",
        "id": cid,
        "logo_path": summary["logo_path"],
        "name": summary["name"],
        "origin_country": summary["origin_country"],
        "parent_company": parent_doc,
    }


@lru_cache(maxsize=1 << 12)
def network(seed: int, nid: int) -> Doc:
    """A TV network as series and seasons embed it."""
    x = mix(seed, SALT_NETWORK, nid)
    return _summary(nid, x, (vocab.TITLE_WORDS, vocab.NETWORK_WORDS), x % 10 < 8, x % 7 != 0)


def network_doc(catalog: Catalog, nid: int) -> Doc | None:
    """`/network/{id}`, or None (404)."""
    if not 1 <= nid <= network_count(catalog) or is_ghost(catalog.seed, SALT_NETWORK, nid):
        return None
    summary = network(catalog.seed, nid)
    x = mix(catalog.seed, SALT_NETWORK, nid, 1)
    return {
        "headquarters": vocab.PLACES[(x >> 12) % len(vocab.PLACES)] if x & 1 else "",
        "homepage": f"https://example.org/network/{nid}" if x & 2 else "",
        "id": nid,
        "logo_path": summary["logo_path"],
        "name": summary["name"],
        "origin_country": summary["origin_country"],
    }


def keyword_name(seed: int, kid: int) -> str:
    """The keyword's name: movies' vocabulary first, then pairs of words."""
    k = kid - KEYWORD_FIRST_ID
    if k < len(vocab.KEYWORDS):
        return vocab.KEYWORDS[k]
    x = mix(seed, SALT_KEYWORD, kid)
    words = vocab.TITLE_WORDS
    return f"{words[x % len(words)]} {words[(x >> 16) % len(words)]}".lower()


def keyword_doc(catalog: Catalog, kid: int) -> Doc | None:
    """`/keyword/{id}`, or None (404)."""
    if not 0 <= kid - KEYWORD_FIRST_ID < keyword_count(catalog):
        return None
    if is_ghost(catalog.seed, SALT_KEYWORD, kid):
        return None
    return {"id": kid, "name": keyword_name(catalog.seed, kid)}
