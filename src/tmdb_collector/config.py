"""Every default value and environment variable name, in one place, grouped by prefix."""

from typing import Final

# --- TMDb's API (API_*) and credentials ----------------------------------------------------

API_URL: Final = "https://api.themoviedb.org/3"
"""TMDb's API base; `--api-url` or $TMDB_API_URL points the collector elsewhere (the simulator)."""

API_URL_ENV: Final = "TMDB_API_URL"
"""Environment variable for the API base."""

TOKEN_ENV: Final = "TMDB_ACCESS_TOKEN"
"""Environment variable with TMDb's API read access token (sent as `Authorization: Bearer`)."""

API_KEY_ENV: Final = "TMDB_API_KEY"
"""Environment variable with a v3 API key (sent as the `api_key` query parameter)."""

MAX_APPENDS: Final = 20
"""Most append_to_response items TMDb accepts in one request (more: HTTP 400, code 27)."""

# --- The store (STORE_*) ---------------------------------------------------------------------

DATA_DIR: Final = "./tmdb-data"
"""Where the store and the outputs live; `--data-dir` or $TMDB_DATA_DIR."""

DATA_DIR_ENV: Final = "TMDB_DATA_DIR"
"""Environment variable for the data directory."""

STORE_FILE: Final = "tmdb.sqlite"
"""The store's file name inside the data directory."""

LOCK_FILE: Final = ".writer.lock"
"""The writer lock's file inside the data directory: one command writes a store at a time."""

STORE_ZSTD_LEVEL: Final = 3
"""zstd level for stored documents: ~5x smaller than raw JSON at a small CPU cost."""

# --- Request rate (RATE_*) and requests -----------------------------------------------------

RATE: Final = "auto"
"""`--rate`: `auto` finds each IP's limit from its 429s, up to RATE_AUTO_CEILING; a number N is
a fixed ceiling in requests/s per egress IP, never passed (429s still lower the pace)."""

RATE_ENV: Final = "TMDB_RATE"
"""Environment variable for `--rate` (`auto` or a number)."""

RATE_AUTO_START: Final = 36.0
"""Where `--rate auto` starts, in requests/s: safely under TMDb's documented ~40/s."""

RATE_AUTO_CEILING: Final = 50.0
"""The most `--rate auto` ever sends, in requests/s per IP: TMDb's CDN cap (~50/s)."""

RATE_MAX_IN_FLIGHT: Final = 20
"""Most requests in flight per egress IP (TMDb's CDN: 20 connections per IP)."""

CONCURRENCY_ENV: Final = "TMDB_CONCURRENCY"
"""Environment variable for `--concurrency` (requests in flight, at most RATE_MAX_IN_FLIGHT)."""

REQUEST_TIMEOUT_S: Final = 30.0
"""A request that has not fully answered by then counts as a timeout (and is retried)."""

USER_AGENT: Final = "tmdb-collector/0.1 (+https://www.themoviedb.org/documentation/api)"
"""Sent with every request, so TMDb can tell what is calling."""

MOVIE_APPENDS: Final = "credits,keywords,external_ids"
"""Default `--append` of `crawl movies`: the credits are the actor network's edges."""

PERSON_APPENDS: Final = ""
"""Default `--append` of `crawl people`: none, a person's own fields are small (appended
combined credits can be ~0.5 MB for a prolific person, and the edges come from movies)."""

TV_APPENDS: Final = "aggregate_credits,keywords,external_ids,content_ratings"
"""Default `--append` of `crawl tv` (aggregate credits: every season); `season/N` fill the rest."""

DETAIL_APPENDS: Final = ""
"""Default `--append` of `crawl collections|companies|networks`: none (their details are whole)."""

TV_MAX_SEASON: Final = 1000
"""Highest season number fetched: a `number_of_seasons` beyond it is bad data, not requests."""

# --- The demo (DEMO_*) -----------------------------------------------------------------------

DEMO_TOP_BILLED: Final = 10
"""The demo's network links the first this many billed actors of each movie."""

DEMO_MOVIES: Final = 10_000
"""Movies in the demo's simulated catalog: enough for franchises and recurring casts to show
(about 3,000 people in the report's network), small enough for the demo to end in about a minute."""

DEMO_DIR: Final = "./tmdb-demo"
"""The demo's data directory (a demo never writes into a collection it did not make)."""

DEMO_SERVER_RATE: Final = 600.0
"""The demo simulator's per-IP limit: loopback has no real latency, so it can be generous."""

DEMO_RATE: Final = 800.0
"""The demo crawler's ceiling: above the server's limit, so the governor has to find it."""

# --- Committing (BATCH_*) --------------------------------------------------------------------

BATCH_SIZE: Final = 200
"""Results written to the store in one transaction: at most this many are refetched after a
crash."""

