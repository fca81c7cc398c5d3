"""Service level objectives: an SLI (a ratio of events, or latency under a histogram bound),
an objective over a period, and the multi-window burn-rate tiers that alert on it
(``Stack.slos``; obscode/slo/ turns each into rules, alerts, an inhibit rule, a dashboard and
promtool tests that prove each tier's detection time — docs/slo.md)."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from obscode.model import text
from obscode.model.base import Model
from obscode.model.duration import Duration, parse_duration

_SLO_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
#: Significant digits of a threshold whose exact decimal never ends.
THRESHOLD_DIGITS = 12
_PERIOD_MS = {"28d": 28 * 86400_000, "30d": 30 * 86400_000}


class BurnRateTier(Model):
    """Alert when the SLI burns ``budget_share`` of the period's error budget within
    ``long_window``, confirmed by ``short_window`` (so the alert resets soon after the burn stops).

    The burn-rate factor is ``budget_share × period ÷ long_window``: 2 % in 1 h of 30 days is 14.4."""

    kind = "burn-rate tier"
    name_field = "name"

    #: The tier's name, in the alert's ``slo_tier`` label: ``page-fast``.
    name: str
    #: The share of the period's error budget consumed within ``long_window`` that alerts (0.02 = 2 %).
    budget_share: Decimal
    #: The long window: the burn must hold over it.
    long_window: Duration
    #: The short window (typically 1/12 of the long one): the burn must still be going on.
    short_window: Duration
    #: ``page`` (someone acts now) or ``ticket`` (someone acts within days); a page tier mutes
    #: the ticket tiers of the same SLO (an inhibit rule).
    action: Literal["page", "ticket"]
    #: The alert's severity label; default: ``critical`` for a page, ``warning`` for a ticket.
    severity: str = ""
    #: More labels on this tier's alert, for routing.
    labels: dict[str, str] = Field(default_factory=dict)
    #: The burn-rate factor itself, instead of working it out from ``budget_share`` (the local
    #: profile keeps production's factors on shortened windows this way).
    burn_rate: Decimal | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SLO_NAME.match(value):
            raise ValueError(f"tier name {value!r}: use lower-case letters, digits and '-', e.g. 'page-fast'")
        return value

    @field_validator("budget_share")
    @classmethod
    def _share(cls, value: Decimal) -> Decimal:
        if not Decimal(0) < value <= Decimal(1):
            raise ValueError(f"budget_share {value} must be a share of the budget in (0, 1], e.g. 0.02 for 2 %")
        return value

    @model_validator(mode="after")
    def _windows(self) -> "BurnRateTier":
        if parse_duration(self.short_window) >= parse_duration(self.long_window):
            raise ValueError(f"short_window {self.short_window} must be shorter than long_window {self.long_window}")
        if not self.severity:
            self.severity = "critical" if self.action == "page" else "warning"
        return self

    def factor(self, period: str) -> Decimal:
        """The burn-rate factor: how many times faster than sustainable the budget burns."""
        if self.burn_rate is not None:
            return self.burn_rate
        return self.budget_share * Decimal(_PERIOD_MS[period]) / Decimal(parse_duration(self.long_window))


def workbook_tiers() -> list[BurnRateTier]:
    """The Google SRE workbook's tiers: 2 % of the budget in 1 h (5 m) and 5 % in 6 h (30 m)
    page; 10 % in 1 d (2 h) and 10 % in 3 d (6 h) open a ticket (factors 14.4, 6, 3 and 1 over 30 days)."""
    return [
        BurnRateTier(name="page-fast", budget_share=Decimal("0.02"), long_window="1h", short_window="5m", action="page"),
        BurnRateTier(name="page-slow", budget_share=Decimal("0.05"), long_window="6h", short_window="30m",
                     action="page"),
        BurnRateTier(name="ticket-fast", budget_share=Decimal("0.1"), long_window="1d", short_window="2h",
                     action="ticket"),
        BurnRateTier(name="ticket-slow", budget_share=Decimal("0.1"), long_window="3d", short_window="6h",
                     action="ticket"),
    ]


class RatioSLI(Model):
    """Bad (or good) events over all events, from two counters: PromQL selectors such as
    ``http_requests_total{job="api", status=~"5.."}`` over ``http_requests_total{job="api"}``."""

    kind = "ratio SLI"

    #: Every event: a counter selector.
    total: str
    #: The bad events (a counter selector); give this or ``good``.
    bad: str = ""
    #: The good events (a counter selector); give this or ``bad``.
    good: str = ""
    #: The SLI kind (set by the class).
    type: Literal["ratio"] = "ratio"

    @model_validator(mode="after")
    def _one_of(self) -> "RatioSLI":
        if bool(self.bad) == bool(self.good):
            raise ValueError("a ratio SLI takes exactly one of bad= and good= (with total=)")
        return self


class LatencySLI(Model):
    """The share of requests slower than ``threshold`` seconds, from a histogram: the bucket
    ``le=threshold`` counts the good ones. The threshold must be a bucket bound of the histogram
    (checked against the catalog); ``le`` is matched in both the Prometheus 2 and 3 spellings."""

    kind = "latency SLI"

    #: The histogram, as a selector of its base name: ``http_request_duration_seconds{job="api"}``.
    histogram: str
    #: The latency objective in seconds, a bucket bound: ``0.5``.
    threshold: Decimal
    #: The SLI kind (set by the class).
    type: Literal["latency"] = "latency"


def _sli_kind(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("type") or ("latency" if "histogram" in value else "ratio"))
    return "latency" if isinstance(value, LatencySLI) else "ratio"


SLI = Annotated[Annotated[RatioSLI, Tag("ratio")] | Annotated[LatencySLI, Tag("latency")], Discriminator(_sli_kind)]


class SLO(Model):
    """One service level objective. ``SLO(name="api-availability", service="api", objective=99.9,
    sli=RatioSLI(...))`` is enough: the period defaults to 30 days and the tiers to the SRE workbook's."""

    kind = "SLO"
    name_field = "name"

    #: The SLO's name (lower case, digits and ``-``): the ``slo`` label of its rules and alerts.
    name: str
    #: The service it is about: the ``service`` label of its rules and alerts.
    service: str
    #: The objective in percent of good events: ``99.9``.
    objective: Decimal
    #: The SLI.
    sli: SLI
    #: The period the objective holds over: ``30d`` or ``28d``.
    period: Literal["28d", "30d"] = "30d"
    #: The burn-rate tiers that alert; ``[]`` for an SLO that only records (and draws).
    tiers: list[BurnRateTier] = Field(default_factory=workbook_tiers)
    #: What the SLO promises, in words: the alerts' description starts with it.
    description: str = ""
    #: More labels on every alert of the SLO (``team``, ``owner``…), for routing.
    labels: dict[str, str] = Field(default_factory=dict)
    #: The runbook of the SLO's alerts (``runbook_url`` annotation).
    runbook_url: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SLO_NAME.match(value):
            raise ValueError(f"SLO name {value!r}: use lower-case letters, digits and '-', e.g. 'api-availability'")
        return value

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if not value:
            raise ValueError("service is empty: name the service the SLO is about")
        return text.check(value, "service")

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: Decimal) -> Decimal:
        if not Decimal(0) < value < Decimal(100):
            raise ValueError(f"objective {value} is a percentage of good events, between 0 and 100 "
                             "(exclusive), e.g. 99.9")
        return value

    @model_validator(mode="after")
    def _tiers(self) -> "SLO":
        names = [tier.name for tier in self.tiers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two tiers are named {name!r}")
        for tier in self.tiers:
            if tier.factor(self.period) * self.budget > 1:
                raise ValueError(f"tier {tier.name}: burning {tier.budget_share} of a {self.period} budget within "
                                 f"{tier.long_window} needs an error ratio of {tier.factor(self.period) * self.budget}, "
                                 "above 1: the tier can never fire; lengthen the window or lower the share")
        return self

    @property
    def budget(self) -> Decimal:
        """The error budget: the share of bad events allowed (0.001 for 99.9 %)."""
        return (Decimal(100) - self.objective) / Decimal(100)

    def threshold(self, tier: BurnRateTier) -> Decimal:
        """The error ratio a tier alerts above: factor × budget, an exact decimal — or, when
        that decimal never ends (10 % of a 28-day budget in 3 days: 0.9333… × budget), rounded
        to :data:`THRESHOLD_DIGITS` significant digits, far below any measurable error ratio."""
        exact = tier.factor(self.period) * self.budget
        if len(exact.normalize().as_tuple().digits) > THRESHOLD_DIGITS:
            with localcontext() as context:
                context.prec = THRESHOLD_DIGITS
                exact = +exact
        return exact.normalize()
