"""Which currency each fundamentals figure is in: established by reconciliation, not labels.

Yahoo's labels are claims, and the recorded payloads show them failing both ways (see
``docs/valuation.md``): BEKE's ``trailingEps`` 0.49 is USD per ADS although the company
reports in CNY, while its totals and ``bookValue`` are CNY; THYAO.IS says
``financialCurrency: USD`` but its totals are TRY. So for each listing the per-share figure
and the totals are tried in each candidate currency (the quote currency and the labelled
reporting currency) and kept in the pair that passes every check that can be made:

* **totals**: ``trailingEps`` against ``netIncomeToCommon / sharesOutstanding``, both in the
  quote currency at the price date's FX, within :data:`TOTALS_TOLERANCE` (diluted EPS and
  net income over the latest share count differ by a few percent: 0.3-8 % on the recorded
  listings);
* **Yahoo's ratio**: ``trailingEps`` against the EPS inside Yahoo's own ``trailingPE``
  (Yahoo's price / its ratio) within :data:`RATIO_TOLERANCE`: Yahoo divides its price by its
  EPS without converting, and its summaryDetail/quote ``trailingPE`` is right for the
  recorded ADRs (BEKE 42.65 = 20.90 / 0.49), so it anchors the EPS in the quote currency.

Candidates are tried in the order (EPS in quote currency, totals in the reporting label),
(reporting, reporting), (quote, quote), (reporting, quote): the labels decide only where the
evidence cannot tell (EUR vs USD at 1.05 sits inside the tolerance; totals alone say only
whether EPS and totals share a currency, not which).
A pair passes when no check fails and at least one was made; among passing pairs the one
whose totals fit best wins (HKD and CNY differ by only 7 %, inside the tolerance), then the
order above. When none passes the figures
are used as quote currency / reporting label and the result says ``reconciled: False``:
the reply marks such multiples, it never presents them as checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from analytics.data.fundamentals import Fundamentals
from analytics.data.fx import FxTable, major_currency

#: Per-share EPS vs net income / shares (both in the quote currency): relative difference.
TOTALS_TOLERANCE = 0.10
#: price / EPS vs Yahoo's own trailingPE (Yahoo's price may be a few minutes or days off).
RATIO_TOLERANCE = 0.03


@dataclass(frozen=True, slots=True)
class Units:
    """The established currencies of one listing's fundamentals."""

    quote: str
    #: Currency of ``trailingEps`` / ``forwardEps`` (per listed share).
    eps_currency: str
    #: Currency of the totals and ``bookValue`` (``totalRevenue``, ``ebitda``, debt, cash).
    statement_currency: str
    reconciled: bool
    #: The checks made, in words (for notes and docs).
    evidence: tuple[str, ...] = field(default_factory=tuple)
    #: Set when the evidence contradicts Yahoo's ``financialCurrency`` label.
    label_note: str | None = None

    @property
    def eps_source(self) -> str:
        """``quote-currency`` or ``converted from CNY`` (the JSON ``eps_source``)."""
        if self.eps_currency == self.quote:
            return "quote-currency"
        return f"converted from {self.eps_currency}"


def convert(fx: FxTable, value: float, source: str, target: str, day: date) -> float | str:
    """``value`` in currency ``source`` expressed in ``target`` on ``day`` (via USD);
    a string says why it cannot be (no rate within the allowed age)."""
    if source == target:
        return value
    usd = fx.to_usd(value, source, day)
    if isinstance(usd, str):
        return usd
    rate = fx.rate(target, day)
    if isinstance(rate, str):
        return rate
    _, divisor = major_currency(target)
    return usd[0] * rate.per_usd * divisor


def close(a: float, b: float, tolerance: float) -> bool:
    """Same sign and within ``tolerance`` of each other, relative to ``b``."""
    return b != 0 and a * b > 0 and abs(a / b - 1.0) <= tolerance


def establish_units(f: Fundamentals, price: float, quote: str, fx: FxTable, day: date) -> Units:
    """The currencies of ``f``'s per-share figures and totals for a listing quoted in
    ``quote`` at ``price`` on ``day`` (see the module docstring)."""
    label = f.text("financialCurrency") or f.text("currency") or quote
    eps = f.number("trailingEps")
    income, shares = f.number("netIncomeToCommon"), f.number("sharesOutstanding")
    yahoo_pe = f.number("trailingPE")
    # Yahoo's ratio is judged with Yahoo's own price: .info takes both from /v7 quote, which
    # may be days older than our close (SPOT: 5 % apart in the recordings).
    yahoo_price = f.number("regularMarketPrice") or f.number("currentPrice") or price
    order = [(quote, label), (label, label), (quote, quote), (label, quote)]
    candidates = list(dict.fromkeys(order))
    if eps is None or eps == 0:
        return Units(quote, quote, label, False, ("no trailing EPS to reconcile",))

    def in_quote(value: float, currency: str) -> float | None:
        converted = convert(fx, value, currency, quote, day)
        return None if isinstance(converted, str) else converted

    passing: list[tuple[float, int, Units]] = []
    for rank, (eps_cur, total_cur) in enumerate(candidates):
        evidence: list[str] = []
        verdicts: list[bool] = []
        error = float("inf")  # totals mismatch; the best fit wins among passing pairs
        eps_q = in_quote(eps, eps_cur)
        if eps_q is None:
            continue
        if yahoo_pe is not None and yahoo_pe > 0 and eps_q > 0:
            ok = close(eps_q, yahoo_price / yahoo_pe, RATIO_TOLERANCE)
            verdicts.append(ok)
            evidence.append(
                f"EPS {eps_q:.4g} {quote} {'matches' if ok else 'differs from'} the one in "
                f"Yahoo's trailingPE ({yahoo_price:.4g} / {yahoo_pe:.4g} = "
                f"{yahoo_price / yahoo_pe:.4g})"
            )
        if income is not None and shares:
            per_share = in_quote(income / shares, total_cur)
            if per_share is not None:
                ok = close(eps_q, per_share, TOTALS_TOLERANCE)
                verdicts.append(ok)
                error = abs(eps_q / per_share - 1.0) if per_share else error
                evidence.append(
                    f"EPS {eps:.4g} {eps_cur} = {eps_q:.4g} {quote} "
                    f"{'reconciles with' if ok else 'does not reconcile with'} net income / shares "
                    f"{income / shares:.4g} {total_cur} = {per_share:.4g} {quote}"
                )
        if verdicts and all(verdicts):
            note = None
            if total_cur != label:
                note = f"totals reconcile in {total_cur}, not the labelled {label}"
            units = Units(quote, eps_cur, total_cur, True, tuple(evidence), note)
            passing.append((round(error, 3), rank, units))
    if passing:
        return min(passing, key=lambda p: (p[0], p[1]))[2]
    return Units(quote, quote, label, False, ("no currency pair reconciles",))
