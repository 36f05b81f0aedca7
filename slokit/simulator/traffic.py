"""How busy a service is at each minute: daily and weekly cycles times random noise.

A traffic profile is a shape over the local week (a night floor plus Gaussian bumps over the hour
of day, times a factor per weekday) scaled so the busiest minute of the week is 1.0; a source's
expected events per minute is its peak rate times that shape times noise. Noise has three
layers (per day, per hour, per minute) so quiet Tuesdays and busy Friday evenings both happen.

Every random number here comes from a generator keyed by (seed, source key, day or hour
index), never from a stream shared across calls, so the rate of a given minute is the same
whichever range or chunk size asks for it: that is what makes generation chunkable and
deterministic at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
#: Hour and minute noise is drawn in blocks of this many minutes (aligned to the epoch).
NOISE_BLOCK_MINUTES = 360
#: 1970-01-01 was a Thursday; weekday index 0 is Monday.
_EPOCH_WEEKDAY = 3


@dataclass(frozen=True, slots=True)
class Bump:
    """A busy period of the day: centre hour (local), width (hours, one sigma), height."""

    hour: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Profile:
    """A weekly traffic shape in a fixed local offset from UTC."""

    name: str
    floor: float
    bumps: tuple[Bump, ...]
    #: Multipliers for Monday .. Sunday.
    weekdays: tuple[float, float, float, float, float, float, float]
    utc_offset_hours: float = 0.0
    #: Sigma of the log-normal noise per day, per hour and per minute.
    noise: tuple[float, float, float] = (0.06, 0.08, 0.05)

    def raw(self, minutes: Int64s) -> Floats:
        """Unscaled shape at the given epoch minutes."""
        local = minutes.astype(np.float64) + self.utc_offset_hours * 60.0
        hour = np.mod(local, 1440.0) / 60.0
        weekday = (np.floor_divide(local, 1440.0).astype(np.int64) + _EPOCH_WEEKDAY) % 7
        value = np.full(hour.shape, self.floor)
        for bump in self.bumps:
            distance = np.abs(hour - bump.hour)
            distance = np.minimum(distance, 24.0 - distance)  # the day wraps around
            value += bump.height * np.exp(-0.5 * (distance / bump.width) ** 2)
        shaped: Floats = value * np.asarray(self.weekdays)[weekday]
        return shaped

    def peak(self) -> float:
        """The largest raw value over one week, by minute (the scale that maps peak to 1.0)."""
        return _peak(self)

    def shape(self, minutes: Int64s) -> Floats:
        """Shape at the given epoch minutes, 1.0 at the busiest minute of the week."""
        return self.raw(minutes) / _peak(self)

    def mean(self) -> float:
        """Average of the shape over a week: expected events = peak rate × mean × minutes."""
        week = np.arange(7 * 1440, dtype=np.int64)
        return float(self.shape(week).mean())


@functools.lru_cache(maxsize=64)
def _peak(profile: Profile) -> float:
    week = np.arange(7 * 1440, dtype=np.int64)
    return float(profile.raw(week).max())


FLAT = Profile("flat", floor=1.0, bumps=(), weekdays=(1, 1, 1, 1, 1, 1, 1), noise=(0.0, 0.0, 0.0))


def keyed_rng(seed: int, *key: int) -> np.random.Generator:
    """A generator that depends only on the seed and the key, e.g. (source, hour index)."""
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


def noise(profile: Profile, seed: int, source_key: int, minutes: Int64s) -> Floats:
    """Multiplicative noise (mean about 1) at the given epoch minutes, chunk-independent."""
    day_sigma, hour_sigma, minute_sigma = profile.noise
    result = np.ones(minutes.shape)
    if not minutes.size:
        return result
    days = minutes // 1440
    if day_sigma:
        for day in np.unique(days):
            factor = keyed_rng(seed, source_key, 1, int(day)).normal(0.0, day_sigma)
            result[days == day] *= np.exp(factor - day_sigma**2 / 2)
    if hour_sigma or minute_sigma:
        # one generator per block of 6 hours draws its 6 hour factors and 360 minute factors
        blocks = minutes // NOISE_BLOCK_MINUTES
        for block in np.unique(blocks):
            rng = keyed_rng(seed, source_key, 2, int(block))
            per_hour = rng.standard_normal(NOISE_BLOCK_MINUTES // 60)
            per_minute = rng.standard_normal(NOISE_BLOCK_MINUTES)
            mask = blocks == block
            offset = minutes[mask] - int(block) * NOISE_BLOCK_MINUTES
            log_factor = hour_sigma * per_hour[offset // 60] - hour_sigma**2 / 2
            log_factor += minute_sigma * per_minute[offset] - minute_sigma**2 / 2
            result[mask] *= np.exp(log_factor)
    return result


def expected_per_minute(
    profile: Profile, peak_per_minute: float, seed: int, source_key: int, minutes: Int64s
) -> Floats:
    """Expected events in each of ``minutes`` (epoch minute indices)."""
    return peak_per_minute * profile.shape(minutes) * noise(profile, seed, source_key, minutes)


def poisson_times(rng: np.random.Generator, minutes: Int64s, expected: Floats) -> Int64s:
    """Event times (epoch ms, sorted) of a Poisson process with the given per-minute means."""
    counts = rng.poisson(expected)
    starts = np.repeat(minutes * MINUTE_MS, counts)
    offsets = rng.integers(0, MINUTE_MS, size=starts.size, dtype=np.int64)
    ts = starts + offsets
    ts.sort()
    return ts


def periodic_times(start_ms: int, end_ms: int, interval_ms: int, phase_ms: int) -> Int64s:
    """Times ``phase + k·interval`` (epoch ms) in ``[start, end)``."""
    first = start_ms + ((phase_ms - start_ms) % interval_ms)
    return np.arange(first, end_ms, interval_ms, dtype=np.int64)
