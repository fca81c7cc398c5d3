"""prometheus/prometheus.yml, prometheus/rules/<file>.yml and the alert tests:
prometheus/tests/<name>.yml (one per AlertTest, reading the rule files) and
prometheus/tests/synthesised.yml (reading prometheus/tests/rules/synthesised.yml, a copy of
just the alerts under test: promtool evaluates every loaded rule at every step, which for a
large rule set made one synthesised test take minutes).

The models' fields are walked (obscode.emit.fields); the steps after the walk are Prometheus'
own: expressions without the whitespace around a triple-quoted string, ``rules`` last in a
group and no field of another output (Thanos, Mimir), ``rule_files`` from the stack, and the
scrape ``authorization`` type."""

from __future__ import annotations

#: The name of this output in ``Stack.outputs``.
FORMAT = "prometheus"

from typing import Any

from pydantic import BaseModel

from obscode import paths
from obscode.emit import fields
from obscode.emit.yaml_out import dump, header_for
from obscode.errors import DefinitionError
from obscode.model.alert_tests import AlertTest
from obscode.model.rules import AlertRule, RecordingRule, RuleFile, RuleGroup
from obscode.model.scrape import PrometheusConfig
from obscode.stack import Stack

TESTS_DIR = "prometheus/tests"
SYNTHESISED = f"{TESTS_DIR}/synthesised.yml"
SYNTHESISED_RULES = f"{TESTS_DIR}/rules/synthesised.yml"

#: AlertTest fields written at the top of its test file, not in its test group.
TEST_FILE_FIELDS = ("evaluation_interval", "rules")

#: RuleGroup fields only other outputs write (obscode.emit.thanos, obscode.emit.mimir).
OTHER_OUTPUTS_GROUP_FIELDS = ("partial_response_strategy", "source_tenants")


def emit(stack: Stack) -> dict[str, bytes]:
    header = header_for(stack.name)
    files = {}
    if stack.prometheus is not None:
        files[paths.PROMETHEUS_CONFIG] = dump(config_data(stack.prometheus, [f.path for f in stack.rule_files]),
                                              header)
    for rule_file in stack.rule_files:
        files[f"prometheus/{rule_file.path}"] = dump(rule_file_data(rule_file), header)
    files.update(alert_test_files(stack, header))
    return files


def data(model: BaseModel, **options: Any) -> dict[str, Any]:
    """Any Prometheus model as Prometheus reads it (the fields walked, secrets as ``*_file``)."""
    return fields.data(model, "Prometheus", **options)


def config_data(config: PrometheusConfig, rule_files: list[str]) -> dict[str, Any]:
    """prometheus.yml: ``config`` with ``rule_files`` (the stack's) before the scrape jobs."""
    walked = data(config)
    out = {key: value for key, value in walked.items() if key != "scrape_configs"}
    if rule_files:
        out["rule_files"] = list(rule_files)
    out["scrape_configs"] = [_bearer(job) for job in walked["scrape_configs"]]
    return out


def _bearer(job: dict[str, Any]) -> dict[str, Any]:
    """A scrape job whose ``authorization`` (the bearer token) says its type, as obscode always wrote it."""
    if "authorization" not in job:
        return job
    return {**job, "authorization": {"type": "Bearer", **job["authorization"]}}


def rule_file_data(rule_file: RuleFile) -> dict[str, Any]:
    """One rule file as Prometheus reads it: ``{"groups": [...]}``. Every other output that
    carries rules (PrometheusRule, Thanos, Mimir) starts from this."""
    return {"groups": [group_data(group) for group in rule_file.groups]}


def group_data(group: RuleGroup) -> dict[str, Any]:
    """One rule group as Prometheus reads it (no Thanos or Mimir fields)."""
    return _group(group, group.rules)


def rule_data(rule: AlertRule | RecordingRule) -> dict[str, Any]:
    """One alerting or recording rule as Prometheus reads it."""
    out = data(rule)
    out["expr"] = out["expr"].strip()
    return out


def _group(group: RuleGroup, rules: list[AlertRule | RecordingRule]) -> dict[str, Any]:
    return {**data(group, skip=("rules", *OTHER_OUTPUTS_GROUP_FIELDS)), "rules": [rule_data(r) for r in rules]}


