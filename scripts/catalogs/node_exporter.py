"""node-exporter: every collector of prometheus/node_exporter, on every OS it supports.

Two sources, both in the repository:

* ``collector/*.go``: ``registerCollector(name, defaultEnabled|defaultDisabled, ...)`` gives
  the collectors and their defaults; ``prometheus.NewDesc`` calls give the families and the
  collector (by file) that emits them.
* ``collector/fixtures/e2e-output*.txt``: the project's end-to-end test output, node_exporter
  run against fixture /proc and /sys trees with most collectors enabled. It has the families
  whose names come from the data (``node_memory_MemAvailable_bytes`` from /proc/meminfo,
  ``node_vmstat_*``, ``node_netstat_*``, ``node_hwmon_*``), with their real types and labels.
  Such a family is attributed to the collector whose dynamic name prefix (e.g.
  ``BuildFQName(namespace, "memory", key)`` -> ``node_memory_``) is the longest match.
"""

from __future__ import annotations

import re

from common import Built, build_info, sample_tags, to_metric, versioned
from gosrc import Git, Scope, eval_str, find_descs, go_files, strip_comments, split_args

import go_runtime
from obscode.model.catalog import Collector, Metric, from_exposition

NAME = "node-exporter"
REPOSITORY = "prometheus/node_exporter"
#: Sampled for since/until: the newest patch of each minor, and the newest release.
MINORS = ["0.15", "1.0", "1.3", "1.5", "1.7", "1.9", "1.10", "1.11"]

_OS_SUFFIX = re.compile(r"(_(linux|common|bsd|darwin|freebsd|openbsd|netbsd|dragonfly|solaris|aix|macos|"
                        r"amd64|arm64|other|rtnl|windows|procfsenabled))+$")

#: What a collector needs besides being enabled. Hand-written from each collector's source
#: (what it reads); a collector not listed needs nothing special on Linux.
CONDITIONS = {
    "arp": "", "bcache": "hardware: bcache devices in /sys/fs/bcache",
    "bcachefs": "filesystem: bcachefs mounted (/sys/fs/bcachefs)",
    "bonding": "network: bonding interfaces in /sys/class/net/*/bonding",
    "btrfs": "filesystem: btrfs mounted (/sys/fs/btrfs)",
    "cpufreq": "hardware: CPU frequency scaling in /sys/devices/system/cpu/cpu*/cpufreq",
    "dmi": "hardware: DMI tables in /sys/class/dmi/id (not in most containers)",
    "dmmultipath": "hardware: device-mapper multipath devices",
    "drbd": "software: DRBD (/proc/drbd)",
    "drm": "hardware: GPU with a DRM driver in /sys/class/drm (amdgpu)",
    "edac": "hardware: EDAC memory controllers in /sys/devices/system/edac",
    "ethtool": "network: NICs that answer ethtool ioctls",
    "fibrechannel": "hardware: Fibre Channel HBAs in /sys/class/fc_host",
    "hwmon": "hardware: hwmon sensors in /sys/class/hwmon",
    "infiniband": "hardware: InfiniBand HCAs in /sys/class/infiniband",
    "ipvs": "software: IPVS in use (/proc/net/ip_vs)",
    "mdadm": "hardware: Linux software RAID (md) arrays in /proc/mdstat",
    "nfs": "software: NFS client mounts (/proc/net/rpc/nfs)",
    "nfsd": "software: an NFS server (/proc/net/rpc/nfsd)",
    "nvme": "hardware: NVMe devices in /sys/class/nvme",
    "nvmesubsystem": "hardware: NVMe-oF subsystems in /sys/class/nvme-subsystem",
    "powersupplyclass": "hardware: power supplies or batteries in /sys/class/power_supply",
    "pressure": "kernel: PSI enabled (/proc/pressure, Linux >= 4.20)",
    "rapl": "hardware: Intel/AMD RAPL in /sys/class/powercap",
    "selinux": "software: SELinux enabled",
    "tapestats": "hardware: tape drives in /sys/class/scsi_tape",
    "thermal_zone": "hardware: thermal zones in /sys/class/thermal",
    "thermal": "hardware: macOS thermal sensors",
    "watchdog": "hardware: watchdog devices in /sys/class/watchdog",
    "wifi": "hardware: wireless interfaces (nl80211)",
    "xfs": "filesystem: XFS mounted (/sys/fs/xfs)",
    "zfs": "filesystem: ZFS loaded (/proc/spl/kstat/zfs)",
    "infiniband_": "",
    "systemd": "software: systemd with D-Bus reachable",
    "logind": "software: systemd-logind with D-Bus reachable",
    "supervisord": "software: a supervisord XML-RPC endpoint",
    "runit": "software: runit service directory",
    "perf": "kernel: perf_event_open allowed (perf_event_paranoid)",
    "textfile": "files: *.prom files in --collector.textfile.directory (their metrics are the user's)",
    "cgroups": "kernel: cgroups in /proc/cgroups",
    "kernel_hung": "kernel: /proc/sys/kernel/hung_task_detect_count (Linux >= 6.?)",
    "zoneinfo": "", "softirqs": "",
}


