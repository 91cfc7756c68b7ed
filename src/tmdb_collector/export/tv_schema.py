"""The TV tables: series, their seasons and episodes, who is in them, and their genres and
networks, cut from the stored series documents (each holds its seasons as `season/N` items).

A chunk of series is parsed twice: the series fields into `parsed(id, fetched_at, d)`, as for
movies, and each `season/N` item, split off in Python (`season_parts`), into
`seasons(series_id, number, s)` (SEASONS_SQL), which the season, episode, guest-star and
episode-crew tables read.
"""

from __future__ import annotations

import orjson

from tmdb_collector.client.seasons import stored_seasons
from tmdb_collector.export.tabledef import (
    FETCHED,
    NAMED,
    PERSON_CREDIT,
    Column,
    Table,
    date_of,
)
from tmdb_collector.export.tabledef import column as c

_EPISODE_BRIEF = {
    "id": "BIGINT", "air_date": "VARCHAR", "season_number": "INTEGER",
    "episode_number": "INTEGER", "name": "VARCHAR",
}  # fmt: skip

TV_STRUCTURE = orjson.dumps(
    {
        **{k: "VARCHAR" for k in (
            "name", "original_name", "original_language", "overview", "tagline", "status",
            "type", "first_air_date", "last_air_date", "homepage", "poster_path",
            "backdrop_path",
        )},
        "id": "BIGINT", "in_production": "BOOLEAN", "number_of_seasons": "INTEGER",
        "number_of_episodes": "INTEGER", "popularity": "DOUBLE", "vote_average": "DOUBLE",
        "vote_count": "INTEGER", "adult": "BOOLEAN", "origin_country": ["VARCHAR"],
        "languages": ["VARCHAR"], "episode_run_time": ["INTEGER"],
        "seasons": [{"season_number": "INTEGER"}],
        "genres": [NAMED],
        "networks": [{**NAMED, "logo_path": "VARCHAR", "origin_country": "VARCHAR"}],
        "last_episode_to_air": _EPISODE_BRIEF, "next_episode_to_air": _EPISODE_BRIEF,
        "keywords": {"results": [NAMED]},
        "external_ids": {k: "VARCHAR" for k in ("imdb_id", "tvdb_id", "wikidata_id")},
        "aggregate_credits": {
            "cast": [{**PERSON_CREDIT, "order": "INTEGER", "total_episode_count": "INTEGER",
                      "roles": [{"credit_id": "VARCHAR", "character": "VARCHAR",
                                 "episode_count": "INTEGER"}]}],
            "crew": [{**PERSON_CREDIT, "department": "VARCHAR", "total_episode_count": "INTEGER",
                      "jobs": [{"credit_id": "VARCHAR", "job": "VARCHAR",
                                "episode_count": "INTEGER"}]}],
        },
        "_missing_seasons": ["INTEGER"],
    }
).decode()  # fmt: skip

SEASON_STRUCTURE = orjson.dumps(
    {
        "id": "BIGINT", "name": "VARCHAR", "overview": "VARCHAR", "air_date": "VARCHAR",
        "poster_path": "VARCHAR", "vote_average": "DOUBLE", "season_number": "INTEGER",
        "episodes": [{
            "id": "BIGINT", "name": "VARCHAR", "overview": "VARCHAR", "air_date": "VARCHAR",
            "episode_number": "INTEGER", "episode_type": "VARCHAR", "runtime": "INTEGER",
            "production_code": "VARCHAR", "still_path": "VARCHAR", "vote_average": "DOUBLE",
            "vote_count": "INTEGER",
            "guest_stars": [{**PERSON_CREDIT, "character": "VARCHAR", "order": "INTEGER"}],
            "crew": [{**PERSON_CREDIT, "department": "VARCHAR", "job": "VARCHAR"}],
        }],
    }
).decode()  # fmt: skip

SEASONS_SQL = (
    "CREATE OR REPLACE TEMP TABLE seasons AS SELECT series_id, number, "
    f"json_transform(doc, '{SEASON_STRUCTURE}') AS s FROM parts"
)
"""The seasons of a chunk's series, parsed: one row per stored season, from `parts` (see
`season_parts`)."""


