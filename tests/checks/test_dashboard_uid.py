"""dashboard/uid: present, unique in the stack, valid characters and length."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/uid"

FAILING = [
    ("duplicate uid", '[dash(uid="api"), dash(uid="api", title="Copy")]', "uid 'api' is used by dashboards 'Good' and 'Copy'"),
    ("missing uid", '[g.Dashboard(title="Nameless", panels=[ts("Rate")])]', "dashboard 'Nameless' has no uid"),
    ("space in uid", '[dash(uid="api performance")]', "uid 'api performance' is not valid"),
    ("uid longer than 40", f'[dash(uid="{"a" * 41}")]', "is not valid: use 1-40 characters"),
]


@pytest.mark.parametrize("description, dashboards, expected", FAILING, ids=[c[0] for c in FAILING])
def test_bad_uid_fails_check(tmp_path, description, dashboards, expected):
    code, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [p for p in found if expected in p["message"] and p["field"] == "uid"], found


def test_distinct_valid_uids_pass(tmp_path):
    _, problems = check(tmp_path, '[dash(uid="api-performance"), dash(uid="model_perf_2", title="Other")]')
    assert problems_of(problems, CHECK) == []
