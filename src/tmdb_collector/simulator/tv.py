"""TV documents: `/tv/{id}` with its appends (`season/N` among them) and `/tv/{id}/season/{n}`.

Field names, order, types and nullability follow the real responses in `tests/data/tmdb/`
(tv_1396_*, tv_96677_aggregate_credits, tv_1668_*, tv_242101_*). What a day's change touches
(popularity, votes, tagline, the episodes' votes) comes from the series' *version*, so a change
shows in the series and in its seasons, as the change list says.

TMDb's own quirks, played when the fault plan has them (`quirks` profile): a season listed by
its series that answers 404 (and is left out of `season/N` appends), and a series whose
`number_of_seasons` disagrees with its `seasons` list.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.attributes import (
    SALT_TV,
    SALT_TV_V,
    Doc,
    hashed_path,
    image_path,
    movie_title,
    popularity_of,
)
from tmdb_collector.simulator.catalog import Catalog, mix
from tmdb_collector.simulator.entities import (
    KEYWORD_FIRST_ID,
    company,
    company_count,
    keyword_count,
    keyword_name,
    network,
    network_count,
)
from tmdb_collector.simulator.faults import FaultPlan
from tmdb_collector.simulator.movies import PRODUCTION_COUNTRIES, SPOKEN_LANGUAGES
from tmdb_collector.simulator.tv_credits import (
    aggregate_credits,
    created_by,
    crew_rows,
    episode_people,
    guest_rows,
    series_credits,
    tv_credit_id,
)
from tmdb_collector.simulator.tv_shape import (
    Season,
    Shape,
    air_ordinal,
    episode_id,
    has_aired,
    season_id,
    tv_shape,
)

TV_APPENDS = ("aggregate_credits", "credits", "keywords", "external_ids", "content_ratings")
"""The appends `/tv/{id}` serves, besides `season/N`."""
SEASON_PREFIX = "season/"
TITLE_OFFSET = 1 << 40
"""Series names are `movie_title` of indices from -TITLE_OFFSET down: apart from movies'."""
RATINGS = ("TV-Y", "TV-G", "TV-PG", "TV-14", "TV-MA")
GENRE_DOCS = [{"id": gid, "name": name} for gid, name in vocab.TV_GENRES]


def tv_name(seed: int, index: int) -> str:
    """The series' name (the same in its document and in the export)."""
    return movie_title(seed, -TITLE_OFFSET - index)


def tv_popularity(catalog: Catalog, index: int, day: int) -> float:
    """The series' popularity on `day` (the same in its document and in that day's export)."""
    return popularity_of(mix(catalog.seed, SALT_TV_V, index, catalog.tv.version(index, day)))


def season_numbers(catalog: Catalog, index: int) -> list[int]:
    """The season numbers the series lists (0: specials), in its `seasons` order."""
    return [s.number for s in tv_shape(catalog.seed, index).seasons]


def served_seasons(catalog: Catalog, index: int, plan: FaultPlan | None = None) -> list[int]:
    """The season numbers `/tv/{id}/season/{n}` answers for (all it lists, but the ones the
    `quirks` profile's `missing_season` takes away)."""
    tv_id = catalog.tv.ids.id_of(index)
    return [n for n in season_numbers(catalog, index) if not missing_season(plan, tv_id, n)]


def missing_season(plan: FaultPlan | None, tv_id: int, number: int) -> bool:
    """Whether the `quirks` profile makes this listed season answer 404."""
    return plan is not None and plan.quirk("missing_season", tv_id, number)