def season_parts(ids: list[int], docs: list[bytes]) -> tuple[list[int], list[int], list[bytes]]:
    """Each stored season of the series `docs` (of `ids`): its series, its number (from its
    `season/N` key, so unique within the series) and its JSON."""
    series, numbers, found = [], [], []
    for id_, doc in zip(ids, docs, strict=True):
        for number, season in stored_seasons(orjson.loads(doc)).items():
            series.append(id_)
            numbers.append(number)
            found.append(orjson.dumps(season))
    return series, numbers, found


TV_SERIES = Table(
    "tv_series",
    "One row per TV series the store holds (status ok): crawled with `crawl tv`.",
    ("id",),
    (
        c("id", "BIGINT NOT NULL", "TMDb series id."),
        c("name", "VARCHAR", "Name in English (TMDb's default language)."),
        c("original_name", "VARCHAR", "Name in the original language."),
        c("original_language", "VARCHAR", "ISO 639-1 code of the original language."),
        c("overview", "VARCHAR", "Summary ('' when none)."),
        c("tagline", "VARCHAR", "Tagline ('' when none)."),
        c("status", "VARCHAR", "Returning Series, Ended, Canceled, In Production, …"),
        c("type", "VARCHAR", "Scripted, Reality, Documentary, News, Talk Show, Miniseries, …"),
        c("first_air_date", "DATE", "First episode's air date; NULL when unknown.",
          date_of("d.first_air_date")),
        c("last_air_date", "DATE", "Latest aired episode's date, as TMDb states it.",
          date_of("d.last_air_date")),
        c("in_production", "BOOLEAN", "Still being made."),
        c("number_of_seasons", "INTEGER", "Regular seasons, as TMDb counts them (may disagree "
          "with the seasons stored)."),
        c("number_of_episodes", "INTEGER", "Episodes, as TMDb counts them."),
        c("seasons_listed", "INTEGER", "Seasons in the series' own `seasons` list (0 = specials "
          "included).", "len(d.seasons)"),
        c("missing_seasons", "INTEGER[]", "Season numbers TMDb answered 404 for while the "
          "series exists; NULL when none.", 'd."_missing_seasons"'),
        c("episode_run_time", "INTEGER[]", "Typical episode lengths, minutes."),
        c("origin_country", "VARCHAR[]", "ISO 3166-1 codes of the countries of origin."),
        c("languages", "VARCHAR[]", "ISO 639-1 codes of its languages."),
        c("last_episode_id", "BIGINT", "The latest aired episode (tv_episodes.id).",
          "d.last_episode_to_air.id"),
        c("next_episode_id", "BIGINT", "The next episode to air; NULL when none is known.",
          "d.next_episode_to_air.id"),
        c("next_episode_air_date", "DATE", "When the next episode airs; NULL when none.",
          date_of("d.next_episode_to_air.air_date")),
        c("popularity", "DOUBLE", "TMDb popularity score on the day fetched."),
        c("vote_average", "DOUBLE", "Mean user rating, 0-10."),
        c("vote_count", "INTEGER", "Number of user ratings."),
        c("adult", "BOOLEAN", "Adult content flag."),
        c("homepage", "VARCHAR", "Official site ('' when none)."),
        c("poster_path", "VARCHAR", "Poster image path."),
        c("backdrop_path", "VARCHAR", "Backdrop image path."),
        c("imdb_id", "VARCHAR", "IMDb id (from the external_ids append), or NULL.",
          "d.external_ids.imdb_id"),
        c("tvdb_id", "VARCHAR", "TheTVDB id, or NULL.", "d.external_ids.tvdb_id"),
        c("wikidata_id", "VARCHAR", "Wikidata item, or NULL.", "d.external_ids.wikidata_id"),
        FETCHED,
    ),
    "tv",
    doc_id="id",
)  # fmt: skip

