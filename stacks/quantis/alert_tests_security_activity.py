"""Alert tests (promtool's, typed) of the issue-18 alerts the synthesiser cannot write: see ALERTS.

AuthorizationDenySpike (security_alerts.py), ActiveUsersMissing and each pair's
FunnelConversionLow (activity_alerts.py). Every rule aggregates the api job ``by (job)``, so a
series on the safe side cannot share a test with one that fires: each safe case is a test of
its own, in which the alert never fires. Rates are set relative to the thresholds in config.py.
"""

from __future__ import annotations

from obscode import AlertExpectation, AlertTest, ExpectedAlert, InputSeries

from .activity_alerts import CATEGORY as ACTIVITY_CATEGORY, funnel_pairs
from .alert_tests import _at, _expected, _quiet_then_firing, _samples, _seconds
from .alerts import _human, _labels
from .config import CONFIG, QuantisConfig
from .security_alerts import WINDOW as SECURITY_WINDOW

#: The rate() window of ActiveUsersMissing's requests with a plan (activity_alerts.py).
USAGE_WINDOW = "5m"

#: The alerts these tests name.
ALERTS: tuple[str, ...] = ("AuthorizationDenySpike", "ActiveUsersMissing", "FunnelConversionLow")


def _counter(series: str, per_second: float, config: QuantisConfig, end: int) -> InputSeries:
    """A counter growing ``per_second`` from 0, sampled every evaluation interval."""
    return InputSeries(series=series, values=f"0+{per_second * _seconds(config.evaluation_interval):.10g}x{end}")


def _never(alertname: str, *seconds: float) -> list[AlertExpectation]:
    """No ``alertname`` at any of the ``seconds``."""
    return [AlertExpectation(eval_time=_at(at), alertname=alertname) for at in seconds]


# --- AuthorizationDenySpike -------------------------------------------------------------------

def _decisions(config: QuantisConfig, deny_per_second: float, deny_share: float, end: int) -> list[InputSeries]:
    """The api job's decisions: ``deny_per_second`` denials, ``deny_share`` of all decisions,
    the allowed ones split over two resources (the rule sums them)."""
    job = config.api
    allow_per_second = deny_per_second * (1 - deny_share) / deny_share
    labels = f'job="{job.name}", instance="{job.targets[0]}", action="read"'
    return [
        _counter(f'audit_authorization_decisions_total{{{labels}, decision="deny", resource="forecast"}}',
                 deny_per_second, config, end),
        _counter(f'audit_authorization_decisions_total{{{labels}, decision="allow", resource="forecast"}}',
                 allow_per_second / 2, config, end),
        _counter(f'audit_authorization_decisions_total{{{labels}, decision="allow", resource="model"}}',
                 allow_per_second / 2, config, end),
    ]


