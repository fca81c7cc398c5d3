"""The SLO rules of obscode beside the same SLOs in Sloth's documented rule shape, evaluated
by a real Prometheus over the same data in the same run (issue 17, item 7).

For ``--slos`` services, each with one availability SLO (5xx over all requests, 99.9 % over
30 days), the script:

1. writes our rules (``obscode.slo.rules.rule_files`` of a stack with those SLOs) and the same
   SLOs in Sloth's rule shape (generated here from Sloth's documentation: per SLO 8 SLI windows,
   the 30-day one an average of the recorded 5-minute ratios, 7 metadata rules and 2 alerts);
2. backfills ``--days`` of synthetic ``http_requests_total`` counters (good and bad, uneven
   traffic with short error bursts) with ``promtool tsdb create-blocks-from openmetrics``, plus
   the recorded 5-minute ratio Sloth's 30-day rule reads (a Prometheus that had run Sloth's
   rules for 30 days holds it), and serves the same counters live from 127.0.0.1;
3. starts ``prometheus`` (127.0.0.1, free port, temporary directory) with both rule sets, every
   group at the same interval, waits until every window of every SLO yields a value on both
   sides, then reads ``prometheus_rule_group_last_duration_seconds`` of every group from
   Prometheus' own /metrics after each evaluation round, sums it per side and prints the medians
   and their ratio.

    .venv/bin/python benchmarks/bench_slo.py [--slos 100] [--rounds 5] [--dry-run]

The page goes to docs/benchmarks/slo.md (``make bench`` runs it and rebuilds docs/benchmarks.md). Nothing is
asserted about speed.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/http (the HTTP benchmark's package) would hide the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.server
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import numpy as np
import yaml
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.machine import describe

OUT = ROOT / "docs" / "benchmarks" / "slo.md"
JOB = "bench-slo"
INSTANCE = "bench"
METRIC = "http_requests_total"
#: Sloth's SLI windows: the SRE workbook's tiers' windows and the period.
SLOTH_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
#: Sloth's page and ticket alerts: (factor, short window, long window) pairs per alert.
SLOTH_ALERTS = {"page": [(14.4, "5m", "1h"), (6, "30m", "6h")], "ticket": [(3, "2h", "1d"), (1, "6h", "3d")]}


@dataclass(frozen=True)
class Spec:
    """One benchmark SLO: service ``svc-007``, its counters, its objective."""

    index: int

    @property
    def service(self) -> str:
        return f"svc-{self.index:03d}"

    @property
    def name(self) -> str:
        return f"{self.service}-availability"

    @property
    def total(self) -> str:
        return f'{METRIC}{{job="{JOB}", service="{self.service}"}}'

    @property
    def bad(self) -> str:
        return f'{METRIC}{{job="{JOB}", service="{self.service}", code=~"5.."}}'

    objective = Decimal("99.9")


# --- the two rule sets ----------------------------------------------------------------------


def our_rule_files(specs: list[Spec]) -> dict[str, dict[str, Any]]:
    """Our rules for ``specs``: {file name: rule file data}, as ``obscode generate`` writes them."""
    from obscode import RatioSLI, SLO, Stack
    from obscode.emit.prometheus import rule_file_data
    from obscode.slo.rules import rule_files

    slos = [SLO(name=s.name, service=s.service, objective=s.objective, sli=RatioSLI(total=s.total, bad=s.bad))
            for s in specs]
    stack = Stack(name="bench-slo", slos=slos)
    return {f"{rf.name}.yml": rule_file_data(rf) for rf in rule_files(stack)}


def _sloth_selector(spec: Spec) -> str:
    return f'sloth_id="{spec.name}", sloth_service="{spec.service}", sloth_slo="{spec.name}"'


def _sloth_labels(spec: Spec) -> dict[str, str]:
    return {"sloth_id": spec.name, "sloth_service": spec.service, "sloth_slo": spec.name}


def sloth_groups(spec: Spec) -> list[dict[str, Any]]:
    """One SLO in the rule shape Sloth documents and generates (its three groups per SLO: SLI
    recordings, metadata recordings, alerts), written by this script, not by Sloth. Objective and
    budget are float64 as Sloth computes them; the thresholds are ``(factor * budget)``."""
    labels, selector = _sloth_labels(spec), _sloth_selector(spec)
    objective = float(spec.objective) / 100
    budget = (100 - float(spec.objective)) / 100
    bad, total = spec.bad, spec.total
    sli = []
    for window in SLOTH_WINDOWS[:-1]:
        sli.append({"record": f"slo:sli_error:ratio_rate{window}",
                    "expr": f"(sum(rate({bad}[{window}])))\n/\n(sum(rate({total}[{window}])))\n",
                    "labels": {**labels, "sloth_window": window}})
    period = SLOTH_WINDOWS[-1]
    sli.append({"record": f"slo:sli_error:ratio_rate{period}",
                "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{{{selector}}}[{period}])\n"
                        f"/ ignoring (sloth_window)\n"
                        f"count_over_time(slo:sli_error:ratio_rate5m{{{selector}}}[{period}])\n",
                "labels": {"sloth_window": period}})
    on = "/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
    meta = [
        {"record": "slo:objective:ratio", "expr": f"vector({objective!r})", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{objective!r})", "labels": labels},
        {"record": "slo:time_period:days", "expr": f"vector({period[:-1]})", "labels": labels},
        {"record": "slo:current_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate5m{{{selector}}}\n{on}slo:error_budget:ratio{{{selector}}}\n",
         "labels": labels},
        {"record": "slo:period_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate{period}{{{selector}}}\n{on}slo:error_budget:ratio{{{selector}}}\n",
         "labels": labels},
        {"record": "slo:period_error_budget_remaining:ratio",
         "expr": f"1 - slo:period_burn_rate:ratio{{{selector}}}", "labels": labels},
        {"record": "sloth_slo_info", "expr": "vector(1)",
         "labels": {**labels, "sloth_mode": "cli-gen-prom", "sloth_spec": "prometheus/v1"}},
    ]
    alerts = []
    for severity, pairs in SLOTH_ALERTS.items():
        clauses = []
        for factor, short, long in pairs:
            threshold = f"({factor!r} * {budget!r})".replace(".0 *", " *")
            clauses.append(f"(\n    (slo:sli_error:ratio_rate{short}{{{selector}}} > {threshold})\n"
                           f"    and ignoring (sloth_window)\n"
                           f"    (slo:sli_error:ratio_rate{long}{{{selector}}} > {threshold})\n)")
        alerts.append({"alert": f"Svc{spec.index:03d}AvailabilitySLO",
                       "expr": "\nor ignoring (sloth_window)\n".join(clauses),
                       "labels": {"sloth_severity": severity},
                       "annotations": {"summary": f"High error rate on {spec.service} requests",
                                       "title": f"({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} "
                                                "SLO error budget burn rate is too fast."}})
    return [{"name": f"sloth-slo-sli-recordings-{spec.name}", "rules": sli},
            {"name": f"sloth-slo-meta-recordings-{spec.name}", "rules": meta},
            {"name": f"sloth-slo-alerts-{spec.name}", "rules": alerts}]


def count_rules(files: dict[str, dict[str, Any]]) -> dict[str, int]:
    rules = [rule for data in files.values() for group in data["groups"] for rule in group["rules"]]
    return {"recording": sum("record" in r for r in rules), "alerting": sum("alert" in r for r in rules),
            "groups": sum(len(data["groups"]) for data in files.values())}


def with_interval(files: dict[str, dict[str, Any]], interval: str) -> dict[str, dict[str, Any]]:
    """Every group at the same ``interval``: the comparison is per evaluation."""
    return {name: {**data, "groups": [{**g, "interval": interval} for g in data["groups"]]}
            for name, data in files.items()}


# --- the data -------------------------------------------------------------------------------


class Traffic:
    """Synthetic request counters per service and instance (label ``pod``) on a grid of ``step``
    seconds from ``start``: a daily cycle, noise, a base error ratio and one to four error bursts
    of 1-3 hours at random times per service (uneven traffic, where an average of 5-minute ratios
    and a ratio of counts differ). Deterministic (a fixed seed)."""

    def __init__(self, services: int, instances: int, start: int, steps: int, step: int, seed: int = 17) -> None:
        rng = np.random.default_rng(seed)
        self.start, self.step, self.instances = start, step, instances
        t = start + step * np.arange(steps, dtype=np.int64)
        day = 2 * np.pi * (t % 86400) / 86400
        phase = rng.uniform(0, 2 * np.pi, (services, 1, 1))
        rate = rng.uniform(5, 50, (services, 1, 1)) / instances * (1 + 0.6 * np.sin(day + phase))
        requests = rng.poisson(np.broadcast_to(rate, (services, instances, steps)) * step)
        ratio = np.broadcast_to(rng.uniform(0.0001, 0.001, (services, 1, 1)), requests.shape).copy()
        for s in range(services):  # a few bursts of 1 to 3 hours at 2-10 % errors
            for _ in range(int(rng.integers(1, 5))):
                at, length = int(rng.integers(0, steps)), int(rng.integers(3600, 3 * 3600) // step)
                ratio[s, :, at:at + length] = rng.uniform(0.02, 0.1)
        errors = rng.binomial(requests, ratio)
        self.bad = np.cumsum(errors, axis=2)
        self.good = np.cumsum(requests - errors, axis=2)

    @property
    def steps(self) -> int:
        return self.bad.shape[2]

    def index(self, at: float) -> int:
        return min(int((at - self.start) // self.step), self.steps - 1)

    def exposition(self, at: float, specs: list[Spec]) -> str:
        """The counters at time ``at`` in the Prometheus text format, as the live exporter serves them."""
        i = self.index(at)
        lines = [f"# TYPE {METRIC} counter"]
        for s in specs:
            for pod in range(self.instances):
                lines.append(f'{METRIC}{{service="{s.service}",pod="p{pod}",code="200"}} {self.good[s.index, pod, i]}')
                lines.append(f'{METRIC}{{service="{s.service}",pod="p{pod}",code="500"}} {self.bad[s.index, pod, i]}')
        return "\n".join(lines) + "\n"


def write_openmetrics(path: Path, traffic: Traffic, specs: list[Spec], since: int, until: int, eval_step: int) -> int:
    """The counters in [since, until) and Sloth's recorded 5-minute ratio (at the evaluation
    step) as OpenMetrics for promtool. Returns the number of samples."""
    first, last = (min(max(-(-(t - traffic.start) // traffic.step), 0), traffic.steps) for t in (since, until))
    times = (traffic.start + traffic.step * np.arange(first, last, dtype=np.int64)).tolist()
    samples = 0
    with path.open("w") as out:
        out.write(f"# TYPE {METRIC.removesuffix('_total')} counter\n")
        for s in specs:
            for pod in range(traffic.instances):
                for code, counts in (("200", traffic.good), ("500", traffic.bad)):
                    head = (f'{METRIC}{{job="{JOB}",instance="{INSTANCE}",service="{s.service}",pod="p{pod}",'
                            f'code="{code}"}} ')
                    values = counts[s.index, pod, first:last].tolist()
                    out.write("".join(f"{head}{v} {t}\n" for v, t in zip(values, times)))
                    samples += last - first
        # slo:sli_error:ratio_rate5m as Sloth's rule records it: errors over requests in the 5
        # minutes before each evaluation (the counters' increase; windows without requests skipped).
        lag = 300 // traffic.step
        evals = np.arange(traffic.start + 300, until, eval_step, dtype=np.int64)
        evals = evals[evals >= since]
        idx = (evals - traffic.start) // traffic.step
        out.write("# TYPE slo:sli_error:ratio_rate5m gauge\n")
        for s in specs:
            bad = traffic.bad[s.index].sum(axis=0)
            total = bad + traffic.good[s.index].sum(axis=0)
            d_total = total[idx] - total[idx - lag]
            keep = d_total > 0
            ratios = (bad[idx] - bad[idx - lag])[keep] / d_total[keep]
            labels = ",".join(f'{k}="{v}"' for k, v in {**_sloth_labels(s), "sloth_window": "5m"}.items())
            head = f"slo:sli_error:ratio_rate5m{{{labels}}} "
            out.write("".join(f"{head}{v!r} {t}\n" for v, t in zip(ratios.tolist(), evals[keep].tolist())))
            samples += int(keep.sum())
        out.write("# EOF\n")
    return samples


#: The block length promtool writes and Prometheus keeps: its largest compaction range under a
#: long retention (2 h × 3⁵ = 486 h), so the backfilled blocks are never compacted during the run.
BLOCK_SECONDS = 486 * 3600


def backfill(work: Path, data: Path, traffic: Traffic, specs: list[Spec], until: int, eval_step: int) -> int:
    """The history up to ``until`` into TSDB blocks in ``data``: one OpenMetrics file per block
    range (so promtool reads each once), two promtool processes at a time while the next file is
    written. Returns the number of samples."""
    samples, running = 0, []
    edges = list(range(traffic.start // BLOCK_SECONDS * BLOCK_SECONDS, until, BLOCK_SECONDS)) + [until]
    for k, (lo, hi) in enumerate(zip(edges, edges[1:])):
        path = work / f"history-{k}.om"
        samples += write_openmetrics(path, traffic, specs, max(lo, traffic.start), hi, eval_step)
        running.append((path, subprocess.Popen(
            ["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
             f"--max-block-duration={BLOCK_SECONDS // 3600}h", str(path), str(data)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
        while len(running) >= 2 or (running and k == len(edges) - 2):
            done_path, proc = running.pop(0)
            out = proc.communicate()[0].decode()
            if proc.returncode != 0:
                raise SystemExit(f"error: promtool tsdb create-blocks-from openmetrics failed:\n{out[-3000:]}")
            done_path.unlink()
    return samples


class Exporter(http.server.ThreadingHTTPServer):
    """Serves the counters of ``traffic`` at the current time on 127.0.0.1."""

    def __init__(self, traffic: Traffic, specs: list[Spec]) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = outer.traffic.exposition(time.time(), outer.specs).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.traffic, self.specs = traffic, specs
        super().__init__(("127.0.0.1", 0), Handler)


# --- running Prometheus ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll(what: str, deadline: float, check: Callable[[], Any], every: float = 1.0) -> Any:
    """``check()`` until it returns something true, or an error naming ``what`` at ``deadline``."""
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SystemExit(f"error: timed out waiting for {what}")
        time.sleep(every)


def group_metrics(client: httpx.Client) -> dict[str, dict[str, float]]:
    """Per rule group (``file;group``) the rule-group gauges of Prometheus' /metrics, by short name."""
    text = client.get("/metrics").text
    out: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("prometheus_rule_group_"):
            continue
        short = family.name.removeprefix("prometheus_rule_group_")
        for sample in family.samples:
            if "rule_group" in sample.labels:
                out.setdefault(sample.labels["rule_group"], {})[short] = sample.value
    return out