def tv_doc(
    catalog: Catalog, index: int, appends: tuple[str, ...], plan: FaultPlan | None = None
) -> Doc:
    """`/tv/{id}` with the appends asked for, as served on the catalog's current day."""
    seed = catalog.seed
    shape = tv_shape(seed, index)
    tv_id = catalog.tv.ids.id_of(index)
    version = catalog.tv.version(index, catalog.day)
    h = mix(seed, SALT_TV, index)
    v = mix(seed, SALT_TV_V, index, version)
    language = (h >> 8) % len(vocab.LANGUAGES) if h & 0xFF >= 141 else 0
    country = (h >> 16) % len(vocab.COUNTRIES) if (h >> 12) & 0xF >= 6 else 0
    regular = shape.regular
    last_season = regular[-1]
    last_aired = shape.aired  # at least 1: every series has aired
    first_air = date.fromordinal(regular[0].first).isoformat()
    last_ep = _summary(catalog, index, shape, last_season, last_aired, version)
    next_ep = (
        _summary(catalog, index, shape, last_season, last_aired + 1, version)
        if shape.returning
        else None
    )
    genres = sorted({(h >> (20 + 4 * k)) % len(GENRE_DOCS) for k in range(1 + (h >> 40) % 3)})
    runtime = _runtime(shape, mix(seed, SALT_TV, index, 1))
    number_of_seasons = len(regular)
    if plan is not None and plan.quirk("season_count_mismatch", tv_id):
        number_of_seasons += 1
    doc: Doc = {
        "adult": False,
        "backdrop_path": image_path(seed, SALT_TV, index, 1) if h >> 44 & 3 else None,
        "created_by": created_by(catalog, index),
        "episode_run_time": [runtime] if runtime and h >> 46 & 1 else [],
        "first_air_date": first_air,
        "genres": [GENRE_DOCS[g] for g in genres],
        "homepage": f"https://example.org/tv/{index}" if h >> 47 & 1 else "",
        "id": tv_id,
        "in_production": shape.returning,
        "languages": [vocab.LANGUAGES[language][0]],
        "last_air_date": last_ep["air_date"],
        "last_episode_to_air": last_ep,
        "name": tv_name(seed, index),
        "next_episode_to_air": next_ep,
        "networks": _networks(catalog, index),
        "number_of_episodes": sum(s.episodes for s in regular),
        "number_of_seasons": number_of_seasons,
        "origin_country": [vocab.COUNTRIES[country][0]],
        "original_language": vocab.LANGUAGES[language][0],
        "original_name": tv_name(seed, index),
        "overview": f"A series about {tv_name(seed, index).lower()}." if h >> 48 & 7 else "",
        "popularity": popularity_of(v),
        "poster_path": image_path(seed, SALT_TV, index, 2) if h >> 51 & 7 else None,
        "production_companies": [
            company(seed, 1 + (mix(seed, SALT_TV, index, 2, k) % company_count(catalog)))
            for k in range((h >> 54) % 3)
        ],
        "production_countries": [PRODUCTION_COUNTRIES[country]],
        "seasons": [_season_entry(seed, index, shape, s, version) for s in shape.seasons],
        "softcore": False,
        "spoken_languages": [SPOKEN_LANGUAGES[language]],
        "status": shape.status,
        "tagline": "" if v >> 40 & 3 else f"{tv_name(seed, index)} returns.",
        "type": shape.type,
        "vote_average": round(3 + 6 * ((v >> 8) & 0xFFFF) / 65536.0, 3) if v & 0xF else 0.0,
        "vote_count": (v >> 24) % 5000 if v & 0xF else 0,
    }
    for item in dict.fromkeys(appends):
        if item in TV_APPENDS:
            doc[item] = _append(catalog, index, item, doc)
        elif item.startswith(SEASON_PREFIX) and item[len(SEASON_PREFIX) :].isdigit():
            number = int(item[len(SEASON_PREFIX) :])
            if not missing_season(plan, tv_id, number):
                season = season_doc(catalog, index, number)
                if season is not None:  # a season that does not exist is left out
                    doc[item] = season
    return doc


def season_doc(catalog: Catalog, index: int, number: int) -> Doc | None:
    """`/tv/{id}/season/{n}` (None: the series has no such season), quirks aside."""
    shape = tv_shape(catalog.seed, index)
    found = [s for s in shape.seasons if s.number == number]
    if not found:
        return None
    season = found[0]
    seed = catalog.seed
    version = catalog.tv.version(index, catalog.day)
    entry = _season_entry(seed, index, shape, season, version)
    tv_id = catalog.tv.ids.id_of(index)
    episodes = []
    for e in range(1, season.episodes + 1):
        row = _episode(catalog, index, shape, season, e, version, tv_id)
        found_people = episode_people(catalog, index, number, e)
        row["crew"] = crew_rows(catalog, found_people)
        row["guest_stars"] = guest_rows(catalog, found_people)
        episodes.append(row)
    return {
        "_id": tv_credit_id(seed, index, 7, number),
        "air_date": entry["air_date"],
        "episodes": episodes,
        "name": entry["name"],
        "networks": _networks(catalog, index),
        "overview": entry["overview"],
        "id": entry["id"],
        "poster_path": entry["poster_path"],
        "season_number": number,
        "vote_average": entry["vote_average"],
    }


