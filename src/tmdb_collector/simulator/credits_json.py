"""A movie's `credits` as JSON bytes, written from pre-formatted pieces.

This is most of the simulator's work per request: a blockbuster credits ~700 people, most of
them met for the first time. So rather than build each row as a dict for orjson, the rows are
joined from bytes prepared once, and what `people.person_summary` computes is inlined. The
bytes must be exactly what orjson writes for the readable documents: tests hold
`person_fragment` equal to `person_summary`, and `credits_json` equal to rows built from it.
"""

from __future__ import annotations

import orjson

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.attributes import (
    CREW_DEPARTMENTS,
    FULL_NAMES,
    GENDERS,
    SALT_PERSON,
)
from tmdb_collector.simulator.catalog import GOLDEN, MASK64, MIX_MUL1, MIX_MUL2, Catalog
from tmdb_collector.simulator.credits import (
    HEX3,
    MAX_CREDITS,
    credit_id_parts,
    movie_credits,
)
from tmdb_collector.simulator.vocab import CHARACTER_ROLES

JSON_TEXT = {
    text: orjson.dumps(text)
    for department, jobs in vocab.CREW_JOBS.items()
    for text in ("Acting", department, *jobs)
}
NAMES_JSON = [orjson.dumps(name) for name in FULL_NAMES]

# The pieces of a person's JSON (see `_fragments`), indexed by the bits that pick them.
GENDER_HEADS = tuple(b'{"adult":false,"gender":%d,"id":' % GENDERS[b % 100] for b in range(256))
ACTING_PART = b',"known_for_department":"Acting"'
DEPARTMENT_PARTS = tuple(b',"known_for_department":' + JSON_TEXT[d] for d in CREW_DEPARTMENTS)
DECIMALS = [(b".%04d" % n).rstrip(b"0") if n else b".0" for n in range(10_000)]
"""The digits after the point of a number of ten-thousandths, as repr() and orjson write them."""
NAME_PARTS = tuple(b',"name":%b,"original_name":%b,"popularity":' % (n, n) for n in NAMES_JSON)
CHARACTERS_JSON = {
    **{text: orjson.dumps(text) for text in (*CHARACTER_ROLES, "")},
    **dict(zip(FULL_NAMES, NAMES_JSON, strict=True)),
}

# Credit rows from here on are pre-formatted pieces, indexed by order, department and job.
CAST_HEADS = [b',"cast_id":%d,"character":' % (order + 1) for order in range(MAX_CREDITS)]
CAST_TAILS = [b'","order":%d},' % order for order in range(MAX_CREDITS)]
JOBS_JSON = {
    department: {
        job: b'","department":%b,"job":%b},' % (JSON_TEXT[department], JSON_TEXT[job])
        for job in jobs
    }
    for department, jobs in vocab.CREW_JOBS.items()
}

CACHED_PEOPLE = 1 << 16
"""People whose fragment is kept (`_fragments`): the first ones, who include the stars that the
skewed picks keep landing on (a seventh of all credit rows at 200,000 movies). Others are rarely
met twice soon enough: a cache of them cost more time, in misses, than it saved."""
FragmentCache = tuple[dict[int, bytes], tuple[tuple[int, ...], ...]]
_fragment_caches: dict[tuple[int, ...], FragmentCache] = {}


def credits_json(catalog: Catalog, index: int, movie_id: int) -> bytes:
    """The movie's `credits` append: {"cast": [...], "crew": [...]}, as orjson would write it."""
    credits = movie_credits(catalog, index)
    cast, crew = credits.cast, credits.crew
    people = _fragments(catalog, [p for p, _, _ in cast] + [p for p, _, _ in crew])
    hex3 = HEX3
    parts = [b'{"cast":[']
    cast_head, crew_head, start = credit_id_parts(movie_id)
    if cast:
        credit = b',"credit_id":"' + cast_head
        heads, tails, characters = CAST_HEADS, CAST_TAILS, CHARACTERS_JSON
        for (_, order, character), person in zip(cast, people, strict=False):
            name = characters.get(character) or orjson.dumps(character)
            parts += (person, heads[order], name, credit, hex3[start + order], tails[order])
        parts[-1] = parts[-1][:-1]  # the last row's comma
    parts.append(b'],"crew":[')
    if crew:
        credit = b',"credit_id":"' + crew_head
        jobs = JOBS_JSON
        rows = zip(people[len(cast) :], crew, strict=True)
        for slot, (person, (_, department, job)) in enumerate(rows, start):
            parts += (person, credit, hex3[slot], jobs[department][job])
        parts[-1] = parts[-1][:-1]
    parts.append(b"]}")
    return b"".join(parts)


def person_fragment(catalog: Catalog, index: int) -> bytes:
    """`person_summary` as JSON without its closing brace: what each credit row starts with."""
    return _fragments(catalog, (index,))[0]


def _fragments(catalog: Catalog, people: tuple[int, ...] | list[int]) -> list[bytes]:
    """`person_fragment` of each person, formatted directly (the same bytes orjson writes for
    `person_summary`; a test holds them equal).

    Hot: a movie's credits are mostly people seen for the first time (a blockbuster credits
    hundreds), so `mix`, `people._person_fields` and `IdSpace.id_of` are inlined here, and the
    JSON is assembled from pre-formatted pieces.
    """
    seed = catalog.seed
    cache, patterns = _fragment_cache(catalog)
    block, used = catalog.people.ids.block, catalog.people.ids.used
    heads, acting, departments, names = GENDER_HEADS, ACTING_PART, DEPARTMENT_PARTS, NAME_PARTS
    n_names, decimals = len(names), DECIMALS
    mul1, mul2, mask, golden = MIX_MUL1, MIX_MUL2, MASK64, GOLDEN
    cached = CACHED_PEOPLE
    get = cache.get
    out: list[bytes] = []
    for p in people:
        text = get(p) if p < cached else None
        if text is None:
            x = (hash((seed, SALT_PERSON, p)) * mul1) & mask  # x = mix(seed, SALT_PERSON, p)
            x = ((x ^ (x >> 31)) * mul2) & mask
            x ^= x >> 29
            b = x.to_bytes(8, "little")  # cheaper than shifting x for each field
            block_no, rank = divmod(p, used)  # the person's id: ids.id_of(p)
            person_id = block_no * block + patterns[(block_no * golden >> 56) & 0xFF][rank] + 1
            # person_popularity, inlined: written as orjson writes the float (a test checks)
            pop = int((0.02 + 40.0 * ((b[2] | b[3] << 8) / 65536.0) ** 12 + b[7] / 128) * 1e4 + 0.5)
            text = b'%b%d%b%b%d%b,"profile_path":%b' % (
                heads[b[0]],
                person_id,
                acting if b[4] < 154 else departments[(x >> 40) % 11],
                names[(x >> 8) % n_names],
                pop // 10_000,
                decimals[pop % 10_000],
                b'"/%016x%011x.jpg"' % (x, (x * golden) & 0xFFFFFFFFFFF)  # hashed_path(x)
                if b[6] < 154
                else b"null",
            )
            if p < cached:
                cache[p] = text
        out.append(text)
    return out


def _fragment_cache(catalog: Catalog) -> FragmentCache:
    """The cached fragments of this catalog's people, and its id space's slot patterns."""
    ids = catalog.people.ids
    key = (catalog.seed, ids.seed, ids.salt, ids.block, ids.used)
    entry = _fragment_caches.get(key)
    if entry is None:
        if len(_fragment_caches) >= 8:
            _fragment_caches.clear()
        entry = _fragment_caches[key] = ({}, ids.patterns())
    return entry