TV_SEASONS = Table(
    "tv_seasons",
    "One row per stored season of a series (season 0 holds the specials).",
    ("series_id", "season_number"),
    (
        c("series_id", "BIGINT NOT NULL", "The series (tv_series.id).", "series_id"),
        c("season_number", "INTEGER NOT NULL", "Season number, 0 for specials.", "number"),
        c("id", "BIGINT", "TMDb season id (not the number).", "s.id"),
        c("name", "VARCHAR", "Season name.", "s.name"),
        c("overview", "VARCHAR", "Summary ('' when none).", "s.overview"),
        c("air_date", "DATE", "First air date; NULL when unknown.", date_of("s.air_date")),
        c("episode_count", "INTEGER", "Episodes stored for the season.", "len(s.episodes)"),
        c("vote_average", "DOUBLE", "Mean user rating, 0-10.", "s.vote_average"),
        c("poster_path", "VARCHAR", "Poster image path.", "s.poster_path"),
    ),
    "tv",
    "seasons",
    "series_id",
)  # fmt: skip

_EPISODES = "(SELECT series_id, number, unnest(s.episodes) AS e FROM seasons)"
_EPISODE_KEY = (
    c("series_id", "BIGINT NOT NULL", "The series (tv_series.id).", "series_id"),
    c("season_number", "INTEGER NOT NULL", "The season (tv_seasons.season_number).", "number"),
    c("episode_number", "INTEGER", "Episode number within the season.", "e.episode_number"),
)  # fmt: skip

TV_EPISODES = Table(
    "tv_episodes",
    "One row per episode of a stored season, as its season lists them (no key: TMDb's data "
    "may repeat an episode number).",
    (),
    (
        *_EPISODE_KEY,
        c("id", "BIGINT", "TMDb episode id.", "e.id"),
        c("name", "VARCHAR", "Episode title.", "e.name"),
        c("overview", "VARCHAR", "Summary ('' when none).", "e.overview"),
        c("air_date", "DATE", "Air date; NULL when unknown.", date_of("e.air_date")),
        c("runtime", "INTEGER", "Minutes; NULL when unknown.", "e.runtime"),
        c("episode_type", "VARCHAR", "standard, finale, mid_season, …", "e.episode_type"),
        c("production_code", "VARCHAR", "Production code ('' when none).", "e.production_code"),
        c("vote_average", "DOUBLE", "Mean user rating, 0-10.", "e.vote_average"),
        c("vote_count", "INTEGER", "Number of user ratings.", "e.vote_count"),
        c("still_path", "VARCHAR", "Still image path.", "e.still_path"),
    ),
    "tv",
    _EPISODES,
    "series_id",
)  # fmt: skip


def _person(prefix: str, what: str) -> tuple[Column, ...]:
    return (
        c("person_id", "BIGINT NOT NULL", "The person (people.id; not every person is crawled).",
          f"{prefix}.id"),
        c("name", "VARCHAR", f"The person's name as the {what} gives it.", f"{prefix}.name"),
        c("original_name", "VARCHAR", "The name in its original script.",
          f"{prefix}.original_name"),
        c("gender", "TINYINT", "0 not set, 1 female, 2 male, 3 non-binary.", f"{prefix}.gender"),
        c("known_for_department", "VARCHAR", "The person's main department.",
          f"{prefix}.known_for_department"),
        c("popularity", "DOUBLE", "The person's popularity when the series was fetched.",
          f"{prefix}.popularity"),
    )  # fmt: skip


_SERIES_ID = c("series_id", "BIGINT NOT NULL", "The series (tv_series.id).", "id")

TV_CAST = Table(
    "tv_cast",
    "One row per role in a series' aggregate credits (every season): a person who played "
    "several characters has one row each, with the episodes of each.",
    (),
    (
        _SERIES_ID,
        *_person("r", "series' aggregate credits"),
        c("credit_id", "VARCHAR", "TMDb's id of this role.", "role.credit_id"),
        c("character", "VARCHAR", "The character played ('' when unknown).", "role.character"),
        c("episode_count", "INTEGER", "Episodes with this role.", "role.episode_count"),
        c("total_episode_count", "INTEGER", "Episodes with any role.", "r.total_episode_count"),
        c("order", "INTEGER", "Billing position, 0 first.", 'r."order"'),
    ),
    "tv",
    "(SELECT id, r, unnest(r.roles) AS role FROM "
    "(SELECT id, unnest(d.aggregate_credits.cast) AS r FROM parsed))",
    "series_id",
)  # fmt: skip