def _season_entry(seed: int, index: int, shape: Shape, season: Season, version: int) -> Doc:
    """A season as its series lists it."""
    first = air_ordinal(shape, season, 1)
    x = mix(seed, SALT_TV_V, index, version, season.number)
    return {
        "air_date": date.fromordinal(first).isoformat() if first else None,
        "episode_count": season.episodes,
        "id": season_id(index, season.number),
        "name": f"Season {season.number}" if season.number else "Specials",
        "overview": "" if x & 3 else f"Season {season.number} of {tv_name(seed, index)}.",
        "poster_path": hashed_path(x) if x >> 2 & 7 else None,
        "season_number": season.number,
        "vote_average": round(5 + 5 * ((x >> 8) & 0xFFFF) / 65536.0, 1) if season.number else 0.0,
    }


def _episode(
    catalog: Catalog, index: int, shape: Shape, season: Season, e: int, version: int, tv_id: int
) -> Doc:
    """An episode as its season lists it (without its credits)."""
    seed = catalog.seed
    number = season.number
    x = mix(seed, SALT_TV, index, 4, number, e)
    v = mix(seed, SALT_TV_V, index, version, number, e)
    aired = has_aired(shape, season, e)
    day = air_ordinal(shape, season, e)
    ended_season = aired and e == season.episodes
    return {
        "air_date": date.fromordinal(day).isoformat() if day else None,
        "episode_number": e,
        "episode_type": "finale" if ended_season else "standard",
        "id": episode_id(index, number, e),
        "name": f"Episode {e}" if shape.kind == "daily" else movie_title(seed, -(x >> 20) - 1),
        "overview": "" if not aired or x & 3 == 0 else f"Episode {e} of season {number}.",
        "production_code": "" if x >> 2 & 7 else f"{number}{e:02d}",
        "runtime": _runtime(shape, x),
        "season_number": number,
        "show_id": tv_id,
        "still_path": hashed_path(x) if aired and x >> 5 & 7 else None,
        "vote_average": round(5 + 5 * ((v >> 8) & 0xFFFF) / 65536.0, 3) if aired and v & 3 else 0.0,
        "vote_count": (v >> 24) % 300 if aired and v & 3 else 0,
    }


SUMMARY_KEYS = (
    "id",
    "name",
    "overview",
    "vote_average",
    "vote_count",
    "air_date",
    "episode_number",
    "episode_type",
    "production_code",
    "runtime",
    "season_number",
    "show_id",
    "still_path",
)
"""An episode's fields as `last_episode_to_air` and `next_episode_to_air` order them."""


def _summary(
    catalog: Catalog, index: int, shape: Shape, season: Season, e: int, version: int
) -> Doc:
    row = _episode(catalog, index, shape, season, e, version, catalog.tv.ids.id_of(index))
    return {key: row[key] for key in SUMMARY_KEYS}


def _runtime(shape: Shape, x: int) -> int | None:
    """Minutes, or None (8% of episodes: TMDb leaves many runtimes empty)."""
    if (x >> 9) % 25 < 2:
        return None
    if shape.kind == "daily":
        return 20 + (x >> 14) % 26
    return 22 + (x >> 14) % 39


def _networks(catalog: Catalog, index: int) -> list[Doc]:
    x = mix(catalog.seed, SALT_TV, index, 5)
    count = network_count(catalog)
    ids = dict.fromkeys(1 + (x >> (20 * k)) % count for k in range(1 + (x & 0xF == 0)))
    return [network(catalog.seed, nid) for nid in ids]


def _append(catalog: Catalog, index: int, item: str, doc: Doc) -> Any:
    seed = catalog.seed
    if item == "aggregate_credits":
        return aggregate_credits(catalog, index)
    if item == "credits":
        return series_credits(catalog, index)
    if item == "keywords":
        x = mix(seed, SALT_TV, index, 6)
        count = keyword_count(catalog)
        ids = sorted({KEYWORD_FIRST_ID + (x >> (12 * k)) % count for k in range(x % 5)})
        return {"results": [{"id": k, "name": keyword_name(seed, k)} for k in ids]}
    if item == "external_ids":
        x = mix(seed, SALT_TV, index, 7)
        known = x & 3 != 0
        return {
            "imdb_id": f"tt{x % 10_000_000:07d}" if known else None,
            "freebase_mid": None,
            "freebase_id": None,
            "tvdb_id": (x >> 24) % 500_000 if known else None,
            "tvrage_id": None,
            "wikidata_id": f"Q{(x >> 8) % 100_000_000}" if known and x & 4 else None,
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        }
    x = mix(seed, SALT_TV, index, 8)  # content_ratings
    countries = doc["origin_country"]
    return {
        "results": [
            {"descriptors": [], "iso_3166_1": code, "rating": RATINGS[x % len(RATINGS)]}
            for code in (countries if x & 7 else [])
        ]
    }