def query(client: httpx.Client, expr: str) -> list[dict[str, Any]]:
    body = client.get("/api/v1/query", params={"query": expr}).json()
    if body.get("status") != "success":
        raise SystemExit(f"error: query {expr!r} failed: {body.get('error')}")
    return body["data"]["result"]


def windows_answer(client: httpx.Client, ours_windows: list[str], n: int) -> bool:
    """Every SLI window of every SLO has a value on both sides."""
    for window in ours_windows:
        ours = query(client, f'count(slo:sli_error:ratio_rate{window}{{slo!=""}})')
        if not ours or int(float(ours[0]["value"][1])) != n:
            return False
    for window in SLOTH_WINDOWS:
        sloth = query(client, f'count(slo:sli_error:ratio_rate{window}{{sloth_slo!=""}})')
        if not sloth or int(float(sloth[0]["value"][1])) != n:
            return False
    return True


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def version(tool: str) -> str:
    return subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.splitlines()[0]


# --- the benchmark --------------------------------------------------------------------------


@dataclass
class Result:
    slos: int
    counts: dict[str, dict[str, int]]
    rounds: list[dict[str, float]]
    samples: dict[str, float]
    backfilled: int
    timings: dict[str, float]
    sli_30d: dict[str, float]
    compactions: float
    by_rule: dict[str, dict[str, float]]
    instances: int

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.rounds)