def _collector_of_files(git: Git, rev: str, files: list[str]) -> tuple[dict[str, str], dict[str, bool], Scope]:
    """file -> collector name; collector -> enabled by default; the package's constants."""
    scope = Scope()
    texts = {p: git.show(rev, p) or "" for p in files}
    for text in texts.values():
        scope.add_file(text)
    registered: dict[str, str] = {}  # file stem -> collector
    defaults: dict[str, bool] = {}
    for path, text in texts.items():
        for m in re.finditer(r"registerCollector\(\s*([^,]+),\s*(defaultEnabled|defaultDisabled)", strip_comments(text)):
            name = eval_str(m.group(1), scope)
            if name is None:
                continue
            defaults[name] = defaults.get(name, False) or m.group(2) == "defaultEnabled"
            registered[_stem(path)] = name
            PLATFORMS.setdefault(name, set()).add(_platform(path))
    by_file: dict[str, str] = {}
    for path in files:
        stem = _stem(path)
        if stem in registered:
            by_file[path] = registered[stem]
            continue
        candidates = [s for s in registered if stem.startswith(s)]
        if candidates:
            by_file[path] = registered[max(candidates, key=len)]
    return by_file, defaults, scope


#: collector -> platforms of the files that register it (filled while extracting).
PLATFORMS: dict[str, set[str]] = {}
_PLATFORM = re.compile(r"_(linux|darwin|freebsd|openbsd|netbsd|dragonfly|solaris|aix|bsd)(_\w+)?\.go$")


def _platform(path: str) -> str:
    m = _PLATFORM.search(path)
    return m.group(1) if m else "any"


def _stem(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].removesuffix(".go")
    stem = _OS_SUFFIX.sub("", stem)
    return {"boot_time": "boottime", "memory": "meminfo", "os_release": "os", "netinterface": "netinterface",
            "kvm": "meminfo", "devstat": "devstat", "stat": "stat"}.get(stem, stem)


#: Name prefixes of collectors whose names the source builds at run time in ways the parser
#: does not follow (a helper's argument); used only when nothing else matched.
SUBSYSTEMS = {"node_power_supply_": "powersupplyclass", "node_network_": "netdev", "node_md_": "mdadm",
              "node_nf_conntrack_": "conntrack", "node_memory_": "meminfo", "node_disk_": "diskstats",
              "node_cpu_": "cpu", "node_time_": "time", "node_filesystem_": "filesystem"}


def _attribute(name: str, prefixes: dict[str, str], static: dict[str, Metric], collectors: set[str]) -> str:
    """The collector of a family only the fixtures name: the longest dynamic-name prefix;
    else the static family sharing the most leading name words (at least three:
    ``node_hwmon_fan_*`` with ``node_hwmon_fan_...``); else ``node_<collector>_``."""
    matches = [p for p in prefixes if name.startswith(p)]
    if matches:
        return prefixes[max(matches, key=len)]
    words = name.split("_")
    best, best_len = "", 2
    for other, metric in static.items():
        if not metric.collector:
            continue
        o = other.split("_")
        n = 0
        while n < min(len(o), len(words)) and o[n] == words[n]:
            n += 1
        if n > best_len:
            best, best_len = metric.collector, n
    if best:
        return best
    own = [c for c in collectors if name.startswith(f"node_{c}_")]
    if own:
        return max(own, key=len)
    subs = [p for p in SUBSYSTEMS if name.startswith(p)]
    return SUBSYSTEMS[max(subs, key=len)] if subs else ""