TV_CREW = Table(
    "tv_crew",
    "One row per job in a series' aggregate credits (every season), with its episodes.",
    (),
    (
        _SERIES_ID,
        *_person("r", "series' aggregate credits"),
        c("credit_id", "VARCHAR", "TMDb's id of this job.", "job.credit_id"),
        c("department", "VARCHAR", "Directing, Writing, Sound, …", "r.department"),
        c("job", "VARCHAR", "Director, Writer, Executive Producer, …", "job.job"),
        c("episode_count", "INTEGER", "Episodes with this job.", "job.episode_count"),
        c("total_episode_count", "INTEGER", "Episodes with any job.", "r.total_episode_count"),
    ),
    "tv",
    "(SELECT id, r, unnest(r.jobs) AS job FROM "
    "(SELECT id, unnest(d.aggregate_credits.crew) AS r FROM parsed))",
    "series_id",
)  # fmt: skip

_EPISODE_ID = c("episode_id", "BIGINT", "The episode (tv_episodes.id).", "e.id")

EPISODE_GUEST_STARS = Table(
    "episode_guest_stars",
    "One row per guest star of an episode.",
    (),
    (
        *_EPISODE_KEY, _EPISODE_ID, *_person("g", "episode"),
        c("credit_id", "VARCHAR", "TMDb's id of this credit.", "g.credit_id"),
        c("character", "VARCHAR", "The character played ('' when unknown).", "g.character"),
        c("order", "INTEGER", "Billing position, 0 first.", 'g."order"'),
    ),
    "tv",
    f"(SELECT series_id, number, e, unnest(e.guest_stars) AS g FROM {_EPISODES})",
    "series_id",
)  # fmt: skip

EPISODE_CREW = Table(
    "episode_crew",
    "One row per crew job of an episode.",
    (),
    (
        *_EPISODE_KEY, _EPISODE_ID, *_person("w", "episode"),
        c("credit_id", "VARCHAR", "TMDb's id of this credit.", "w.credit_id"),
        c("department", "VARCHAR", "Directing, Writing, Camera, …", "w.department"),
        c("job", "VARCHAR", "Director, Writer, Director of Photography, …", "w.job"),
    ),
    "tv",
    f"(SELECT series_id, number, e, unnest(e.crew) AS w FROM {_EPISODES})",
    "series_id",
)  # fmt: skip


def _links(name: str, about: str, field: str, item: str, extra: tuple[Column, ...]) -> Table:
    """A series-to-item table from a list in the series document, one row per distinct item."""
    names = ", ".join(f"any_value(x.{col.name}) AS {col.name}" for col in extra)
    return Table(
        name, about, ("series_id", item),
        (c("series_id", "BIGINT NOT NULL", "The series (tv_series.id).", "id"),
         c(item, "BIGINT NOT NULL", f"TMDb {item.removesuffix('_id')} id.", item),
         *(c(col.name, col.type, col.about, col.name) for col in extra)),
        "tv",
        f"(SELECT id, x.id AS {item}, {names} FROM (SELECT id, unnest({field}) AS x FROM parsed) "
        f"WHERE x.id IS NOT NULL GROUP BY id, x.id)",
        "series_id",
    )  # fmt: skip


_NAME = c("name", "VARCHAR", "Its name.")
_COUNTRY = c("origin_country", "VARCHAR", "ISO 3166-1 code.")
TV_GENRES = _links(
    "tv_genres", "Which series have which genres (TV genres have ids of their own, e.g. 10759 "
    "Action & Adventure).", "d.genres", "genre_id", (_NAME,),
)  # fmt: skip
TV_NETWORKS = _links(
    "tv_networks", "Which networks air which series.", "d.networks", "network_id",
    (_NAME, _COUNTRY),
)  # fmt: skip
TV_KEYWORDS = _links(
    "tv_keywords", "Keywords of each series (from the keywords append).", "d.keywords.results",
    "keyword_id", (_NAME,),
)  # fmt: skip

TV_TABLES = (TV_SERIES, TV_SEASONS, TV_EPISODES, TV_CAST, TV_CREW, EPISODE_GUEST_STARS,
             EPISODE_CREW, TV_GENRES, TV_NETWORKS, TV_KEYWORDS)  # fmt: skip
"""Every TV table, in the order the schema document lists them."""
