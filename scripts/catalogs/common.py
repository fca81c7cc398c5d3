"""What every exporter module shares: the result of one build, version sampling, YAML output."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gosrc import Found, Git, guess_type

from obscode.model.catalog import Catalog, Collector, Metric


@dataclass
class Built:
    """One exporter's catalog as a module builds it, plus what it could not resolve."""

    name: str
    description: str
    repository: str
    tag: str
    commit: str
    files: list[str]
    namespaces: list[str]
    collectors: dict[str, Collector]
    metrics: dict[str, Metric]
    #: Definitions whose name is not static ("path:line expr"), reported as skipped.
    skipped: list[str] = field(default_factory=list)
    #: Families whose type the source does not say (guessed from the name), reported.
    typed_by_name: list[str] = field(default_factory=list)
    #: Tags sampled for since/until, oldest first.
    sampled: list[str] = field(default_factory=list)
    extra_sources: list[str] = field(default_factory=list)
    #: The sources read cover only part of the exporter's metrics (Catalog.partial).
    partial: bool = False

    def catalog(self) -> Catalog:
        files = ", ".join(self.files)
        parts = [f"{self.repository} {self.tag} (commit {self.commit}); files: {files}"]
        if self.sampled:
            parts.append("since/until from tags " + ", ".join(self.sampled))
        parts += self.extra_sources
        return Catalog(name=self.name, description=self.description, built_from="; ".join(parts),
                       namespaces=sorted(self.namespaces), partial=self.partial, collectors=self.collectors,
                       metrics=sorted(self.metrics.values(), key=lambda m: m.name))


_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


def release_tags(git: Git) -> list[str]:
    """Release tags (vX.Y.Z, no release candidates), oldest first."""
    tags = [t for t in git.tags() if _SEMVER.match(t)]
    return sorted(tags, key=lambda t: tuple(int(x) for x in _SEMVER.match(t).groups()))  # type: ignore[union-attr]


def sample_tags(git: Git, minors: Iterable[str]) -> list[str]:
    """The newest patch release of each ``X.Y`` in ``minors`` plus the newest release, oldest first."""
    tags = release_tags(git)
    chosen = []
    for minor in minors:
        of_minor = [t for t in tags if t.lstrip("v").startswith(minor + ".")]
        if of_minor:
            chosen.append(of_minor[-1])
    if tags and tags[-1] not in chosen:
        chosen.append(tags[-1])
    return chosen


def versioned(tags: list[str], extract: Callable[[str], dict[str, Metric]]) -> dict[str, Metric]:
    """Every family any sampled tag emits, with ``since`` (first sampled tag that has it, when
    the oldest does not) and ``until`` (last sampled tag that has it, when the newest does not).
    A family's other fields come from the newest tag that has it."""
    per_tag = [(tag, extract(tag)) for tag in tags]
    out: dict[str, Metric] = {}
    names = sorted({n for _, metrics in per_tag for n in metrics})
    for name in names:
        having = [tag for tag, metrics in per_tag if name in metrics]
        newest = next(metrics[name] for tag, metrics in reversed(per_tag) if name in metrics)
        since = having[0] if having[0] != tags[0] else ""
        until = having[-1] if having[-1] != tags[-1] else ""
        out[name] = newest.model_copy(update={"since": since, "until": until})
    return _drop_series_clashes(out)


def _drop_series_clashes(metrics: dict[str, Metric]) -> dict[str, Metric]:
    """A family renamed between versions can collide with another's series (``x`` the
    summary vs ``x_count`` the counter); keep the one the newest version emits."""
    seen: dict[str, str] = {}
    out: dict[str, Metric] = {}
    for name in sorted(metrics, key=lambda n: (metrics[n].until != "", n)):
        metric = metrics[name]
        series = metric.series_names()
        if any(s in seen for s in series):
            continue
        for s in series:
            seen[s] = name
        out[name] = metric
    return out


def to_metric(found: Found, collector: str, typed_by_name: list[str] | None = None) -> Metric:
    mtype = found.type
    if mtype is None:
        mtype = guess_type(found.name or "")
        if typed_by_name is not None:
            typed_by_name.append(found.name or "")
    return Metric(name=found.name, type=mtype, help=" ".join(found.help.split()), labels=found.labels or [],
                  collector=collector)


def build_info(prefix: str, collector: str = "") -> Metric:
    """``<prefix>_build_info`` of prometheus/common's ``version.NewCollector(prefix)``."""
    return Metric(name=f"{prefix}_build_info", type="gauge",
                  help=f"A metric with a constant '1' value labeled by version, revision, branch, goversion from "
                       f"which {prefix} was built, and the goos and goarch for the build.",
                  labels=["branch", "goarch", "goos", "goversion", "revision", "tags", "version"],
                  collector=collector)


def merge(into: dict[str, Metric], metrics: Iterable[Metric]) -> None:
    """Add families not already present (the first definition of a name wins)."""
    for m in metrics:
        into.setdefault(m.name, m)
