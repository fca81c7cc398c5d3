"""YAML read with the line of every mapping, key and list item, for problems that name
the input file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from obscode.importers.problems import Collector

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Mapping(dict):  # type: ignore[type-arg]
    """A YAML mapping that knows its line, the line of each key, and each scalar's source text."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}
        self.raw: dict[Any, str] = {}
        self.duplicates: list[tuple[Any, int]] = []

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def text(self, key: Any) -> Any:
        """The value as Prometheus reads a string field: a scalar's own text (``for: 0``, ``severity: 1``)."""
        value = self.get(key)
        if value is None or isinstance(value, str) or isinstance(value, (dict, list)):
            return value
        return self.raw.get(key, str(value))


class Sequence(list):  # type: ignore[type-arg]
    """A YAML list that knows its line and the line of each item."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    pass


def _mapping(loader: Any, node: yaml.MappingNode) -> Iterator[Mapping]:
    data = Mapping()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "found an unhashable key", key_node.start_mark) from None
        line = key_node.start_mark.line + 1
        if key in data:
            data.duplicates.append((key, line))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line
        if isinstance(value_node, yaml.ScalarNode):
            data.raw[key] = value_node.value


def _sequence(loader: Any, node: yaml.SequenceNode) -> Iterator[Sequence]:
    data = Sequence()
    data.line = node.start_mark.line + 1
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.item_lines.append(item.start_mark.line + 1)


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)


def load_documents(path: Path, report: Collector) -> list[Any] | None:
    """Every document of the YAML file ``path`` (``None`` for an empty one), or ``None``
    after reporting why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        report.error(str(path), None, f"cannot read it: {exc.strerror or exc}")
        return None
    except UnicodeDecodeError:
        report.error(str(path), None, "is not UTF-8 text")
        return None
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        report.error(str(path), line, f"is not valid YAML: {exc.problem or exc}")
    except yaml.YAMLError as exc:
        report.error(str(path), None, f"is not valid YAML: {exc}")
    return None


def report_duplicates(data: Any, file: str, report: Collector) -> None:
    """Every key given twice in one mapping, anywhere in ``data``: the tools reject them."""
    if isinstance(data, Mapping):
        for key, line in data.duplicates:
            report.error(file, line, f"key {key!r} is given twice in this mapping; keep one")
        for value in data.values():
            report_duplicates(value, file, report)
    elif isinstance(data, list):
        for value in data:
            report_duplicates(value, file, report)


def load_mapping(path: Path, report: Collector, expected: str) -> Mapping | None:
    """The one YAML mapping of a configuration file (its duplicate keys reported), or ``None``
    after reporting that the file is not ``expected`` (e.g. "an Alertmanager configuration is
    one YAML mapping with route and receivers")."""
    documents = load_documents(path, report)
    if documents is None:
        return None
    if len(documents) != 1 or not isinstance(documents[0], Mapping):
        report.error(str(path), None, expected)
        return None
    report_duplicates(documents[0], str(path), report)
    return documents[0]
