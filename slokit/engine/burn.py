"""Burn rates and multiwindow multi-burn-rate tiers (Google SRE Workbook, "Alerting on SLOs").

Burn rate over a window ``w``: ``(Σbad / Σvalid in w) / (1 − target)``; 1.0 spends exactly the
budget by the end of the SLO period. NaN (no data) when ``Σvalid = 0``.

A tier is (share of budget, long window, short window, severity, for). Its factor is
``share · period / long``: burning at that rate for the long window spends ``share`` of the
period's budget. For a 30-day period the defaults give 14.4, 6, 3 and 1. A tier fires at an
instant when both windows burn at or above the factor *and* the short window holds at least
``min_bad_events`` bad events.

The low-traffic guard, default :data:`DEFAULT_MIN_BAD_EVENTS` = 3. Without it a quiet service
pages on one failed request: with ``V`` events an hour, one bad event gives a 1 h burn of
``1 / (V · (1 − target))``, ≥ 14.4 for a 99.9 % SLO whenever ``V < 70``. Requiring three bad
events in the short window (5 min for the fastest tier) needs three failures close together,
which a healthy service almost never produces by chance (if failures are rare and independent,
two more within the same few minutes of a first one is unlikely), while a real outage on any
service with a request or more a minute still pages within a few minutes. The guard does not
depend on the target: it counts evidence, and the factor already encodes the target.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from slokit.engine.allowance import allowed_bad_fraction
from slokit.engine.series import Cumulative
from slokit.engine.sli import Bools, Floats, ratio

DEFAULT_MIN_BAD_EVENTS: Final = 3

_HOUR: Final = 3600
_DAY: Final = 86400


def burn_rate(bad: ArrayLike, valid: ArrayLike, target: float) -> Floats:
    """``(bad / valid) / (1 − target)``; NaN where ``valid == 0``.

    ``1 − target`` is taken exactly as written (:func:`~slokit.engine.allowance.allowed_bad_fraction`),
    so 0.999 divides by 0.001 and a burn of exactly a tier's factor is not lost to float noise.
    """
    return ratio(bad, valid) / allowed_bad_fraction(target)


@dataclass(frozen=True, slots=True)
class Tier:
    """One multiwindow rule; windows and ``for_seconds`` in seconds, ``factor`` a burn rate."""

    share: float
    long_seconds: int
    short_seconds: int
    severity: str
    factor: float
    for_seconds: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.short_seconds <= self.long_seconds:
            raise ValueError("a tier's short window must be positive and no longer than its long window")
        if not self.factor > 0:
            raise ValueError("a tier's factor must be positive")
        if self.long_seconds % 60 or self.short_seconds % 60:
            raise ValueError("tier windows must be whole minutes")

    @classmethod
    def from_share(
        cls,
        share: float,
        long_seconds: int,
        short_seconds: int,
        severity: str,
        period_seconds: float,
        for_seconds: int = 0,
    ) -> Tier:
        """A tier whose factor is ``share · period / long``."""
        if not 0 < share <= 1:
            raise ValueError("a tier's share of the budget must be in (0, 1]")
        factor = share * period_seconds / long_seconds
        return cls(share, long_seconds, short_seconds, severity, factor, for_seconds)

    def for_period(self, period_seconds: float) -> Tier:
        """The same tier with its factor recomputed for another SLO period."""
        return replace(self, factor=self.share * period_seconds / self.long_seconds)


#: (share, long, short, severity) of the default tiers; DESIGN.md.
DEFAULT_TIER_SHAPES: Final = (
    (0.02, _HOUR, 5 * 60, "page"),
    (0.05, 6 * _HOUR, 30 * 60, "page"),
    (0.10, _DAY, 2 * _HOUR, "ticket"),
    (0.10, 3 * _DAY, 6 * _HOUR, "ticket"),
)


def default_tiers(period_seconds: float) -> tuple[Tier, ...]:
    """The four default tiers for an SLO period (30 d → factors 14.4, 6, 3, 1)."""
    if not period_seconds > 0:
        raise ValueError("the SLO period must be positive")
    return tuple(Tier.from_share(s, lw, sw, sev, period_seconds) for s, lw, sw, sev in DEFAULT_TIER_SHAPES)


@dataclass(frozen=True, slots=True)
class TierEvaluation:
    """A tier evaluated at many instants (arrays of the instants' shape)."""

    firing: Bools
    long_burn: Floats
    short_burn: Floats
    short_bad: NDArray[np.int64]


def evaluate_tier(
    cumulative: Cumulative,
    end_minutes: ArrayLike,
    tier: Tier,
    target: float,
    min_bad_events: int = DEFAULT_MIN_BAD_EVENTS,
) -> TierEvaluation:
    """Whether ``tier`` fires at each instant ``t = 60·end`` (whole minutes), all at once.

    Fires where long burn ≥ factor, short burn ≥ factor and bad events in the short window
    ≥ ``min_bad_events``. No data in either window means not firing. ``for_seconds`` is not
    applied here; see :func:`held_for`.
    """
    ends = np.asarray(end_minutes, dtype=np.int64)
    lv, lg = cumulative.rolling(ends, tier.long_seconds // 60)
    sv, sg = cumulative.rolling(ends, tier.short_seconds // 60)
    long_burn = burn_rate(lv - lg, lv, target)
    short_burn = burn_rate(sv - sg, sv, target)
    short_bad = sv - sg
    with np.errstate(invalid="ignore"):
        firing = (long_burn >= tier.factor) & (short_burn >= tier.factor) & (short_bad >= min_bad_events)
    return TierEvaluation(firing, long_burn, short_burn, short_bad)


def budget_guard(min_bad_events: int, share: float, allowed_bad: ArrayLike) -> NDArray[np.int64]:
    """The low-traffic guard lowered to the bad events that spend a tier's share of the budget.

    ``min(min_bad_events, max(1, ⌈share · allowed_bad⌉))`` where ``allowed_bad`` is the period's
    allowed bad events: a failure that alone spends the tier's share is not noise. At normal
    volume the guard is unchanged (99.9 % over 30 days at 100 requests a minute allows 4320 bad
    events; 2 % of that is 87 ≥ 3). With the guard off (``min_bad_events = 0``) it stays off.
    """
    allowed = np.asarray(allowed_bad, dtype=np.float64)
    # 1e-9: 0.2 · 10 is 2.0000000000000004 in floats, and two bad events are its share
    needed = np.maximum(np.ceil(share * allowed - 1e-9), 1)
    return np.minimum(needed, min_bad_events).astype(np.int64)


def held_for(condition: ArrayLike, step_seconds: int, for_seconds: int) -> Bools:
    """True where ``condition`` has held at every step of the last ``for_seconds`` (inclusive).

    ``condition`` is sampled every ``step_seconds`` along its last axis. With ``for = 0`` this is
    the condition itself; otherwise the run of consecutive True values ending at an instant
    must span at least ``for_seconds``, as Prometheus' ``for`` does at its evaluation steps.
    """
    cond = np.asarray(condition, dtype=np.bool_)
    if step_seconds <= 0 or for_seconds < 0:
        raise ValueError("step must be positive and for must not be negative")
    need = -(-for_seconds // step_seconds)  # steps the condition must already have held
    if need == 0:
        return cond.copy()
    idx = np.arange(cond.shape[-1])
    # Index of the last False at or before each position (-1 if none): run length = i - that.
    last_false = np.maximum.accumulate(np.where(cond, -1, idx), axis=-1)
    result: Bools = cond & (idx - last_false > need)
    return result