BATCH_SECONDS: Final = 0.5
"""A partial batch is written after this long anyway, so a slow crawl loses little too."""

# --- Retries (RETRY_*) -----------------------------------------------------------------------

RETRY_MAX_ATTEMPTS: Final = 6
"""Tries per request (an id within one pass, a change-list page); then it is `failed`, and an
id is tried again at the end of the run."""

RETRY_MAX_429: Final = 50
"""429s one request may meet without using up its tries (the governor pauses for them
instead); beyond this they count, so a server that only says 429 cannot hold it for ever."""

RETRY_BASE_S: Final = 0.5
"""First retry waits up to this long; each further one doubles it (full jitter)."""

RETRY_CAP_S: Final = 30.0
"""Longest wait between two tries of one request."""

RETRY_AFTER_FLOOR_S: Final = 1.0
"""Shortest pause after a 429, even if Retry-After says less."""

RETRY_AFTER_CAP_S: Final = 60.0
"""Longest pause after a 429, even if Retry-After says more."""

# --- A fleet of machines on Dask (FLEET_*) ---------------------------------------------------

CLUSTER_ENV: Final = "TMDB_CLUSTER"
"""Environment variable for `--cluster`: a running Dask scheduler, tcp://HOST:8786 or tls://..."""

SSH_HOSTS_ENV: Final = "TMDB_SSH_HOSTS"
"""Environment variable for `--ssh`: a hosts file, one machine per line, the first also runs
the scheduler."""

LOCAL_WORKERS_ENV: Final = "TMDB_LOCAL_WORKERS"
"""Environment variable for `--local-workers`: a Dask cluster of N processes on this machine."""

BIND_ENV: Final = "TMDB_BIND"
"""Environment variable for `--bind` (source addresses); a `dask worker` started with it set
to one address sends its requests from that address."""

CHUNK_SIZE_ENV: Final = "TMDB_CHUNK_SIZE"
"""Environment variable for `--chunk-size` (ids per task sent to a worker)."""

REMOTE_PYTHON_ENV: Final = "TMDB_REMOTE_PYTHON"
"""Environment variable for `--remote-python`: the Python of tmdb-collector on `--ssh` hosts."""

SSH_CONFIG_ENV: Final = "TMDB_SSH_CONFIG"
"""Environment variable for `--ssh-config`: the OpenSSH client configuration (keys, ports, known
hosts) for the `--ssh` hosts, instead of ~/.ssh/config."""

CLUSTER_TIMEOUT_ENV: Final = "TMDB_CLUSTER_TIMEOUT"
"""Environment variable for `--cluster-timeout`."""

FLEET_CLUSTER_TIMEOUT_S: Final = 10.0
"""How long to try to reach a Dask scheduler, and to wait for its first worker to join."""

FLEET_SCHEDULER_PORT: Final = 8786
"""Port of the scheduler `--ssh` starts (Dask's usual one), so workers started by hand find it."""

FLEET_SSH_IDLE_S: Final = 300.0
"""A scheduler started by `--ssh` stops after this long without a task (its driver killed or
cut off: nobody else would stop it), and its workers with it. Dask's own setting,
`distributed.scheduler.idle-timeout` (DASK_DISTRIBUTED__SCHEDULER__IDLE_TIMEOUT), overrides it."""

FLEET_SSH_ALONE_S: Final = 30.0
"""A worker started by `--ssh` that cannot reach its scheduler for this long stops (a start
that failed half-way, a scheduler gone)."""

FLEET_CHUNK_SECONDS: Final = 15.0
"""A chunk holds about this many seconds of a worker's requests at `--rate`: long enough that
the round trip to the scheduler is noise, short enough that a lost worker costs little."""

FLEET_CHUNK_MIN: Final = 10
"""Fewest ids in a chunk, even at the end of a pass (where chunks shrink so that workers finish
together)."""

FLEET_CHUNK_MAX: Final = 5_000
"""Most ids in a chunk, whatever the rate: a chunk's documents travel to the driver at once."""

FLEET_CHUNKS_PER_WORKER: Final = 2
"""Chunks submitted per worker at a time (one fetching, one waiting): the window that keeps
the driver's memory flat over millions of ids."""

FLEET_WRITER_BACKLOG: Final = 5_000
"""Outcomes a fleet's driver holds for the store's writer thread at most before it takes in
more chunks: memory stays bounded when the disk is slower than the fleet."""

FLEET_DRAIN_S: Final = 30.0
"""On Ctrl-C, how long the driver waits for the workers to finish the requests they have
started and send back their chunks, to be saved."""

FLEET_TAIL_SPLIT: Final = 2
"""Near the end of a pass a chunk is at most 1/(this x workers) of what is left to submit, so
the last chunks are small and no worker is left fetching alone for long."""