def alert_test_data(test: AlertTest, evaluation_interval: str, external_labels: dict[str, str]) -> dict[str, Any]:
    """One promtool test group: the test, with the stack's evaluation interval and external
    labels where it gives none."""
    labels = test.external_labels if test.external_labels is not None else external_labels
    out = data(test.model_copy(update={"interval": test.interval or evaluation_interval,
                                       "external_labels": labels or None}), skip=TEST_FILE_FIELDS)
    for expectation in out.get("promql_expr_test", []):
        expectation["expr"] = expectation["expr"].strip()
    return out


def alert_test_files(stack: Stack, header: str) -> dict[str, bytes]:
    """The promtool test files of ``stack``: its AlertTests, and the synthesised tests when
    ``stack.synthesise_alert_tests``. Rule files are named relative to the test file."""
    _check_alert_tests(stack)
    files: dict[str, bytes] = {}
    for test in stack.alert_tests:
        group = alert_test_data(test, stack.global_config.evaluation_interval, stack.global_config.external_labels)
        rule_files = None
        if test.rules is not None:
            copy = f"# The rules alert test {test.name} is about, as in ../../rules/, and nothing else.\n"
            files[f"{TESTS_DIR}/rules/{test.name}.yml"] = dump(rule_file_data(test.rules), header + copy)
            rule_files = [f"rules/{test.name}.yml"]
        files[f"{TESTS_DIR}/{test.name}.yml"] = dump(_test_file(stack, [group], rule_files,
                                                                test.evaluation_interval), header)
    if stack.synthesise_alert_tests and stack.rule_files:
        from obscode.alert_tests.synthesis import synthesise

        synthesis = synthesise(stack)
        if synthesis.tests:
            notes = "".join(dict.fromkeys(f"# Not synthesised: {s.alert.alert}: {s.reason}\n"
                                          for s in synthesis.skipped))
            groups = [group for test in synthesis.tests for group in test.groups]
            intro = ("# Tests obscode synthesised from the catalog for the alerts no AlertTest names:\n"
                     "# series that cross the threshold fire after `for`, series on the safe side do not.\n")
            files[SYNTHESISED] = dump(_test_file(stack, groups, ["rules/synthesised.yml"]), header + intro + notes)
            copy = "# The alerts the synthesised tests are about, as in ../../rules/, and nothing else.\n"
            files[SYNTHESISED_RULES] = dump(_rules_under_test(stack, {id(t.alert) for t in synthesis.tests}),
                                            header + copy)
    return files


def _test_file(stack: Stack, groups: list[dict[str, Any]], rule_files: list[str] | None = None,
               evaluation_interval: str | None = None) -> dict[str, Any]:
    return {
        "rule_files": rule_files or [f"../{rule_file.path}" for rule_file in stack.rule_files],
        "evaluation_interval": evaluation_interval or stack.global_config.evaluation_interval,
        "tests": groups,
    }


def _rules_under_test(stack: Stack, alerts: set[int]) -> dict[str, Any]:
    """The groups holding ``alerts`` (by id), each with its own settings and only those alerts."""
    groups = []
    for rule_file in stack.rule_files:
        for group in rule_file.groups:
            rules = [rule for rule in group.rules if id(rule) in alerts]
            if rules:
                groups.append(_group(group, rules))
    return {"groups": groups}


def _check_alert_tests(stack: Stack) -> None:
    """Alert names and test names the stack's rules and files can hold (a test alone cannot know)."""
    from obscode.catalog_index import closest_series

    alerts = sorted({alert.alert for _file, alert in stack.alerts()})
    seen: set[str] = set()
    for test in stack.alert_tests:
        if test.name in seen:
            raise _error(stack, test, "name", f"two alert tests are named {test.name!r}; each is written to "
                                              f"{TESTS_DIR}/<name>.yml, so names must be unique")
        seen.add(test.name)
        for expectation in test.alert_rule_test:
            if expectation.alertname in alerts:
                continue
            close = closest_series(expectation.alertname, alerts)
            hint = f"did you mean {close}? " if close else ""
            raise _error(stack, test, "alert_rule_test.alertname",
                         f"alert {expectation.alertname!r} (at eval_time {expectation.eval_time}) is not an alert "
                         f"of the stack; {hint}alerts: {', '.join(alerts) or 'none'}")


def _error(stack: Stack, test: AlertTest, field: str, message: str) -> DefinitionError:
    return DefinitionError(obj=f"alert test {test.name}", field=field, message=message, stack=stack.name,
                           source=test.source)
