"""Error budgets (as a fraction, in events and in time), status, and the exhaustion forecast.

Occurrences: allowed bad = ``(1 − target) · Σvalid``; consumed = ``Σbad / allowed``;
remaining = ``1 − consumed`` (negative once overspent). The budget in time is the period's
allowance ``(1 − target) · window length`` (99.9 % of an average month: 43.8 min); an
Occurrences budget is spent in time at the same fraction: consumed time = consumed × allowance.
Σvalid is the events *so far* in the window: for a calendar month in progress this is the
budget of the events seen so far, not a projection (reports say so).

Timeslices: the budget is time. Allowed = ``(1 − target) · window length``; consumed time =
bad slices × slice length; consumed = consumed time / allowed. Slices without data consume
nothing. (So with no-data slices, consumed ≤ 1 is slightly laxer than SLI ≥ target, whose
denominator only counts slices with data.)

RatioTimeslices: consumed = ``(1 − SLI) / (1 − target)`` (for Occurrences this is the same
formula, since 1 − SLI = Σbad/Σvalid); time as for Occurrences.

``1 − target`` and the time allowance come from :mod:`slokit.engine.allowance` (exact decimal
arithmetic: 0.999 gives 0.001, not 0.0010000000000000009).

Status, per instant: ``no data`` when the budget has no value; ``exhausted`` when remaining ≤ 0;
``burning`` when the burn rate given (slokit passes the 1 h burn) is above
:data:`BURNING_THRESHOLD` = 1, i.e. at the current pace the budget would not last the period;
``ok`` otherwise.

Forecast: at burn rate ``b`` (slokit passes the 1-day burn) the budget falls by ``b`` periods'
worth per period, so what remains lasts ``remaining · period / b`` seconds. No forecast when
``b`` is not above ``min_burn`` (default 0; pass 1.0 for rolling windows, where a burn below 1
never empties the budget because old bad events leave the window as fast as new ones come),
when there is no data, or when the instant falls after ``horizon`` (a calendar window's end,
where the budget resets). An already exhausted budget forecasts the instant itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from slokit.engine.allowance import allowed_bad_fraction, allowed_bad_seconds
from slokit.engine.sli import Floats

OK: Final = 0
BURNING: Final = 1
EXHAUSTED: Final = 2
NO_DATA: Final = 3
STATUS_NAMES: Final = ("ok", "burning", "exhausted", "no data")

BURNING_THRESHOLD: Final = 1.0


@dataclass(frozen=True, slots=True)
class Budget:
    """One SLO's budget at one or many instants; NaN entries mean no data."""

    consumed: Floats
    #: Period allowance in seconds: (1 − target) · window length.
    allowed_seconds: Floats
    #: Allowed bad events (Occurrences only; NaN otherwise).
    allowed_events: Floats
    #: Bad events (Occurrences) or bad slices (Timeslices); NaN for RatioTimeslices.
    bad: Floats

    @property
    def remaining(self) -> Floats:
        result: Floats = 1.0 - self.consumed
        return result

    @property
    def consumed_seconds(self) -> Floats:
        result: Floats = self.consumed * self.allowed_seconds
        return result

    @property
    def remaining_seconds(self) -> Floats:
        result: Floats = self.remaining * self.allowed_seconds
        return result

    @property
    def remaining_events(self) -> Floats:
        result: Floats = self.allowed_events - self.bad
        return result


def occurrences_budget(valid: ArrayLike, good: ArrayLike, target: float, window_seconds: float) -> Budget:
    """Budget from window sums of valid and good events (arrays, one per instant)."""
    v = np.asarray(valid, dtype=np.float64)
    bad = v - np.asarray(good, dtype=np.float64)
    allowed = allowed_bad_fraction(target) * v
    consumed = np.full(v.shape, np.nan)
    np.divide(bad, allowed, out=consumed, where=v > 0)
    bad = np.where(v > 0, bad, np.nan)
    allowed = np.where(v > 0, allowed, np.nan)
    return Budget(consumed, np.full(v.shape, allowed_bad_seconds(target, window_seconds)), allowed, bad)


def timeslices_budget(
    bad_slices: ArrayLike,
    slices_with_data: ArrayLike,
    slice_seconds: float,
    target: float,
    window_seconds: float,
) -> Budget:
    """Budget in time from bad slices; no data where no slice in the window has data."""
    allowed = allowed_bad_seconds(target, window_seconds)
    bad = np.asarray(bad_slices, dtype=np.float64)
    data = np.asarray(slices_with_data) > 0
    consumed = np.where(data, bad * slice_seconds / allowed, np.nan)
    shape = consumed.shape
    return Budget(consumed, np.full(shape, allowed), np.full(shape, np.nan), np.where(data, bad, np.nan))


def sli_budget(sli: ArrayLike, target: float, window_seconds: float) -> Budget:
    """Budget from an SLI value (RatioTimeslices): consumed = (1 − SLI) / (1 − target)."""
    allowed = allowed_bad_seconds(target, window_seconds)
    s = np.asarray(sli, dtype=np.float64)
    consumed = (1.0 - s) / allowed_bad_fraction(target)
    nan = np.full(s.shape, np.nan)
    return Budget(consumed, np.full(s.shape, allowed), nan, nan.copy())


def status(remaining: ArrayLike, burn: ArrayLike, threshold: float = BURNING_THRESHOLD) -> NDArray[np.int8]:
    """Status code per instant (index into :data:`STATUS_NAMES`); see the module docstring."""
    rem = np.asarray(remaining, dtype=np.float64)
    b = np.asarray(burn, dtype=np.float64)
    out = np.full(np.broadcast(rem, b).shape, OK, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        out[b > threshold] = BURNING
        out[rem <= 0] = EXHAUSTED
    out[np.broadcast_to(np.isnan(rem), out.shape)] = NO_DATA
    return out


def exhaustion_seconds(
    at_seconds: ArrayLike,
    remaining: ArrayLike,
    burn: ArrayLike,
    period_seconds: float,
    *,
    min_burn: float = 0.0,
    horizon_seconds: ArrayLike | None = None,
) -> Floats:
    """Epoch second at which the budget runs out at burn rate ``burn``; NaN for "never/unknown"."""
    t = np.asarray(at_seconds, dtype=np.float64)
    rem = np.asarray(remaining, dtype=np.float64)
    b = np.asarray(burn, dtype=np.float64)
    shape = np.broadcast(t, rem, b).shape
    out = np.full(shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        burning = b > max(min_burn, 0.0)
        left = np.maximum(rem, 0.0) * period_seconds / np.where(burning, b, 1.0)
        np.copyto(out, t + left, where=burning & ~np.isnan(rem))
        np.copyto(out, t + 0.0 * rem, where=rem <= 0)
        if horizon_seconds is not None:
            out[out > np.asarray(horizon_seconds, dtype=np.float64)] = np.nan
    return out


def forecast(
    at_seconds: float,
    remaining: float,
    burn: float,
    period_seconds: float,
    *,
    min_burn: float = 0.0,
    horizon_seconds: float | None = None,
) -> float | None:
    """:func:`exhaustion_seconds` for one instant: an epoch second, or None."""
    value = float(
        exhaustion_seconds(
            at_seconds, remaining, burn, period_seconds, min_burn=min_burn, horizon_seconds=horizon_seconds
        )
    )
    return None if np.isnan(value) else value