# --- Simulator (SIM_*) ---------------------------------------------------------------------

SIM_HOST: Final = "127.0.0.1"
"""Address the simulator listens on: loopback, so nothing outside this machine reaches it."""

SIM_PORT: Final = 8765
"""Default port of `tmdb-collector simulate`; 0 picks a free one (tests do that)."""

SIM_MOVIES: Final = 20_000
"""Movies in the catalog on its first day (export lines, including the ids that answer 404)."""

SIM_MAX_MOVIES: Final = 5_000_000
"""Largest catalog accepted: ids are derived on demand, but an export still lists them all."""

SIM_SEED: Final = 1
"""Catalog seed: the same seed gives the same documents, days and faults."""

SIM_PEOPLE_PER_MOVIE: Final = 4
"""People per movie in the catalog (TMDb: ~4.9 M people for ~1.24 M movies)."""

SIM_GHOST_RATE: Final = 0.025
"""Share of export ids that answer 404 (TMDb: ids deleted or merged after the export)."""

SIM_MOVIE_CHANGE_RATE: Final = 0.006
"""Share of movies changed per simulated day (TMDb: ~7,200 of 1.24 M a day)."""

SIM_PERSON_CHANGE_RATE: Final = 0.0015
"""Share of people changed per simulated day (TMDb: ~7,000 of 4.9 M a day)."""

SIM_ADD_RATE: Final = 0.001
"""New ids per simulated day, as a share of the first day's catalog."""

SIM_DELETE_RATE: Final = 0.0005
"""Ids deleted per simulated day, as a share of the first day's catalog."""

SIM_EXPORT_RETENTION_DAYS: Final = 90
"""Days an export file stays downloadable (TMDb keeps them three months)."""

SIM_RATE_LIMIT: Final = 0.0
"""Requests/s allowed per client IP; 0 turns the limiter off."""

SIM_BURST_SHARE: Final = 0.25
"""Token-bucket depth as a share of the rate (a small burst: a quarter of a second's worth)."""

SIM_MAX_CONNECTIONS: Final = 20
"""Concurrent requests allowed per client IP (TMDb's CDN: 20 connections per IP)."""

SIM_SLOW_SECONDS: Final = 60.0
"""How long a `slow` fault holds its answer: longer than any sane client timeout."""

SIM_API_KEY_ENV: Final = "TMDB_SIM_API_KEY"
"""Environment variable with the key the simulator accepts (keeps it out of `ps`)."""

SIM_CHANGES_PAGE_SIZE: Final = 100
"""Ids per page of a change list (TMDb: 100)."""

SIM_CHANGES_MAX_DAYS: Final = 14
"""Longest change-list window; longer ones get HTTP 422, code 20 (TMDb: 14 days)."""

# --- Id sources (EXPORT_*) -------------------------------------------------------------------

EXPORTS_URL: Final = "https://files.tmdb.org/p/exports"
"""Where TMDb's daily id exports live; `--exports-url` or $TMDB_EXPORTS_URL points elsewhere."""

EXPORTS_URL_ENV: Final = "TMDB_EXPORTS_URL"
"""Environment variable for the exports base."""

EXPORT_READY_HOUR_UTC: Final = 8
"""Hour (UTC) by which the day's exports are published; before it the newest is yesterday's."""

EXPORT_FALLBACK_DAYS: Final = 1
"""Earlier days tried when the newest export is missing (TMDb's publishing can run late)."""

EXPORT_TIMEOUT_S: Final = 60.0
"""An export download that sends nothing for this long is abandoned (socket timeout)."""

# --- Derived outputs (OUTPUT_*) ----------------------------------------------------------------

OUTPUT_DIR: Final = "outputs"
"""Where exports and the network go by default, inside the data directory."""

OUTPUT_CHUNK_DOCS: Final = 10_000
"""Documents parsed per DuckDB statement: ~60 MB of JSON each, three in memory at a time."""

OUTPUT_CHUNK_BYTES: Final = 16 << 20
"""Most JSON parsed per DuckDB statement: a long series with its seasons weighs several MB."""

OUTPUT_BATCH_ROWS: Final = 1_000
"""Documents per Arrow record batch handed to DuckDB: its unit of parallel work."""

OUTPUT_MEMORY_LIMIT: Final = "1GB"
"""DuckDB's memory limit while building outputs; beyond it, DuckDB spills to disk."""

OUTPUT_KEPT_FILE: Final = "tables.duckdb"
"""The parsed tables kept between exports, in the data directory: the next Parquet or DuckDB
export parses only the documents that changed since (`export --full`: every one)."""

OUTPUT_TMDB5000_MOVIES: Final = 5_000
"""Movies in `export --format tmdb5000` without a filter: the most voted, as Kaggle's set."""

# --- Serving the store (SERVE_*) ---------------------------------------------------------------

