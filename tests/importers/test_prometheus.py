"""`obscode import prometheus`: scrape configuration -> scrape.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from obscode.importers import roundtrip
from tests.conftest import require_tool
from tests.importers.helpers import generated, imported, load_yaml, obscode, tree, write

PASSWORD = "s3cr3t-Passw0rd-literal-value"
CONFIG = f"""\
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels:
    cluster: prod
rule_files:
  - rules/*.yml
alerting:
  alertmanagers:
  - static_configs:
    - targets: ['alertmanager:9093']
scrape_configs:
- job_name: node
  static_configs:
  - targets: ['node1:9100', 'node2:9100']
    labels:
      env: prod
- job_name: kube-state-metrics
  scrape_interval: 30s
  kubernetes_sd_configs:
  - role: endpoints
    namespaces:
      names: [monitoring]
  relabel_configs:
  - source_labels: [__meta_kubernetes_service_name]
    regex: kube-state-metrics
    action: keep
- job_name: secured
  scheme: https
  basic_auth:
    username: prom
    password: {PASSWORD}
  static_configs:
  - targets: ['app:8443']
"""


def test_a_prometheus_config_round_trips_through_generate(tmp_path: Path) -> None:
    source = write(tmp_path / "prometheus.yml", CONFIG)
    result = imported("prometheus", source, stack=tmp_path / "stack")
    assert "rule_files (rules/*.yml) is not imported here" in result.output
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.prometheus_differences(load_yaml(source), load_yaml(out / "prometheus/prometheus.yml")) == []  # type: ignore[arg-type]


def test_a_literal_password_becomes_a_secret_file(tmp_path: Path) -> None:
    imported("prometheus", write(tmp_path / "prometheus.yml", CONFIG), stack=tmp_path / "stack")
    generated(tmp_path / "stack", tmp_path / "out")
    code = (tmp_path / "stack" / "scrape.py").read_text()
    assert 'password=SecretRef(file="/etc/prometheus/secrets/secured-basic-auth.password")' in code
    written = {**tree(tmp_path / "stack"), **tree(tmp_path / "out")}
    assert not [path for path, content in written.items() if PASSWORD.encode() in content]


def test_an_unsupported_section_is_an_error_at_its_line(tmp_path: Path) -> None:
    source = write(tmp_path / "p.yml", "scrape_configs:\n- job_name: a\n  file_sd_configs: [{files: [x.json]}]\n"
                                        "remote_write:\n- url: http://x\n")
    result = obscode("import", "prometheus", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "p.yml:3: error: scrape job a: field 'file_sd_configs' cannot be expressed by obscode's ScrapeConfig" in result.output
    assert "p.yml:4: error: prometheus config: field 'remote_write' cannot be expressed" in result.output


def test_promtool_accepts_the_generated_configuration(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    # The Debian promtool has no Kubernetes discovery (docs: DESIGN.md): check a config without that job.
    without_kubernetes = CONFIG.split("- job_name: kube-state-metrics")[0] + "- job_name: secured" + \
        CONFIG.split("- job_name: secured")[1]
    imported("prometheus", write(tmp_path / "prometheus.yml", without_kubernetes), stack=tmp_path / "stack")
    out = generated(tmp_path / "stack", tmp_path / "out")
    check = subprocess.run([promtool, "check", "config", str(out / "prometheus/prometheus.yml")],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_prometheus_comparison_sees_a_changed_target() -> None:
    import yaml

    original = yaml.safe_load(CONFIG)
    changed = yaml.safe_load(CONFIG)
    changed["scrape_configs"][0]["static_configs"][0]["targets"] = ["node1:9100"]
    assert roundtrip.prometheus_differences(original, changed) == [
        "prometheus.scrape_configs.node.static_configs[0].targets: 2 item(s) in the input, 1 in the output"]


def test_a_literal_bearer_token_becomes_a_secret_file(tmp_path: Path) -> None:
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9abcdef"
    source = write(tmp_path / "p.yml", "scrape_configs:\n- job_name: api\n  authorization:\n"
                                        f"    credentials: {token}\n  static_configs:\n  - targets: ['api:443']\n")
    imported("prometheus", source, stack=tmp_path / "stack")
    code = (tmp_path / "stack" / "scrape.py").read_text()
    assert 'bearer_token=SecretRef(file="/etc/prometheus/secrets/api.bearer-token")' in code
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert token not in (out / "prometheus/prometheus.yml").read_text() and token not in code
    assert roundtrip.prometheus_differences(load_yaml(source), load_yaml(out / "prometheus/prometheus.yml")) == []  # type: ignore[arg-type]