def extract(git: Git, rev: str, report: dict) -> dict[str, Metric]:
    # Linux (and OS-independent) files first: their definition of a shared name wins.
    files = sorted(go_files(git, rev, "collector/"), key=lambda p: (_platform(p) not in ("linux", "any"), p))
    by_file, defaults, scope = _collector_of_files(git, rev, files)
    static: dict[str, Metric] = {}
    prefixes: dict[str, str] = {}
    prefix_labels: dict[str, list[str]] = {}
    typed_by_name: list[str] = []
    for path in files:
        text = git.show(rev, path) or ""
        collector = by_file.get(path, "")
        for found in find_descs(path, text, scope):
            if found.name is None:
                prefix = found.prefix
                if prefix and len(prefix) > len("node_") and collector:
                    prefixes.setdefault(prefix, collector)
                    prefix_labels.setdefault(prefix, found.labels or [])
                else:
                    report.setdefault("skipped", []).append(f"{path}:{found.line} {found.expr}")
                continue
            if found.name.startswith("node_") or collector:
                static.setdefault(found.name, to_metric(found, collector, typed_by_name))
    # Families whose names come from the data: the end-to-end fixtures.
    fixtures = [p for p in git.files(rev, "collector/fixtures/") if re.search(r"e2e-.*output.*\.txt$", p)]
    observed: dict[str, Metric] = {}
    sampled: set[str] = set()  # families with at least one sample line in a fixture
    for path in fixtures:
        text = git.show(rev, path) or ""
        sampled.update(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", text, re.M))
        for metric in from_exposition("e2e", text).metrics:
            if metric.name.startswith("node_") and metric.name != "node_exporter_build_info":
                observed.setdefault(metric.name, metric)
    out: dict[str, Metric] = {}
    unattributed = []
    for name, metric in observed.items():
        if name in static:
            collector = static[name].collector
        else:
            collector = _attribute(name, prefixes, static, set(defaults))
            if not collector:
                unattributed.append(name)
        labels = set(metric.labels)
        if name in static:
            labels |= set(static[name].labels)
        elif name not in sampled:  # the end-to-end test drops these samples; its HELP/TYPE stay
            matches = [p for p in prefix_labels if name.startswith(p)]
            if matches:
                labels |= set(prefix_labels[max(matches, key=len)])
        out[name] = metric.model_copy(update={"collector": collector, "labels": sorted(labels),
                                              "help": " ".join(metric.help.split())})
    for name, metric in static.items():
        if name not in out:
            out[name] = metric
            if name in typed_by_name:
                report.setdefault("typed_by_name", []).append(name)
    # A family whose fixture samples the end-to-end test drops, and whose definition the parser
    # cannot read, has the labels of its nearest sampled sibling (node_network_receive_bytes_total
    # of node_network_receive_drop_total), the same collector and at least three name words alike.
    for name, metric in list(out.items()):
        if name in sampled or metric.labels or name in static:
            continue
        words, best, best_len = name.split("_"), None, 2
        for other in sorted(sampled & set(out)):
            if out[other].collector != metric.collector:
                continue
            o = other.split("_")
            n = 0
            while n < min(len(o), len(words)) and o[n] == words[n]:
                n += 1
            if n > best_len:
                best, best_len = other, n
        if best:
            out[name] = metric.model_copy(update={"labels": list(out[best].labels)})
    # meminfo on Linux (>= 1.9): the fields node_exporter copies from procfs' Meminfo, by key.
    for path in files:
        if by_file.get(path) == "meminfo" and path.endswith("_linux.go"):
            for key in re.findall(r'\bmetrics\["(\w+)"\]\s*=', git.show(rev, path) or ""):
                name = f"node_memory_{key}"
                if name not in out:
                    out[name] = Metric(name=name, type="counter" if key.endswith("_total") else "gauge",
                                       help=f"Memory information field {key}.", collector="meminfo")
    # meminfo up to 1.8: every /proc/meminfo field, named by the field; the fields
    # prometheus/procfs knows plus KERNEL_MEMINFO stand for "whatever the kernel has".
    dynamic = _meminfo_dynamic(git, rev)
    for key in dynamic:
        out.setdefault(f"node_memory_{key}", Metric(name=f"node_memory_{key}", type="gauge", collector="meminfo",
                                                    help=f"Memory information field {key}."))
    netstat = _netstat_defaults(git, rev, by_file)
    for field in netstat:
        out.setdefault(f"node_netstat_{field}", Metric(name=f"node_netstat_{field}", type="untyped",
                                                       collector="netstat", help=f"Statistic {field.replace('_', '')}."))
    if "hwmonLabelDesc" in (git.show(rev, "collector/hwmon_linux.go") or ""):
        for sensor, elements in HWMON_ELEMENTS.items():
            for element in elements.split():
                name, mtype = hwmon_name(sensor, element)
                out.setdefault(name, Metric(name=name, type=mtype, labels=["chip", "sensor"], collector="hwmon",
                                            help=f"Hardware monitor {sensor} element {element}."))
    report["static"] = set(static) | {f"node_memory_{k}" for k in dynamic}
    out["node_exporter_build_info"] = build_info("node_exporter")
    # The scrape metrics and the build info are the exporter's own ("" = always emitted).
    for name in ("node_scrape_collector_duration_seconds", "node_scrape_collector_success"):
        if name in out:
            out[name] = out[name].model_copy(update={"collector": ""})
    report["defaults"] = defaults
    report["unattributed"] = unattributed
    report["files"] = sorted({"collector/*.go", *fixtures, "collector/collector.go"})
    return out


#: Families a collector emits only with an extra flag (off by default): family -> the flag's
#: name after --collector. (hand-written from the flags' help texts, which name the families).
#: Such a family's collector is the flag, e.g. "cpu.info", so a stack can enable it by that name.
FLAG_GATED = {
    "node_cpu_info": "cpu.info", "node_cpu_flag_info": "cpu.info", "node_cpu_bug_info": "cpu.info",
    "node_softirqs_total": "stat.softirq",
    "node_bcache_priority_stats_metadata_percent": "bcache.priorityStats",
    "node_bcache_priority_stats_unused_percent": "bcache.priorityStats",
    "node_network_address_info": "netdev.address-info",
    "node_systemd_unit_tasks_current": "systemd.enable-task-metrics",
    "node_systemd_unit_tasks_max": "systemd.enable-task-metrics",
    "node_systemd_service_restart_total": "systemd.enable-restarts-metrics",
    "node_systemd_unit_start_time_seconds": "systemd.enable-start-time-metrics",
}


#: hwmon sysfs elements per sensor type, from the kernel's hwmon sysfs-interface
#: documentation (Documentation/hwmon/sysfs-interface.rst): the hwmon collector names a family
#: after each element file it finds, so these stand for "what a chip may have".
HWMON_ELEMENTS = {
    "in": "input min max lcrit crit average lowest highest alarm min_alarm max_alarm lcrit_alarm crit_alarm beep "
          "enable rated_min rated_max",
    "temp": "input max min max_hyst min_hyst crit crit_hyst emergency emergency_hyst lcrit lcrit_hyst offset lowest "
            "highest alarm max_alarm min_alarm crit_alarm lcrit_alarm emergency_alarm fault beep type enable "
            "rated_min rated_max",
    "curr": "input min max lcrit crit average lowest highest alarm min_alarm max_alarm lcrit_alarm crit_alarm beep "
            "enable rated_min rated_max",
    "power": "input average average_interval average_interval_min average_interval_max average_highest "
             "average_lowest average_max average_min input_highest input_lowest accuracy cap cap_max cap_min "
             "cap_hyst max crit lcrit alarm cap_alarm max_alarm crit_alarm enable rated_min rated_max",
    "energy": "input enable",
    "fan": "input min max target div pulses alarm min_alarm max_alarm fault beep enable",
    "humidity": "input enable rated_min rated_max",
}


def hwmon_name(sensor: str, element: str) -> tuple[str, str]:
    """(family, type) node_exporter >= 1.0's hwmon collector gives ``<sensor>N_<element>``
    (collector/hwmon_linux.go's Update: the unit suffix rules, in its order)."""
    name = f"node_hwmon_{sensor}" + ("" if element == "input" else f"_{element}")
    if element in ("fault", "alarm"):
        return name, "gauge"
    if element == "beep":
        return name + "_enabled", "gauge"
    if sensor in ("in", "cpu"):
        return name + "_volts", "gauge"
    if sensor == "temp" and element != "type":
        return name + "_celsius", "gauge"
    if sensor == "curr":
        return name + "_amps", "gauge"
    if sensor == "energy":
        return name + "_joule_total", "counter"
    if sensor == "power" and element == "accuracy":
        return name, "gauge"
    if sensor == "power" and element.startswith("average_interval"):
        return name + "_seconds", "gauge"
    if sensor == "power":
        return name + "_watt", "gauge"
    if sensor == "fan" and element in ("input", "min", "max", "target"):
        return name + "_rpm", "gauge"
    return name, "gauge"


#: /proc/meminfo fields of current kernels that prometheus/procfs does not parse.
KERNEL_MEMINFO = ["Balloon", "FilePmdMapped", "KReclaimable", "Quicklists", "MmapCopy", "DirectMap4M", "Zswap",
                  "Zswapped", "SecPageTables", "Unaccepted", "Hugetlb", "FileHugePages", "ShmemHugePages",
                  "ShmemPmdMapped", "HardwareCorrupted", "CmaTotal", "CmaFree"]
#: Set by build(): the procfs repository, when given.
PROCFS: list = []


def _meminfo_dynamic(git: Git, rev: str) -> list[str]:
    """Family keys of a meminfo collector that names families after /proc/meminfo's fields."""
    text = git.show(rev, "collector/meminfo_linux.go") or ""
    if "reParens" not in text:
        return []
    fields = list(KERNEL_MEMINFO)
    if PROCFS:
        procfs, procfs_rev = PROCFS
        fields += [f.rstrip(":") for f in re.findall(r'case "([^"]+:)"', procfs.show(procfs_rev, "meminfo.go") or "")]
    keys = set()
    for field in fields:
        key = re.sub(r"\((\w+)\)", r"_\1", field)
        keys.add(key if key.startswith("HugePages_") else key + "_bytes")
    return sorted(keys)


def _netstat_defaults(git: Git, rev: str, by_file: dict[str, str]) -> list[str]:
    """The fields the netstat collector's default ``--collector.netstat.fields`` regexp names
    literally (alternatives with a wildcard are not enumerable and left out)."""
    text = git.show(rev, "collector/netstat_linux.go") or ""
    m = re.search(r'collector\.netstat\.fields".*?\.Default\("([^"]+)"\)', text)
    return sorted(expand_regexp(m.group(1))) if m else []


def expand_regexp(pattern: str) -> set[str]:
    """Every string a regexp made of literals, groups, alternatives and ``x?`` matches;
    a branch with a wildcard or repetition is dropped."""
    import re._parser as sre  # type: ignore[import-not-found]
    from re import _constants as c  # type: ignore[attr-defined]

    def walk(items) -> set[str] | None:  # noqa: ANN001
        out = {""}
        for op, av in items:
            if op is c.LITERAL:
                out = {o + chr(av) for o in out}
            elif op is c.AT:
                continue
            elif op is c.SUBPATTERN:
                sub = walk(av[-1])
                if sub is None:
                    return None
                out = {o + x for o in out for x in sub}
            elif op is c.BRANCH:
                alts = set()
                for branch in av[1]:
                    sub = walk(branch)
                    if sub is not None:
                        alts |= sub
                out = {o + x for o in out for x in alts}
            elif op is c.MAX_REPEAT and av[0] == 0 and av[1] == 1:
                sub = walk(av[2])
                if sub is None:
                    return None
                out = {o + x for o in out for x in sub | {""}}
            elif op is c.IN and all(k is c.LITERAL for k, _ in av):
                out = {o + chr(v) for o in out for _, v in av}
            else:
                return None
        return out

    return walk(sre.parse(pattern)) or set()


def build(repos: dict[str, Git]) -> Built:
    git = repos[REPOSITORY]
    if "prometheus/procfs" in repos:
        procfs = repos["prometheus/procfs"]
        PROCFS[:] = [procfs, sample_tags(procfs, [])[-1]]
    tags = sample_tags(git, MINORS)
    reports: dict[str, dict] = {}

    def one(tag: str) -> dict[str, Metric]:
        reports[tag] = {}
        return extract(git, tag, reports[tag])

    metrics = versioned(tags, one)
    newest = reports[tags[-1]]
    # since/until only for families a NewDesc names: a family that only the fixtures (or the
    # data) name can be missing from an older tag's fixtures and still be emitted.
    static = set().union(*(reports[t]["static"] for t in tags))
    for name, metric in list(metrics.items()):
        if name not in static and (metric.since or metric.until):
            metrics[name] = metric.model_copy(update={"since": "", "until": ""})
    defaults: dict[str, bool] = {}
    for tag in tags:
        for name, default in reports[tag]["defaults"].items():
            defaults[name] = default  # the newest tag's default wins
    collectors = {name: Collector(default=default, condition=CONDITIONS.get(name) or _platform_condition(name))
                  for name, default in defaults.items()}
    # Metrics whose collector no sampled tag registered (a rename) keep no collector.
    for name, metric in list(metrics.items()):
        if metric.collector and metric.collector not in collectors:
            collectors[metric.collector] = Collector(default=False, condition="removed: " + metric.collector)
    for name, flag in FLAG_GATED.items():
        if name in metrics:
            parent = flag.split(".", 1)[0]
            metrics[name] = metrics[name].model_copy(update={"collector": flag})
            collectors[flag] = Collector(default=False, condition=f"flag: --collector.{flag} (collector {parent} "
                                                                  f"enabled too)")
    cg = repos[go_runtime.REPOSITORY]
    runtime, rt_skipped, rt_files, cg_tags = go_runtime.build_all(cg)
    cg_tag = cg_tags[-1]
    for name, metric in runtime.items():
        metrics.setdefault(name, metric)
    collectors.update(go_runtime.COLLECTORS)
    built = Built(
        name=NAME,
        description="prometheus/node_exporter: every collector on every OS (default on and off, hardware-gated), "
                    "with client_golang's go_/process_/promhttp_ families",
        repository=REPOSITORY, tag=tags[-1], commit=git.commit(tags[-1]), files=newest["files"],
        namespaces=["node_"], collectors=collectors, metrics=metrics,
        skipped=sorted(set(newest.get("skipped", []))), typed_by_name=sorted(set(newest.get("typed_by_name", []))),
        sampled=tags,
        extra_sources=[f"{go_runtime.REPOSITORY} {cg_tag} (commit {cg.commit(cg_tag)}) and older tags "
                       f"{', '.join(cg_tags[:-1])}; files: {', '.join(rt_files)}"]
                      + ([f"prometheus/procfs {PROCFS[1]} (commit {PROCFS[0].commit(PROCFS[1])}); files: meminfo.go"]
                         if PROCFS else []),
    )
    built.skipped += [f"(no collector found, listed without one) {name}" for name in sorted(newest["unattributed"])]
    return built


def _platform_condition(collector: str) -> str:
    platforms = PLATFORMS.get(collector, set())
    if not platforms or platforms & {"any", "linux"}:
        return ""
    return "platform: " + ", ".join(sorted(platforms)) + " only"
