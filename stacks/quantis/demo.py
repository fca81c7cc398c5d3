"""``make demo``: the Quantis stack running for real on 127.0.0.1.

Starts the demo service, prometheus-node-exporter, PostgreSQL + prometheus-postgres-exporter
(when installed), prometheus-alertmanager and prometheus with the ``local`` profile, a webhook
sink that prints every delivered alert with its receiver, and a load generator. Prints the
URLs, then waits; Ctrl-C stops everything it started.

    python -m stacks.quantis.demo [--scenario NAME] [--after SECONDS]

Each scenario (``SCENARIOS`` below; ``--help`` lists them) switches on a fault of the service or
drives traffic, and names the alert to expect and the receivers the route tree sends it to.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from stacks.quantis.service import activity, db_faults, mlops, security
from stacks.quantis.service.live import LiveStack
from stacks.quantis.service.processes import ToolMissing
from stacks.quantis.service.webhook_sink import Delivery

SCENARIOS = {
    "drift": ("drift", "DataDriftDetected", "data-science-team"),
    "errors": ("errors", "HighModelError", "data-science-team"),
    "latency": ("latency", "SlowPredictions", "data-science-team"),
    "down": (None, "ServiceDown", "pager"),
    "schema-change": ("schema-change", "FeatureSchemaChanged", "data-science-team"),
    "missing-data": ("missing-data", "HighMissingValueShare", "data-science-team"),
    "importance-shift": ("importance-shift", "FeatureImportanceShift", "data-science-team"),
    "brute-force": (None, "BruteForceSuspected", "team-email"),
    "rollback": (None, "ModelRolledBack", "data-science-team"),
    "bias": ("bias", "HighPredictionBias", "data-science-team"),
    "severe-bias": ("severe-bias", "HighPredictionBias", "pager and data-science-team"),
    "http-errors": ("errors", "HighHttpErrorRatio", "team-email, then pager (the critical mutes the warning)"),
    "db-connections": (None, "PostgresConnectionsSaturated", "team-email, then pager (the critical mutes the warning)"),
    "deadlock": (None, "PostgresDeadlocks", "team-email"),
    "cache-misses": (None, "PostgresLowCacheHitRatio", "team-email"),
    "funnel-drop": (None, "FunnelConversionLow", "team-email"),
    "no-user-id": ("no-user-id", "ActiveUsersMissing", "team-email"),
    "disk-fill": (None, "DiskSpaceLow", "pager (the critical mutes the warning; root only: an 8 MB disk of its own)"),
    "slow-probe": ("slow-health", "SlowProbe", "pager (the critical mutes the warning)"),
}
#: Scenarios driven by traffic rather than a fault: scenario -> (what it sends, driver(service_url, stop)).
DRIVERS = {
    "brute-force": ("failed logins from one client, ~20/s (the limiter's 429s fire RateLimitSaturation too)",
                    security.brute_force),
    "rollback": ("a deployment of version 1.1.0, rolled back 5 s later", mlops.deploy_and_roll_back),
    "funnel-drop": ("signed-in visits, ~20/s, one in 12 forecasts and none exports (fires in about a minute)",
                    activity.funnel_drop),
    "no-user-id": ("the no-user-id fault and signed-in backtests, ~5/s (fires in seconds if no signed-in user "
                   "came before, else once the 5-minute window of active users is empty)", activity.lost_user_ids),
}


def say(what: str, state: str) -> None:
    print(f"  {what:<18} {state}", flush=True)


def show_delivery(delivery: Delivery) -> None:
    labels = ", ".join(f"{k}={v}" for k, v in sorted(delivery.labels.items()) if k != "alertname")
    mark = "FIRING  " if delivery.status == "firing" else "resolved"
    print(f"  -> [{delivery.receiver}] {mark} {delivery.alertname} ({labels})", flush=True)


def load(live: LiveStack, stop: threading.Event, rate: float = 20.0) -> None:
    """Forecasts at about ``rate`` per second, round-robin over the stores."""
    with httpx.Client(timeout=10.0) as client:
        i = 0
        while not stop.is_set():
            try:
                client.post(f"{live.service_url}/api/forecast", json={"store_id": i % 8, "horizon": 14})
            except httpx.HTTPError:
                pass  # the service is down in the `down` scenario
            i += 1
            stop.wait(1.0 / rate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.quantis.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help="inject this condition after --after seconds")
    parser.add_argument("--after", type=float, default=15.0, help="seconds of normal load before the scenario")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data) on exit")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="quantis-demo-"))
    print(f"Quantis demo — local profile, working directory {workdir}", flush=True)
    try:
        live = LiveStack.start(workdir, progress=say, on_delivery=show_delivery,
                               small_disk=args.scenario == "disk-fill")
    except (ToolMissing, TimeoutError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
        return 2
    stop = threading.Event()
    generator = threading.Thread(target=load, args=(live, stop), daemon=True)
    try:
        generator.start()
        say("load generator", "up (~20 forecasts/s)")
        print(f"""
  Prometheus UI     {live.prometheus_url}   (Alerts: {live.prometheus_url}/alerts)
  Alertmanager UI   {live.alertmanager_url}
  Service           {live.service_url}   (POST /api/forecast, GET /api/models/tft-sales/performance)
  API /metrics      {live.service_url}/metrics
  Model /metrics    http://127.0.0.1:{live.ports.model_service}/metrics
  Service log       {live.service_log}
  Switch faults     curl -X POST {live.service_url}/api/faults/drift   (DELETE to clear)
""", flush=True)
        if live.missing:
            for name, why in live.missing.items():
                print(f"  not running: {name} ({why})", flush=True)
        print("Alerts delivered to the receivers appear below. Ctrl-C stops everything.", flush=True)
        if args.scenario:
            run_scenario(live, args.scenario, args.after)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        stop.set()
        generator.join(5)
        live.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        print("stopped everything the demo started.", flush=True)
    return 0


def run_scenario(live: LiveStack, scenario: str, after: float) -> None:
    fault, alert, receiver = SCENARIOS[scenario]
    print(f"\nScenario {scenario}: in {after:.0f}s, expect {alert} to reach {receiver} "
          "(the route tree's answer for its labels).", flush=True)
    time.sleep(after)
    if scenario in DRIVERS:
        what, driver = DRIVERS[scenario]
        print(f"  injecting: {what}", flush=True)
        threading.Thread(target=driver, args=(live.service_url, threading.Event()), daemon=True).start()
    elif scenario in db_faults.DEMO:
        what, db_driver = db_faults.DEMO[scenario]
        if live.pg_port is None:
            print(f"  cannot inject: PostgreSQL is not running ({live.missing.get('database')})", flush=True)
            return
        print(f"  injecting: {what}", flush=True)
        threading.Thread(target=db_driver, args=(live.pg_port, threading.Event()), daemon=True).start()
    elif scenario == "disk-fill" and live.disk is not None:
        print(f"  injecting: filling the node exporter's own 8 MB filesystem {live.disk.mountpoint} to 95%",
              flush=True)
        live.disk.fill_to(0.95)
    elif fault is None:
        print("  injecting: stopping the service", flush=True)
        live.stop_service()
    else:
        print(f"  injecting: POST /api/faults/{fault}", flush=True)
        live.set_fault(fault, True)
    say("waiting", f"for {alert} (Prometheus: pending -> firing -> Alertmanager)")


if __name__ == "__main__":
    raise SystemExit(main())
