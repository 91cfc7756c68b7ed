"""How fast one egress IP sends: the pace policy, with no I/O (the time is passed in).

The model: a per-IP limiter like TMDb's CDN (and the simulator's) is a token bucket: `L`
requests/s, with `B` saved up. Below `L` it never refuses; above, the bucket drains by the
excess and the first 429 comes once `B` is spent, so `sum(excess) = B`. That equation, solved
over the requests sent since the bucket was last full (the end of the last pause: a pause
refills it), gives `L` from one 429: a 429 long after the pace was raised means just over the
limit, one soon after means far over. The pace settles `MARGIN` under that estimate, where
the server never refuses, instead of bisecting towards it hold by hold.

- Climbing (at the start, and on each re-probe): `CLIMB_STEP` faster every `CLIMB_S` without
  a 429, up to the ceiling. Overshooting costs little: the estimate corrects for it.
- Settled: the pace stays `MARGIN` under the estimate. After `REPROBE_S` without a 429 it
  climbs again (the limit may have risen); if not, the probe costs one 429 and one pause.
- A 429 (only the first of an episode: the governor passes the fresh ones) settles at once on
  the new estimate, never more than `DROP_FLOOR` below the pace that failed at one step, so a
  stray 429 cannot stall a crawl, while a limit that fell is followed within a few 429s.

`BURST_S` is the only guess: the depth of the server's bucket, in seconds of its rate (the
simulator's). A deeper bucket than guessed makes the estimate high, and the next 429 (long in
coming, so its estimate rests on little but the pace) corrects it; a shallower one makes it
low, by about (guess - depth) / (seconds over the limit) of the limit.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field

CLIMB_STEP = 1.1  # while no limit is known, 10% faster ...
CLIMB_S = 1.0  # ... after each second without a 429
MARGIN = 0.005  # settle this far under the estimated limit
REPROBE_S = 300.0  # a settled pace climbs again after this long without a 429
BURST_S = 0.25  # the server's bucket depth, in seconds of its rate (the simulator's; a guess)
DROP_FLOOR = 0.6  # one 429 lowers the pace by at most this factor
MIN_RATE = 0.5
RECENT = 256  # sends remembered, to leave out those made after a refused request


class Phase(enum.StrEnum):
    """Whether the pace is looking for the limit or holding just under it."""

    CLIMBING = "climbing"
    SETTLED = "settled"


@dataclass
class Segment:
    """A stretch at one pace since the bucket was last full: when it began, requests sent."""

    start: float
    sent: int = 0


@dataclass
class Pace:
    """The pace of one egress IP between `MIN_RATE` and `ceiling`; see the module docstring."""

    rate: float
    ceiling: float
    phase: Phase = Phase.CLIMBING
    since: float = 0.0  # when the current pace began
    found: float | None = None  # the pace settled at, for the summary (None: none yet)
    segments: list[Segment] = field(default_factory=lambda: [Segment(0.0)])
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT))

    def __post_init__(self) -> None:
        self.rate = min(self.rate, self.ceiling)

    def sent(self, at: float) -> None:
        """A request goes out at `at`."""
        self.segments[-1].sent += 1
        self.recent.append(at)

    def resumed(self, at: float) -> None:
        """Sending resumes at `at` after a pause, which refilled the server's bucket."""
        self.segments = [Segment(at)]
        self.since = at

    def answered(self, now: float) -> None:
        """A request was answered without a 429 at `now`: climb, or re-probe, when due."""
        held = now - self.since
        if self.phase is Phase.SETTLED and held < REPROBE_S:
            return
        if self.phase is Phase.CLIMBING and held < CLIMB_S:
            return
        if self.rate >= self.ceiling:
            # Nothing above to look for: the ceiling is the pace found, re-checked as seldom
            # as a settled pace.
            self.phase, self.found, self.since = Phase.SETTLED, self.ceiling, now
            return
        self.phase = Phase.CLIMBING
        self._set(min(self.ceiling, self.rate * CLIMB_STEP), now)

    def throttled(self, started: float, now: float) -> None:
        """The request sent at `started` drew a 429 (a fresh one) at `now`: settle under the
        limit that the requests sent since the last pause show."""
        limit = self.estimate(started)
        rate = max(MIN_RATE, self.rate * DROP_FLOOR, min(self.rate, limit) * (1 - MARGIN))
        self.phase, self.found = Phase.SETTLED, rate
        self._set(rate, now)

    def estimate(self, started: float) -> float:
        """The limit `L` whose bucket, full at the last pause's end, runs dry at `started`
        under the requests sent since: `deficit(L) = BURST_S * L` (less half a token: the
        refused request found less than one left), solved by bisection (the deficit falls as
        `L` rises)."""
        after = sum(1 for t in self.recent if t > started)  # in flight: not yet counted
        low, high = 0.0, 2 * max(self.ceiling, self.rate)
        for _ in range(40):
            mid = (low + high) / 2
            if self._deficit(mid, started, after) > BURST_S * mid - 0.5:
                low = mid
            else:
                high = mid
        return low

    def _deficit(self, limit: float, until: float, after: int) -> float:
        """Tokens missing from a bucket of `limit`/s, full at the first segment's start, at
        `until` (a bucket never holds more than full: a slow stretch saves nothing)."""
        deficit = 0.0
        ends = [s.start for s in self.segments[1:]] + [until]
        for segment, end in zip(self.segments, ends, strict=True):
            sent = segment.sent - (after if segment is self.segments[-1] else 0)
            deficit = max(0.0, deficit + sent - limit * max(0.0, end - segment.start))
        return deficit

    def _set(self, rate: float, now: float) -> None:
        self.rate, self.since = rate, now
        self.segments.append(Segment(now))
