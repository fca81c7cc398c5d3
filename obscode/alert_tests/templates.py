"""Rendering the alert templates a synthesised test must expect, where that is certain.

promtool compares an alert's annotations exactly, so a synthesised test lists them rendered.
Only templates made of text and these actions are rendered: ``$labels.x`` / ``.Labels.x``,
``$externalLabels.x`` / ``.ExternalLabels.x``, ``$externalURL`` / ``.ExternalURL`` and
``$value`` / ``.Value`` (the latter only where the test knows the exact value). Anything
else (functions such as ``humanize``, pipelines, conditionals) raises :class:`Unrenderable`,
and the alert is left to a hand-written AlertTest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_ACTION = re.compile(r"\{\{(-\s)?\s*(.*?)\s*(\s-)?\}\}", re.DOTALL)
_LABEL = re.compile(r"^(?:\$labels|\.Labels)\.([a-zA-Z_][a-zA-Z0-9_]*)$")
_EXTERNAL = re.compile(r"^(?:\$externalLabels|\.ExternalLabels)\.([a-zA-Z_][a-zA-Z0-9_]*)$")


class Unrenderable(ValueError):
    """A template obscode cannot render with certainty."""


@dataclass(frozen=True)
class TemplateData:
    labels: dict[str, str]
    external_labels: dict[str, str]
    external_url: str | None
    #: The alert's value, or None when the test cannot know it exactly.
    value: float | None


def labels_read(text: str) -> list[str]:
    """The ``$labels.x`` names a template reads, in order."""
    found = []
    for match in _ACTION.finditer(text):
        label = _LABEL.match(match.group(2))
        if label:
            found.append(label.group(1))
    return found


def render(text: str, data: TemplateData) -> str:
    """``text`` rendered as Prometheus renders an alert template."""
    out: list[str] = []
    position = 0
    for match in _ACTION.finditer(text):
        before = text[position:match.start()]
        out.append(before.rstrip() if match.group(1) else before)
        out.append(_action(match.group(2), data))
        position = match.end()
        if match.group(3):
            rest = text[position:]
            position += len(rest) - len(rest.lstrip())
    tail = text[position:]
    if "{{" in tail or "}}" in tail:
        raise Unrenderable(f"unbalanced template braces in {text!r}")
    out.append(tail)
    return "".join(out)


def _action(action: str, data: TemplateData) -> str:
    label = _LABEL.match(action)
    if label:
        name = label.group(1)
        if name not in data.labels:
            raise Unrenderable(f"the template reads label {name!r}, which the alert's expression does not keep")
        return data.labels[name]
    external = _EXTERNAL.match(action)
    if external:
        return data.external_labels.get(external.group(1), "")
    if action in ("$externalURL", ".ExternalURL"):
        if data.external_url is None:
            raise Unrenderable("the template prints $externalURL, which the test does not set")
        return data.external_url
    if action in ("$value", ".Value"):
        if data.value is None:
            raise Unrenderable("the template prints $value, which this shape of expression does not make exact")
        return go_float(data.value)
    raise Unrenderable(f"the template action {{{{ {action} }}}} is not one obscode renders")


def go_float(value: float) -> str:
    """``value`` as Go's fmt prints a float64 with %v (what ``{{ $value }}`` shows)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + exponent  # position of the decimal point in the digit string
    scientific_exponent = point - 1
    prefix = "-" if sign else ""
    if scientific_exponent < -4 or scientific_exponent >= 21:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if scientific_exponent < 0 else '+'}{abs(scientific_exponent):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    if point >= len(text):
        return prefix + text + "0" * (point - len(text))
    return f"{prefix}{text[:point]}.{text[point:]}"