def run(args: argparse.Namespace, work: Path, instances: int) -> Result:
    specs = [Spec(i) for i in range(args.slos)]
    interval = f"{args.eval_interval}s"
    ours = our_rule_files(specs)
    if not ours:
        raise SystemExit("error: obscode.slo.rules.rule_files returned no rule files for the SLOs")
    sloth = {"sloth.yml": {"groups": [g for s in specs for g in sloth_groups(s)]}}
    counts = {"ours": count_rules(ours), "sloth": count_rules(sloth)}
    ours_windows = sorted({r["record"].removeprefix("slo:sli_error:ratio_rate")
                           for data in ours.values() for g in data["groups"] for r in g["rules"]
                           if r.get("record", "").startswith("slo:sli_error:ratio_rate")})
    # How often each group runs as shipped (ours runs the period's rule every 2 minutes), for
    # the cost per minute; in the run every group runs at the same interval.
    shipped = {g["name"]: _seconds(g.get("interval", interval)) for files in (ours, sloth)
               for data in files.values() for g in data["groups"]}
    for side, files in (("ours", with_interval(ours, interval)), ("sloth", with_interval(sloth, interval))):
        (work / side).mkdir()
        for name, data in files.items():
            (work / side / name).write_text(yaml.safe_dump(data, sort_keys=False))
    check = subprocess.run(["promtool", "check", "rules", *map(str, sorted(work.glob("*/*.yml")))],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"error: promtool check rules rejected the rules:\n{check.stdout}{check.stderr}")

    timings: dict[str, float] = {}
    began = time.monotonic()
    now = int(time.time())
    step = args.scrape_interval
    start = (now - args.days * 86400 - 3600) // step * step
    margin = 3600 + args.rounds * args.eval_interval * 4
    traffic = Traffic(args.slos, instances, start, (now + margin - start) // step + 1, step)
    data = work / "data"
    backfilled = backfill(work, data, traffic, specs, now, args.eval_interval)
    timings["backfill"] = time.monotonic() - began

    exporter = Exporter(traffic, specs)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    port = free_port()
    config = {
        "global": {"scrape_interval": f"{step}s", "evaluation_interval": interval},
        "rule_files": [str(work / "ours" / "*.yml"), str(work / "sloth" / "*.yml")],
        "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [f"127.0.0.1:{exporter.server_port}"]}],
                            "relabel_configs": [{"target_label": "instance", "replacement": INSTANCE}]}],
    }
    (work / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    log = (work / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        ["prometheus", f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={data}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=400d", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            began = time.monotonic()
            deadline = began + args.timeout

            def ready() -> bool:
                if proc.poll() is not None:
                    raise SystemExit(f"error: prometheus exited ({proc.returncode}); see its log:\n"
                                     + (work / "prometheus.log").read_text()[-3000:])
                try:
                    return client.get("/-/ready").status_code == 200
                except httpx.TransportError:
                    return False

            poll("prometheus to be ready", deadline, ready, 0.5)
            expected = counts["ours"]["groups"] + counts["sloth"]["groups"]
            poll("every rule group to evaluate", deadline,
                 lambda: len(g := group_metrics(client)) == expected
                 and all(m.get("last_evaluation_timestamp_seconds", 0) > 0 for m in g.values()))
            poll("every window of every SLO to have a value on both sides", deadline,
                 lambda: windows_answer(client, ours_windows, args.slos), args.eval_interval / 3)
            timings["warm-up"] = time.monotonic() - began
            compactions_before = _compactions(client)
            rounds: list[dict[str, float]] = []
            samples: dict[str, float] = {}
            seen = {g: m["last_evaluation_timestamp_seconds"] for g, m in group_metrics(client).items()}
            for _ in range(args.warmup + args.rounds):
                def evaluated_again() -> dict[str, dict[str, float]] | None:
                    now_groups = group_metrics(client)
                    if all(m["last_evaluation_timestamp_seconds"] > seen[g] for g, m in now_groups.items()):
                        return now_groups
                    return None

                groups = poll("every rule group to evaluate again", time.monotonic() + 4 * args.eval_interval + 60,
                              evaluated_again, 0.5)
                seen = {g: m["last_evaluation_timestamp_seconds"] for g, m in groups.items()}
                totals = {"ours": 0.0, "sloth": 0.0, "ours_per_minute": 0.0, "sloth_per_minute": 0.0}
                samples = {"ours": 0.0, "sloth": 0.0}
                for group, metric in groups.items():
                    side = "sloth" if f"{os.sep}sloth{os.sep}" in group else "ours"
                    totals[side] += metric["last_duration_seconds"]
                    totals[f"{side}_per_minute"] += metric["last_duration_seconds"] * 60 / shipped[group.split(";")[-1]]
                    samples[side] += metric.get("last_evaluation_samples", 0)
                rounds.append(totals)
            sli_30d = _compare_30d(client)
            by_rule = _by_rule(client)
            compactions = _compactions(client) - compactions_before
    finally:
        stop(proc)
        log.close()
        exporter.shutdown()
    return Result(args.slos, counts, rounds[args.warmup:], samples, backfilled, timings, sli_30d, compactions, by_rule,
                  instances)


def _by_rule(client: httpx.Client) -> dict[str, dict[str, float]]:
    """Each side's last evaluation time per kind of rule (from /api/v1/rules): per SLI window,
    the metadata rules, the alerts; summed over the SLOs."""
    out: dict[str, dict[str, float]] = {"ours": {}, "sloth": {}}
    for group in client.get("/api/v1/rules").json()["data"]["groups"]:
        side = "sloth" if f"{os.sep}sloth{os.sep}" in group["file"] else "ours"
        for rule in group["rules"]:
            name = rule["name"]
            if rule["type"] == "alerting":
                kind = "alerts"
            elif name.startswith("slo:sli_error:ratio_rate"):
                kind = name.removeprefix("slo:sli_error:ratio_rate")
            else:
                kind = "metadata"
            out[side][kind] = out[side].get(kind, 0.0) + rule["evaluationTime"]
    return out


def _seconds(duration: str) -> float:
    from obscode.model.duration import parse_duration

    return parse_duration(duration) / 1000


def _compactions(client: httpx.Client) -> float:
    """TSDB compactions so far (Prometheus' own counter)."""
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "prometheus_tsdb_compactions":
            return sum(s.value for s in family.samples if s.name.endswith("_total"))
    return 0.0


def _compare_30d(client: httpx.Client) -> dict[str, float]:
    """The 30-day error ratio of each SLO on both sides: ours from event counts, Sloth's an
    average of 5-minute ratios; the median and largest relative difference."""
    ours = {r["metric"]["service"]: float(r["value"][1]) for r in query(client, 'slo:sli_error:ratio_rate30d{slo!=""}')}
    sloth = {r["metric"]["sloth_service"]: float(r["value"][1])
             for r in query(client, 'slo:sli_error:ratio_rate30d{sloth_slo!=""}')}
    diffs = [abs(sloth[s] - ours[s]) / ours[s] for s in ours if s in sloth and ours[s] > 0]
    under = sum(sloth[s] < ours[s] for s in ours if s in sloth)
    return {"median": statistics.median(diffs), "max": max(diffs), "under": under, "n": len(diffs)}


# --- the report -----------------------------------------------------------------------------


def report(result: Result, args: argparse.Namespace) -> str:
    n = result.slos
    med = {side: statistics.median(r[side] for r in result.rounds)
           for side in ("ours", "sloth", "ours_per_minute", "sloth_per_minute")}
    c = result.counts
    per = {side: (c[side]["recording"] + c[side]["alerting"]) / n for side in c}
    rows = [
        "| | ours (obscode) | Sloth's rule shape | ours / Sloth |",
        "| --- | ---: | ---: | ---: |",
        f"| rules per SLO (recording + alerting) | {per['ours']:g} ({c['ours']['recording'] // n} + "
        f"{c['ours']['alerting'] // n}) | {per['sloth']:g} ({c['sloth']['recording'] // n} + "
        f"{c['sloth']['alerting'] // n}) | {per['ours'] / per['sloth']:.2f} |",
        f"| rules for {n} SLOs | {c['ours']['recording'] + c['ours']['alerting']:,} | "
        f"{c['sloth']['recording'] + c['sloth']['alerting']:,} | {per['ours'] / per['sloth']:.2f} |",
        f"| rule groups | {c['ours']['groups']:,} | {c['sloth']['groups']:,} | |",
        f"| evaluation time per round, sum over groups (median of {len(result.rounds)}) | "
        f"{med['ours'] * 1000:,.1f} ms | {med['sloth'] * 1000:,.1f} ms | **{med['ours'] / med['sloth']:.2f}** |",
        f"| the same per minute, each group at its shipped interval (ours' period group every "
        f"{_period_interval()}) | {med['ours_per_minute'] * 1000:,.1f} ms | {med['sloth_per_minute'] * 1000:,.1f} ms | "
        f"**{med['ours_per_minute'] / med['sloth_per_minute']:.2f}** |",
        f"| samples the rules wrote per round | {result.samples['ours']:,.0f} | {result.samples['sloth']:,.0f} | |",
    ]
    each = ["| round | ours (ms) | Sloth's shape (ms) | ours / Sloth |", "| ---: | ---: | ---: | ---: |"]
    for i, r in enumerate(result.rounds, 1):
        each.append(f"| {i} | {r['ours'] * 1000:,.1f} | {r['sloth'] * 1000:,.1f} | {r['ours'] / r['sloth']:.2f} |")
    kinds = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d", "metadata", "alerts"]
    parts = ["| rules | ours (ms) | Sloth's shape (ms) |", "| --- | ---: | ---: |"]
    for kind in kinds:
        label = f"SLI window {kind}" if kind[0].isdigit() else {"metadata": "metadata rules", "alerts": "alerts"}[kind]
        cells = [f"{result.by_rule[side][kind] * 1000:,.1f}" if kind in result.by_rule[side] else "none"
                 for side in ("ours", "sloth")]
        parts.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return ("\n".join(rows) + "\n\nEvery measured round:\n\n" + "\n".join(each)
            + "\n\nWhere the time goes: each rule's last evaluation time (Prometheus' /api/v1/rules after the "
            "last round), summed over the SLOs:\n\n" + "\n".join(parts) + "\n")


def _period_interval() -> str:
    from obscode.slo.rules import PERIOD_INTERVAL

    return PERIOD_INTERVAL


def page(results: list[Result], args: argparse.Namespace, table: str) -> str:
    result = results[0]
    sweep = "\n`--instances 1 3` runs it again with more series per service.\n"
    if len(results) > 1:
        rows = ["| instances per service | series per service | ours per round | Sloth's shape per round "
                "| ours / Sloth "
                "| ours / Sloth per minute, shipped intervals |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in results:
            rows.append(f"| {r.instances} | {2 * r.instances} | {r.median('ours') * 1000:,.1f} ms | "
                        f"{r.median('sloth') * 1000:,.1f} ms | {r.median('ours') / r.median('sloth'):.2f} | "
                        f"{r.median('ours_per_minute') / r.median('sloth_per_minute'):.2f} |")
        sweep = ("\nThe same benchmark with more instances per service, each a run of its own (medians of "
                 f"{args.rounds} rounds):\n\n" + "\n".join(rows) + "\n")
    d = result.sli_30d
    command = (f".venv/bin/python benchmarks/bench_slo.py --slos {args.slos} "
               f"--instances {' '.join(map(str, args.instances))} "
               f"--days {args.days} "
               f"--scrape-interval {args.scrape_interval} --eval-interval {args.eval_interval} "
               f"--rounds {args.rounds} --warmup {args.warmup}")
    t = result.timings
    warmup = f"; {args.warmup} more round(s) are left out first" if args.warmup else ""
    return f"""# Benchmark: SLO rules beside Sloth's rule shape

{result.slos} availability SLOs (one per service: 5xx responses over all requests, 99.9 % over 30 days,
the SRE workbook's four burn-rate tiers), written twice: our rules (`obscode.slo.rules.rule_files`)
and the same SLOs in the rule shape Sloth documents and generates (per SLO 8 SLI windows, the 30-day
one an average of the recorded 5-minute ratios, 7 metadata rules, 2 alerts, in three groups: as in the
generated examples of Sloth's repository, `examples/_gen/`), produced by the benchmark's own generator. Both sets run in one Prometheus over the same data, every group at the
same {args.eval_interval} s interval; the evaluation time is Prometheus' own
`prometheus_rule_group_last_duration_seconds`, summed over each side's groups after a round in which
every group evaluated once. The rounds start once every window of every SLO has a value on both sides
(so every group has run over the data at least once){warmup}.

{table}
Each side's cost is mostly its 30-day rule. Ours divides the `increase` of the counters over
30 days, so it reads every series of the service ({2 * result.instances} in the table above: good and bad
for each of {result.instances} instance(s)) and the bad ones again, at the scrape interval ({args.scrape_interval} s);
Sloth's averages one recorded series at the evaluation interval ({args.eval_interval} s). Ours' per-evaluation
cost therefore grows with the series per service and the scrape rate, Sloth's with the evaluation rate;
ours runs that rule in a group of its own every {_period_interval()}, which the per-minute row counts.
{sweep}
The data: {args.days} days of synthetic `http_requests_total` counters (good and bad, per service and
instance; a daily cycle, noise, and one to four 1-3 hour error bursts per service at random times) every
{args.scrape_interval} s,
backfilled with `promtool tsdb create-blocks-from openmetrics` together with the recorded 5-minute
ratio Sloth's 30-day rule reads (as a Prometheus that had run Sloth's rules for {args.days} days holds
it, at the evaluation interval; computed by the script from the same counters): {result.backfilled:,}
samples. The same counters are then served live on 127.0.0.1 and scraped, so the short windows stay
filled. TSDB compactions during the rounds: {result.compactions:.0f}.

The 30-day error ratio itself differs: Sloth's shape averages 5-minute ratios, ours divides the
30-day event counts. Over the {d['n']:.0f} SLOs the relative difference is {d['median'] * 100:.1f} %
(median), up to {d['max'] * 100:.1f} %; Sloth's shape reads lower for {d['under']:.0f} of them (an average of
ratios weighs a quiet 5 minutes like a busy one, so a burst counts by how long it lasts, not by how
many requests failed).

Time outside the measurement: writing and backfilling the history {t['backfill']:.0f} s, Prometheus start
until every window answered {t['warm-up']:.0f} s.

Machine: {describe()}; {_cpus()}. {version('prometheus')}; {version('promtool')}.
The machine is shared with other work, and Prometheus runs the groups concurrently on its cores, so
each duration includes waiting for a core: the absolute times move between runs, the ratio much less
(compare the sides within one run). Load average (1, 5, 15 min) when the run ended: {', '.join(f'{x:.2f}' for x in os.getloadavg())}.

Reproduce:

```sh
{command}
```
"""


def _cpus() -> str:
    return f"nproc {os.cpu_count()}, {platform.machine()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slos", type=int, default=100, help="number of SLOs (one per service)")
    parser.add_argument("--instances", type=int, nargs="+", default=[1],
                        help="instances per service (label pod; series per service = 2 x instances); several: "
                             "one run each, the first in the main table")
    parser.add_argument("--days", type=int, default=30, help="days of backfilled history (at least the period)")
    parser.add_argument("--scrape-interval", type=int, default=60, help="seconds between counter samples")
    parser.add_argument("--eval-interval", type=int, default=60, help="seconds between rule evaluations")
    parser.add_argument("--rounds", type=int, default=3, help="measured evaluation rounds")
    parser.add_argument("--warmup", type=int, default=0, help="rounds left out first")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for Prometheus and the rules")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the page instead of writing docs/benchmarks/slo.md")
    args = parser.parse_args()
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"error: {tool} is not installed (run scripts/system-deps.sh)")
    if min(args.slos, args.rounds, *args.instances) < 1 or args.days < 30:
        raise SystemExit("error: --slos, --instances and --rounds must be at least 1, --days at least 30 (the period)")
    results = []
    for instances in args.instances:
        with tempfile.TemporaryDirectory(prefix="bench-slo-") as tmp:
            results.append(run(args, Path(tmp), instances))
        print(f"instances {instances}:", report(results[-1], args), sep="\n")
        print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in results[-1].timings.items()), file=sys.stderr)
    table = report(results[0], args)
    text = page(results, args, table)
    if args.dry_run:
        print(text)
    else:
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