def authorization_deny_spike(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    """Denials above both the share and the rate alert after `for`; a quiet night of nothing but
    denials (share 1, rate below the floor) never does, nor a busy service that mostly allows."""
    s, job, hold = config.security, config.api, _seconds(config.security.for_deny_spike)
    # rate() divides by the whole window: it reaches the series' rate once the window is full.
    fire, later = _seconds(SECURITY_WINDOW) + hold + 120, _seconds(SECURITY_WINDOW) + hold + 600
    end = _samples(config, later)
    spike_share, spike_rate = (1 + s.deny_ratio_above) / 2, s.deny_rate_above * 2
    alert = _expected(
        config, "AuthorizationDenySpike", {**_labels("warning", "security", job.name, s.owner), "job": job.name},
        f"Authorization denials on {job.name}",
        f"More than {s.deny_ratio_above * 100:g}% of the authorization decisions of {job.name} were denials "
        f"(over {s.deny_rate_above:g} per second) for {_human(s.for_deny_spike)}")
    return [
        AlertTest(name="authorization-deny-spike",
                  input_series=_decisions(config, spike_rate, spike_share, end),
                  alert_rule_test=_quiet_then_firing("AuthorizationDenySpike", hold - 60, fire, [alert])),
        AlertTest(name="authorization-deny-spike-quiet-night",
                  input_series=_decisions(config, s.deny_rate_above / 2, 1.0, end),
                  alert_rule_test=_never("AuthorizationDenySpike", fire, later)),
        AlertTest(name="authorization-deny-spike-mostly-allowed",
                  input_series=_decisions(config, spike_rate, s.deny_ratio_above / 2, end),
                  alert_rule_test=_never("AuthorizationDenySpike", fire, later)),
    ]


# --- ActiveUsersMissing -----------------------------------------------------------------------

def _usage(config: QuantisConfig, signed_in_per_second: float, anonymous_per_second: float,
           users_5m: float, end: int) -> list[InputSeries]:
    """The api job's requests with a plan and without one (plan="none"), and its active_users:
    ``users_5m`` in the 5-minute window, some in the hour's (which the rule does not read)."""
    job = config.api
    labels = f'job="{job.name}", instance="{job.targets[0]}", path="/api/forecast"'
    users = f'active_users{{job="{job.name}", instance="{job.targets[0]}"'
    return [
        _counter(f'api_usage_total{{{labels}, plan="{config.activity.plans[0]}"}}', signed_in_per_second, config, end),
        _counter(f'api_usage_total{{{labels}, plan="none"}}', anonymous_per_second, config, end),
        InputSeries(series=f'{users}, window="5m"}}', values=f"{users_5m:g}x{end}"),
        InputSeries(series=f'{users}, window="1h"}}', values=f"12x{end}"),
    ]


def active_users_missing(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    """Signed-in requests above the rate with no user seen in 5 minutes alert after `for` (users
    in the hour's window do not help); with users seen, or with only requests that have no plan,
    it never fires."""
    a, job, hold = config.activity, config.api, _seconds(config.activity.for_active_users_missing)
    fire, later = _seconds(USAGE_WINDOW) + hold + 120, _seconds(USAGE_WINDOW) + hold + 600
    end = _samples(config, later)
    busy = a.identified_requests_min_rate * 2
    alert = _expected(
        config, "ActiveUsersMissing", {**_labels("warning", ACTIVITY_CATEGORY, job.name, a.owner), "job": job.name},
        f"Requests arrive on {job.name} but no user is identified",
        f"More than {a.identified_requests_min_rate:g} requests per second with a plan, and no user id seen "
        f"in 5 minutes, for {_human(a.for_active_users_missing)}: is X-User-Id still reaching the service?")
    return [
        AlertTest(name="active-users-missing",
                  input_series=_usage(config, busy, busy, 0, end),
                  alert_rule_test=_quiet_then_firing("ActiveUsersMissing", hold - 60, fire, [alert])),
        AlertTest(name="active-users-missing-users-seen",
                  input_series=_usage(config, busy, busy, 3, end),
                  alert_rule_test=_never("ActiveUsersMissing", fire, later)),
        AlertTest(name="active-users-missing-anonymous-only",
                  input_series=_usage(config, a.identified_requests_min_rate / 2, busy * 10, 0, end),
                  alert_rule_test=_never("ActiveUsersMissing", fire, later)),
    ]


# --- FunnelConversionLow ----------------------------------------------------------------------

def _humanize_percentage(ratio: float) -> str:
    """What Prometheus' ``humanizePercentage`` writes for ``ratio`` (Go's ``%.4g%%`` of ratio * 100)."""
    return f"{ratio * 100:.4g}%"


def _funnel_alert(config: QuantisConfig, before: str, after: str, ratio: float) -> ExpectedAlert:
    a, job = config.activity, config.api.name
    return _expected(
        config, "FunnelConversionLow",
        {**_labels("warning", ACTIVITY_CATEGORY, job, a.owner), "job": job, "funnel_from": before, "funnel_to": after},
        f"Few users go on from {before} to {after}",
        f"{after} was used less than {a.funnel_conversion_below * 100:g}% as often as {before} over "
        f"{_human(a.funnel_window)}, for {_human(a.for_funnel_conversion)}: {_humanize_percentage(ratio)}")


def _funnel_test(config: QuantisConfig, index: int, never_used: bool = False) -> AlertTest:
    """The funnel pair ``index`` converts poorly and alerts after `for`; every other pair does not.

    Signed-in users (plan "pro") walk the funnel: each step up to the pair's earlier one at a
    conversion well above the threshold, the pair's later step at half the threshold (or, with
    ``never_used``, not at all: the rule counts it as 0). The steps past the pair are not used, so
    the next pair's earlier step is below ``funnel_min_rate``: too quiet to judge, it never fires.
    Clients without a plan use every step often (they would lift the conversion if counted)."""
    a, job, hold = config.activity, config.api, _seconds(config.activity.for_funnel_conversion)
    # The window full of samples: the rates, and so the conversion in the annotation, are exact.
    fire = _seconds(a.funnel_window) + hold + 120
    end = _samples(config, fire + 60)
    pairs = funnel_pairs(config)
    before, after = pairs[index]
    good, poor = (1 + a.funnel_conversion_below) / 2, 0 if never_used else a.funnel_conversion_below / 2
    # The first step's rate, so each step up to the pair's earlier one stays above the least rate.
    rate = a.funnel_min_rate * 4 / good ** index
    labels = f'job="{job.name}", instance="{job.targets[0]}"'
    rates: dict[str, float] = {}
    for step_index, step in enumerate(a.funnel):
        rates[step] = rate
        rate *= good if step_index < index else poor if step_index == index else 0
    series = []
    for step, per_second in rates.items():
        if per_second:
            series.append(_counter(f'feature_usage_total{{{labels}, feature="{step}", plan="pro"}}',
                                   per_second, config, end))
        series.append(_counter(f'feature_usage_total{{{labels}, feature="{step}", plan="none"}}',
                               a.funnel_min_rate * 10, config, end))
    # The pair's conversion: its later step's rate over its earlier one's (0 when never used).
    ratio = rates[after] / rates[before]
    return AlertTest(
        name=f"funnel-conversion-low-{before}-{after}" + ("-never-used" if never_used else ""),
        input_series=series,
        alert_rule_test=_quiet_then_firing("FunnelConversionLow", hold - 60, fire,
                                           [_funnel_alert(config, before, after, ratio)]),
    )


def funnel_conversion_low(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    """One test per funnel pair (each pair is a rule of its own), and the last pair's later step
    never used at all."""
    last = len(funnel_pairs(config)) - 1
    return [*(_funnel_test(config, index) for index in range(last + 1)), _funnel_test(config, last, never_used=True)]


def alert_tests(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    return [*authorization_deny_spike(config), *active_users_missing(config), *funnel_conversion_low(config)]
