"""The Python the importer writes: literals that read back to the same text."""

from __future__ import annotations

import ast
import textwrap

from hypothesis import given, strategies as st

from obscode.importers import pycode


@given(st.text())
def test_a_string_literal_reads_back_to_its_text(text: str) -> None:
    assert ast.literal_eval(pycode.string(text)) == text


@given(st.text())
def test_a_multi_line_text_reads_back_to_its_text(text: str) -> None:
    assert ast.literal_eval(pycode.render({"k": text + "\nsecond line"}, 2)) == {"k": text + "\nsecond line"}


@given(st.text(alphabet=" \t\n\\\"'abc{}()"))
def test_a_query_reads_back_to_its_text_after_dedent(text: str) -> None:
    code = pycode.render(pycode.Query(text), 1)
    value = eval(code, {"dedent": textwrap.dedent})  # noqa: S307 (our own literal)
    assert value.strip() == text.strip()


def test_quotes_are_chosen_for_the_reader() -> None:
    assert pycode.string('up{job="node"}') == "'up{job=\"node\"}'"
    assert pycode.string("it's") == '"it\'s"'
    assert pycode.string('x{a=~"b\\\\.c"}') == "r'x{a=~\"b\\\\.c\"}'"  # a PromQL regex: raw, as written
    assert pycode.string("a\\.b") == 'r"a\\.b"'


def test_identifiers_are_python_names_and_distinct() -> None:
    taken: set[str] = set()
    assert pycode.identifier("kube-apiserver.rules", taken) == "kube_apiserver_rules"
    assert pycode.identifier("kube apiserver rules", taken) == "kube_apiserver_rules_2"
    assert pycode.identifier("2fa", taken, "group") == "group_2fa"
    assert pycode.identifier("class", taken) == "class_"