SERVE_HOST: Final = "127.0.0.1"
"""`serve` listens on loopback only unless told otherwise."""

SERVE_PORT: Final = 8766
"""`serve`'s default port (the simulator's is 8765)."""

SERVE_API_KEY_ENV: Final = "TMDB_SERVE_API_KEY"
"""Environment variable for the key `serve` asks of its clients (like --api-key)."""

SERVE_PAGE_SIZE: Final = 20
"""Results per page of search and discover, as TMDb's."""

SERVE_MAX_PAGE: Final = 500
"""Highest page TMDb serves (beyond it: HTTP 400, code 22)."""

SERVE_INDEX_MEMORY_LIMIT: Final = "512MB"
"""DuckDB's memory limit for the search index; it lives in a file and spills beyond this."""

SERVE_SEARCH_THREADS: Final = 2
"""Threads answering search and discover (DuckDB queries), off the event loop."""

# --- Keeping the copy current (SYNC_*) ---------------------------------------------------------

SYNC_CHANGES_MAX_DAYS: Final = 14
"""Longest window TMDb accepts in one change-list request (longer: HTTP 422, code 20)."""

SYNC_MAX_GAP_DAYS: Final = 14
"""A sync whose watermark is older than this also diffs the newest export against the store
(DESIGN decision 8): over a long gap a deletion missing from the change lists grows likelier."""

SYNC_OVERLAP_DAYS: Final = 1
"""Days read again before the watermark's next day: the last day synced was still in progress
(and TMDb's CDN serves details up to ~8 h old), so its changes are read once more."""

# --- The actor network (NETWORK_*) -------------------------------------------------------------

NETWORK_DIR: Final = "network"
"""Where `network` writes by default, inside OUTPUT_DIR."""

NETWORK_FORMATS: Final = ("parquet", "csv", "gexf", "graphml", "neo4j")
"""Every format the network can be written in (nodes and edges each)."""

NETWORK_PAIRS_PER_PASS: Final = 40_000_000
"""Co-credit pairs aggregated per DuckDB statement: the pairs are split by person into passes
of about this many, so each pass's hash table stays near the memory limit instead of spilling
most of itself (at 1 M movies, ~130 M pairs: 4 passes)."""

NETWORK_MEMORY_LIMIT: Final = "1GB"
"""DuckDB's memory limit while the network is built; beyond it, DuckDB spills to disk."""

NETWORK_COMMUNITY_MEMORY_LIMIT: Final = "256MB"
"""DuckDB's memory limit while igraph holds the graph: DuckDB hands its cache back first."""

NETWORK_COMMUNITY_MAX_EDGES: Final = 12_000_000
"""Largest graph (kept edges) that community detection runs on. Measured (2 cores): 11.9 M
edges and 2.6 M people peak at 1.64 GB for the whole process (igraph's graph ~35 bytes an
edge, Leiden ~65 more, beside DuckDB's reduced cache) in ~95 s; 14.3 M edges peaked at 1.82 GB.
Larger graphs get no community ids, and a note saying so."""

NETWORK_SEED: Final = 1
"""Seed of the community detection's random choices: the same graph gives the same ids."""

NETWORK_LEIDEN_ITERATIONS: Final = 2
"""Leiden passes over the graph (igraph's default); each costs about as much as the first."""

# --- The report page (REPORT_*) ----------------------------------------------------------------

REPORT_FILE: Final = "report.html"
"""Where `report` writes by default, inside OUTPUT_DIR."""

REPORT_TOP_BILLED: Final = 10
"""The report's network cut by default: cast billed in the first 10 places..."""

REPORT_MIN_SHARED: Final = 2
"""...linked when they share at least 2 movies (one shared movie links whole casts: a hairball)."""

REPORT_MAX_NODES: Final = 10_000
"""People drawn at most (the heaviest: most shared movies in all); sigma.js stays fluid there
on a laptop without a discrete GPU."""

REPORT_MAX_EDGES: Final = 50_000
"""Edges drawn at most among them (the heaviest); the page stays under ~10 MB."""

REPORT_MONEY_POINTS: Final = 20_000
"""Movies in the budget/revenue scatter at most (a fixed sample beyond): SVG slows past this."""

REPORT_TOP_PEOPLE: Final = 25
"""People in each "most movies" and "most co-stars" chart."""

REPORT_COMMUNITIES: Final = 20
"""Communities in the table (the largest) and coloured apart in the graph (others grey)."""

REPORT_MOVIES_PER_PERSON: Final = 60
"""Movies listed in a person's side panel at most (the most recent)."""

REPORT_LAYOUT_ITERATIONS: Final = 500
"""Fruchterman-Reingold iterations of the layout (igraph, grid): ~1.5 s at 10k nodes, 50k edges."""
