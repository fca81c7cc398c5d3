"""The templates a synthesised test renders, as Prometheus renders them (or not at all)."""

from __future__ import annotations

import pytest

from obscode.alert_tests.templates import TemplateData, Unrenderable, go_float, labels_read, render

DATA = TemplateData(labels={"job": "api", "instance": "api:8000"}, external_labels={"cluster": "eu"},
                    external_url=None, value=0.5)


@pytest.mark.parametrize(("value", "text"), [
    (20.0, "20"), (0.5, "0.5"), (-3.25, "-3.25"), (1e21, "1e+21"), (123456789012345680000.0, "123456789012345680000"),
    (0.0001, "0.0001"), (0.00001, "1e-05"), (float("inf"), "+Inf"), (float("nan"), "NaN"), (0.0, "0"),
    (16.5, "16.5"), (1.1015625, "1.1015625"),
])
def test_values_print_as_go_prints_a_float64(value: float, text: str) -> None:
    assert go_float(value) == text


@pytest.mark.parametrize(("template", "text"), [
    ("{{ $labels.job }} on {{ .Labels.instance }}", "api on api:8000"),
    ("{{$labels.job}}", "api"),
    ("in {{ $externalLabels.cluster }}", "in eu"),
    ("value {{ $value }}", "value 0.5"),
    ("a  {{- $labels.job -}}  b", "aapib"),
    ("plain text", "plain text"),
])
def test_renders_labels_values_and_whitespace_trimming(template: str, text: str) -> None:
    assert render(template, DATA) == text


@pytest.mark.parametrize(("template", "reason"), [
    ("{{ $value | humanize }}", "is not one obscode renders"),
    ('{{ printf "%.2f" $value }}', "is not one obscode renders"),
    ("{{ if $labels.job }}x{{ end }}", "is not one obscode renders"),
    ("{{ $labels.pod }}", "reads label 'pod', which the alert's expression does not keep"),
    ("{{ $externalURL }}", "prints $externalURL, which the test does not set"),
])
def test_anything_else_is_left_to_an_alert_test(template: str, reason: str) -> None:
    with pytest.raises(Unrenderable) as info:
        render(template, DATA)
    assert reason in str(info.value)


def test_value_of_an_inexact_expression_is_not_rendered() -> None:
    with pytest.raises(Unrenderable, match="does not make exact"):
        render("{{ $value }}", TemplateData(labels={}, external_labels={}, external_url=None, value=None))


def test_labels_read_lists_the_labels_a_template_needs() -> None:
    assert labels_read("{{ $labels.job }}/{{ .Labels.pod }} {{ $value }}") == ["job", "pod"]
