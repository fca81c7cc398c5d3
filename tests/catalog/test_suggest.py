""""Did you mean": a series is suggested only when it is very likely the one meant.

The names are real series of node-exporter, postgres-exporter, client_golang and the
instrumentation package; the misses are names found in published mixins (old exporter
names, other exporters' metrics) and plain typos."""

from __future__ import annotations

import pytest

from obscode.catalog_index import closest_series, edit_distance, likely_meant, misspelling, vocabulary

SERIES = [
    "node_cpu_seconds_total", "node_cpu_guest_seconds_total", "node_cpu_frequency_hertz",
    "node_load1", "node_load5", "node_load15",
    "node_memory_MemFree_bytes", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes",
    "node_memory_Cached_bytes", "node_memory_Buffers_bytes",
    "node_disk_read_bytes_total", "node_disk_written_bytes_total",
    "node_disk_reads_completed_total", "node_disk_writes_completed_total",
    "node_network_receive_bytes_total", "node_network_transmit_bytes_total",
    "node_network_receive_packets_total", "node_network_transmit_packets_total",
    "node_pressure_io_waiting_seconds_total", "node_pressure_io_stalled_seconds_total",
    "node_schedstat_running_seconds_total", "node_intr_total", "node_context_switches_total",
    "node_netstat_Tcp_InSegs", "node_netstat_Tcp_OutSegs",
    "process_cpu_seconds_total", "process_open_fds", "process_max_fds", "process_resident_memory_bytes",
    "process_virtual_memory_bytes", "process_start_time_seconds",
    "go_memstats_alloc_bytes", "go_memstats_alloc_bytes_total", "go_gc_duration_seconds",
    "go_gc_duration_seconds_sum", "go_gc_duration_seconds_count",
    "pg_stat_database_numbackends", "pg_stat_database_deadlocks", "pg_database_size_bytes",
    "http_requests_total", "http_request_duration_seconds_bucket", "http_request_duration_seconds_sum",
    "http_request_duration_seconds_count",
    "model_prediction_latency_seconds_bucket", "model_prediction_latency_seconds_sum",
    "model_prediction_latency_seconds_count",
    "scrape_duration_seconds",
]

SUGGESTED = [
    ("plural dropped", "http_request_total", "http_requests_total"),
    ("plural dropped and a letter missing", "http_request_totl", "http_requests_total"),
    ("two letters swapped", "node_memroy_MemFree_bytes", "node_memory_MemFree_bytes"),
    ("namespace misspelt", "ndoe_load15", "node_load15"),
    ("case", "node_memory_memfree_bytes", "node_memory_MemFree_bytes"),
    ("underscore", "pg_stat_database_num_backends", "pg_stat_database_numbackends"),
    ("OTel name before its unit", "model_prediction_latency_bucket", "model_prediction_latency_seconds_bucket"),
    ("node-exporter 0.16 rename: unit and _total", "node_cpu", "node_cpu_seconds_total"),
    ("node-exporter 0.16 rename: unit", "node_memory_MemFree", "node_memory_MemFree_bytes"),
    ("node-exporter 0.16 rename: words reordered", "node_disk_bytes_read", "node_disk_read_bytes_total"),
    ("unit swapped", "http_request_duration_milliseconds_bucket", "http_request_duration_seconds_bucket"),
    ("_total on a counter exposed without it", "pg_stat_database_deadlocks_total", "pg_stat_database_deadlocks"),
    ("long word, two edits", "node_schedstat_runing_second_total", "node_schedstat_running_seconds_total"),
]

NOT_SUGGESTED = [
    ("another collector's metric", "node_schedstat_waiting_seconds_total"),
    ("another word that exists", "node_pressure_cpu_waiting_seconds_total"),
    ("digits only", "node_load2"),
    ("another exporter's metric, same words after its namespace", "container_network_receive_bytes_total"),
    ("another namespace", "cilium_process_open_fds"),
    ("a longer name", "process_cpu_user_seconds_total"),
    ("other counter", "node_interrupts_total"),
    ("short word", "node_netstat_Tcp_MaxConn"),
    ("a unit that is not one of ours", "pg_database_size_mb"),
    ("ambiguous: two series fit", "go_memstats_alloc"),
    ("other exporter, similar words", "probe_duration_seconds"),
    ("three edits", "http_rqst_totl"),
    ("different metric with a small edit", "node_disk_reads_merged_total"),
]


@pytest.mark.parametrize(("written", "meant"), [c[1:] for c in SUGGESTED], ids=[c[0] for c in SUGGESTED])
def test_near_miss_is_suggested(written: str, meant: str) -> None:
    assert closest_series(written, SERIES) == meant


@pytest.mark.parametrize("written", [c[1] for c in NOT_SUGGESTED], ids=[c[0] for c in NOT_SUGGESTED])
def test_different_metric_is_not_suggested(written: str) -> None:
    assert closest_series(written, SERIES) is None


def test_an_existing_name_is_not_its_own_suggestion() -> None:
    assert not likely_meant("node_load1", "node_load1")


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("memory", "memroy", 1), ("total", "totl", 1), ("kitten", "sitting", 3), ("", "abc", 3), ("ab", "ba", 1),
])
def test_edit_distance_counts_a_swap_as_one(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


@pytest.mark.parametrize(("written", "meant", "cost"), [
    ("systmd", "systemd", 1), ("hwmom", "hwmon", 1), ("diskstat", "diskstats", 1),
    ("rx", "tx", None), ("load1", "load5", None), ("ipv4", "ipv6", None), ("netdev", "netstat", None),
])
def test_misspelling_of_a_word(written: str, meant: str, cost: int | None) -> None:
    assert misspelling(written, meant) == cost


@pytest.mark.parametrize("written", [c[1] for c in SUGGESTED + NOT_SUGGESTED])
def test_the_index_finds_what_testing_every_series_finds(written: str) -> None:
    words = vocabulary(SERIES)
    fitting = [series for series in SERIES if likely_meant(written, series, words)]
    assert closest_series(written, SERIES) == (fitting[0] if len(fitting) == 1 else None)
