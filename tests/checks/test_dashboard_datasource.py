"""dashboard/datasource: every reference resolves to a provisioned datasource."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/datasource"

FAILING = [
    ("unknown datasource name", '[dash(uid="ds", panels=[ts("Logs rate", dataSource="Loki")])]',
     'dashboard ds panel "Logs rate"', "datasource uid 'Loki' is not provisioned; provisioned: "
     "prometheus (prometheus)"),
    ("exported uid of another Grafana", '[dash(uid="ds", panels=[ts("Rate", dataSource={"type": "prometheus", '
     '"uid": "P1809F7CD0C75ACF3"})])]', 'dashboard ds panel "Rate"', "'P1809F7CD0C75ACF3' is not provisioned"),
    ("wrong type for a known uid", '[dash(uid="ds", panels=[ts("Rate", dataSource={"type": "loki", "uid": "prometheus"})])]',
     'dashboard ds panel "Rate"', "is a prometheus datasource, not 'loki'"),
    ("target datasource unknown", '[dash(uid="ds", panels=[g.TimeSeries(title="Mixed", gridPos=g.GridPos(h=8, w=12, x=0, '
     'y=0), targets=[g.Target(expr="up", datasource="Thanos")])])]', 'dashboard ds panel "Mixed"', "'Thanos' is not provisioned"),
    ("datasource variable not defined", '[dash(uid="ds", panels=[ts("Rate", dataSource="${ds}")])]',
     'dashboard ds panel "Rate"', "names no datasource variable"),
]


@pytest.mark.parametrize("description, dashboards, obj, expected", FAILING, ids=[c[0] for c in FAILING])
def test_unknown_datasource_fails_check(tmp_path, description, dashboards, obj, expected):
    code, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [p for p in found if p["object"] == obj and expected in p["message"]], found


def test_names_uids_and_default_resolve(tmp_path):
    _, problems = check(tmp_path, '[dash(panels=[ts("Default"), ts("By name", x=12, dataSource="Prometheus"), '
                                  'ts("By uid", y=8, dataSource={"type": "prometheus", "uid": "prometheus"})])]')
    assert problems_of(problems, CHECK) == []
