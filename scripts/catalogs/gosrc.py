"""Reading metric definitions out of Go source held in a bare git directory.

Not a Go parser: a tokenizer that knows strings, comments and brackets, enough to find
``prometheus.NewDesc(...)`` calls and ``prometheus.XxxOpts{...}`` literals, split their
arguments, and evaluate a name expression made of string constants, ``+`` and
``prometheus.BuildFQName(a, b, c)``. Anything else (``fmt.Sprintf``, a function's
parameter) is *unresolved*: the caller reports it as skipped instead of guessing.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


class Git:
    """A bare git directory read with ``git cat-file`` (one process for every blob)."""

    def __init__(self, gitdir: str | Path):
        self.gitdir = str(gitdir)
        self._cat = subprocess.Popen(["git", "--git-dir", self.gitdir, "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._cache: dict[tuple[str, str], str | None] = {}

    def run(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", self.gitdir, *args], check=True,
                              capture_output=True, text=True).stdout

    def commit(self, rev: str) -> str:
        return self.run("rev-parse", f"{rev}^{{commit}}").strip()

    def files(self, rev: str, prefix: str = "") -> list[str]:
        args = ["ls-tree", "-r", "--name-only", rev]
        if prefix:
            args += ["--", prefix]
        return sorted(self.run(*args).splitlines())

    def show(self, rev: str, path: str) -> str | None:
        key = (rev, path)
        if key not in self._cache:
            assert self._cat.stdin and self._cat.stdout
            self._cat.stdin.write(f"{rev}:{path}\n".encode())
            self._cat.stdin.flush()
            header = self._cat.stdout.readline().decode()
            if header.endswith("missing\n"):
                self._cache[key] = None
            else:
                size = int(header.split()[2])
                body = self._cat.stdout.read(size)
                self._cat.stdout.read(1)
                self._cache[key] = body.decode("utf-8", "replace")
        return self._cache[key]

    def tags(self) -> list[str]:
        return self.run("tag", "--list").split()


# --------------------------------------------------------------------------- tokenizing

_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\]|\\.)*\'')


def strip_comments(text: str) -> str:
    """``text`` with Go comments blanked out (strings kept, offsets kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"`'":
            m = _STRING.match(text, i)
            if m:
                out.append(m.group(0))
                i = m.end()
                continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def matching(text: str, start: int) -> int:
    """Index just past the bracket closing the one at ``text[start]``."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = []
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if c in "\"`'":
            m = _STRING.match(text, i)
            if m:
                i = m.end()
                continue
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if not stack or stack.pop() != c:
                return -1
            if not stack:
                return i + 1
        i += 1
    return -1


def split_args(inner: str) -> list[str]:
    """Top-level comma-separated parts of ``inner`` (the text between brackets)."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(inner):
        c = inner[i]
        if c in "\"`'":
            m = _STRING.match(inner, i)
            if m:
                cur.append(m.group(0))
                i = m.end()
                continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    last = "".join(cur).strip()
    if last:
        parts.append(last)
    return parts


def go_string(lit: str) -> str:
    if lit.startswith("`"):
        return lit[1:-1]
    body = lit[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# --------------------------------------------------------------------------- constants

_CONST_ONE = re.compile(r"^(?:const|var)\s+([A-Za-z_]\w*)\s*(?:string\s*)?=\s*(.+)$", re.M)
_BLOCK = re.compile(r"^(?:const|var)\s*\(", re.M)
_LOCAL_CONST = re.compile(r"^\s+(?:const|var)\s+([A-Za-z_]\w*)\s*(?:string\s*)?=\s*(\"(?:[^\"\\\n]|\\.)*\"|`[^`]*`)\s*$",
                          re.M)
_SHORT = re.compile(r"^\s*([A-Za-z_]\w*)\s*:?=\s*(\"(?:[^\"\\\n]|\\.)*\"|`[^`]*`)\s*$", re.M)
_SLICE = re.compile(r"\b([A-Za-z_]\w*)\s*(?::=|=)\s*\[\]string\s*\{")


@dataclass
class Scope:
    """String constants and ``[]string{...}`` variables, by name: the package's (top level)
    and, weaker, every ``x := "literal"`` of a file."""

    consts: dict[str, str] = field(default_factory=dict)
    exprs: dict[str, str] = field(default_factory=dict)
    slices: dict[str, str] = field(default_factory=dict)
    locals: dict[str, str] = field(default_factory=dict)
    #: Another package's scope, for qualified names (``discovery.Namespace``) not found here.
    fallback: "Scope | None" = None

    def add_file(self, text: str) -> None:
        text = strip_comments(text)
        for m in _CONST_ONE.finditer(text):
            self.exprs.setdefault(m.group(1), m.group(2).strip())
        for m in _BLOCK.finditer(text):
            open_at = text.index("(", m.start())
            end = matching(text, open_at)
            if end < 0:
                continue
            for line in text[open_at + 1:end - 1].splitlines():
                mm = re.match(r"^\s*([A-Za-z_]\w*)\s*(?:string\s*)?=\s*(.+?)\s*$", line)
                if mm:
                    self.exprs.setdefault(mm.group(1), mm.group(2))
        for m in _SLICE.finditer(text):
            open_at = m.end() - 1
            end = matching(text, open_at)
            if end > 0:
                self.slices.setdefault(m.group(1), text[open_at + 1:end - 1])

    def at(self, code: str, pos: int) -> "Scope":
        """This scope plus the ``x := "literal"`` assignments of the function around
        ``code[pos]`` made before it (the last one wins)."""
        start = code.rfind("\nfunc ", 0, pos)
        local = Scope(self.consts, self.exprs, self.slices, {}, self.fallback)
        if start >= 0:
            found = [(m.start(), m) for m in _SHORT.finditer(code, start, pos)]
            found += [(m.start(), m) for m in _LOCAL_CONST.finditer(code, start, pos)]
            for _, m in sorted(found, key=lambda x: x[0]):
                local.locals[m.group(1)] = go_string(m.group(2))
        return local

    def const(self, name: str, seen: frozenset[str] = frozenset()) -> str | None:
        if name in self.locals:
            return self.locals[name]
        if name in self.consts:
            return self.consts[name]
        if name in self.exprs and name not in seen:
            value = eval_str(self.exprs[name], self, seen | {name})
            if value is not None:
                self.consts[name] = value
                return value
        if self.fallback is not None and self.fallback is not self and name not in seen:
            return self.fallback.const(name, seen)
        return None


def eval_str(expr: str, scope: Scope, seen: frozenset[str] = frozenset()) -> str | None:
    """The value of a Go string expression, or None when it is not static."""
    expr = expr.strip()
    while expr.startswith("(") and matching(expr, 0) == len(expr):
        expr = expr[1:-1].strip()
    parts = _split_plus(expr)
    if len(parts) > 1:
        values = [eval_str(p, scope, seen) for p in parts]
        return None if any(v is None for v in values) else "".join(values)  # type: ignore[arg-type]
    if _STRING.fullmatch(expr) and expr[0] != "'":
        return go_string(expr)
    m = re.fullmatch(r"(?:[\w.]+\.)?BuildFQName\((.*)\)", expr, re.S)
    if m:
        args = split_args(m.group(1))
        values = [eval_str(a, scope, seen) for a in args]
        if len(values) != 3 or any(v is None for v in values):
            return None
        return "_".join(v for v in values if v)  # type: ignore[misc]
    m = re.fullmatch(r"fmt\.Sprintf\((.*)\)", expr, re.S)
    if m:  # fmt.Sprintf("prometheus_%s_clean_start", subsystem) with static arguments
        args = split_args(m.group(1))
        values = [eval_str(a, scope, seen) for a in args]
        if not args or any(v is None for v in values) or re.search(r"%[^sv%]", values[0] or ""):
            return None
        out, rest = values[0], list(values[1:])
        if out.count("%s") + out.count("%v") != len(rest):
            return None
        return re.sub(r"%[sv]", lambda _: rest.pop(0), out)  # type: ignore[arg-type]
    m = re.fullmatch(r"(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)", expr)
    if m:
        return scope.const(m.group(1), seen) if expr not in ("nil",) else None
    return None


def _split_plus(expr: str) -> list[str]:
    parts, depth, cur, i = [], 0, [], 0
    while i < len(expr):
        c = expr[i]
        if c in "\"`'":
            m = _STRING.match(expr, i)
            if m:
                cur.append(m.group(0))
                i = m.end()
                continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "+" and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur).strip())
    return parts


def eval_labels(expr: str, scope: Scope) -> list[str] | None:
    """Label names of a ``[]string{...}`` / ``nil`` / slice variable / ``append(...)``."""
    expr = expr.strip()
    if expr in ("nil", "", "[]string{}"):
        return []
    m = re.fullmatch(r"\[\]string\s*\{(.*)\}", expr, re.S)
    if m:
        values = [eval_str(p, scope) for p in split_args(m.group(1))]
        return None if any(v is None for v in values) else values  # type: ignore[return-value]
    m = re.fullmatch(r"append\((.*)\)", expr, re.S)
    if m:
        args = split_args(m.group(1))
        out: list[str] = []
        for a in args:
            a = a.rstrip(".").strip()
            v = eval_labels(a, scope)
            if v is None:
                s = eval_str(a, scope)
                if s is None:
                    return None
                v = [s]
            out += v
        return out
    m = re.fullmatch(r"(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)", expr)
    if m and m.group(1) in scope.slices:
        return eval_labels("[]string{" + scope.slices[m.group(1)] + "}", scope)
    return None


# --------------------------------------------------------------------------- metric definitions

@dataclass
class Found:
    """One metric definition found in the source (name None = not static)."""

    name: str | None
    type: str | None
    help: str
    labels: list[str] | None
    path: str
    line: int
    expr: str = ""
    #: For a name that is not static: its static start (``node_memory_``), when it has one.
    prefix: str | None = None


_OPTS = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*\.)?(Counter|Gauge|Histogram|Summary)(?:Vec)?Opts\s*\{")
_DESC = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*\.)?NewDesc\s*\(")
_VEC_CALL = re.compile(r"\bNew(Counter|Gauge|Histogram|Summary)(Vec|Func)?\s*\(\s*$")
_VALUE_TYPES = {"Counter": "counter", "Gauge": "gauge", "Untyped": "untyped"}


def _opts_fields(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in split_args(body):
        m = re.match(r"^([A-Za-z_]\w*)\s*:\s*(.*)$", part, re.S)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def const_label_names(expr: str, code: str, pos: int, scope: Scope) -> list[str]:
    """Keys of a ``prometheus.Labels{k: v}`` literal, or of the one assigned to the variable
    ``expr`` earlier in the same function; keys may be constants."""
    expr = expr.strip()
    m = re.fullmatch(r"(?:[\w.]*\.)?Labels\s*\{(.*)\}", expr, re.S)
    if not m and re.fullmatch(r"[A-Za-z_]\w*", expr):
        start = code.rfind("\nfunc ", 0, pos)
        assign = None
        for am in re.finditer(re.escape(expr) + r"\s*:?=\s*(?:[\w.]*\.)?Labels\s*\{", code[max(start, 0):pos]):
            assign = am
        if assign is not None:
            open_at = max(start, 0) + assign.end() - 1
            end = matching(code, open_at)
            m = re.fullmatch(r"\{(.*)\}", code[open_at:end], re.S) if end > 0 else None
    if not m:
        return []
    names = []
    for part in split_args(m.group(1)):
        key = part.split(":", 1)[0].strip() if ":" in part else ""
        value = eval_str(key, scope) if key else None
        if value:
            names.append(value)
    return names


def find_opts(path: str, text: str, package: Scope) -> list[Found]:
    """``prometheus.CounterOpts{Namespace:, Subsystem:, Name:, Help:}`` literals, with the
    label names of the ``NewXxxVec(opts, labels)`` call around them."""
    code = strip_comments(text)
    found = []
    for m in _OPTS.finditer(code):
        open_at = m.end() - 1
        end = matching(code, open_at)
        if end < 0:
            continue
        fields = _opts_fields(code[open_at + 1:end - 1])
        scope = package.at(code, m.start())
        if "Name" not in fields:
            continue
        parts = [eval_str(fields.get(k, '""'), scope) for k in ("Namespace", "Subsystem", "Name")]
        name = None if any(p is None for p in parts) else "_".join(p for p in parts if p)  # type: ignore[misc]
        help_ = eval_str(fields.get("Help", '""'), scope) or ""
        mtype = m.group(1).lower()
        labels: list[str] | None = []
        # The call the literal is the first argument of: NewCounterVec(opts, []string{...}).
        before = code[max(0, m.start() - 200):m.start()]
        call = _VEC_CALL.search(before.rstrip("& \t\n"))
        if call and call.group(2) == "Vec":
            call_open = m.start() - (len(before) - before.rfind("(", 0, len(before.rstrip("& \t\n"))))
            call_end = matching(code, call_open)
            args = split_args(code[call_open + 1:call_end - 1]) if call_end > 0 else []
            labels = eval_labels(args[1], scope) if len(args) > 1 else None
        elif re.search(r"\bVecOpts\s*\{", code[m.start():open_at + 1]):
            labels = eval_labels(fields.get("VariableLabels", "nil"), scope)
        if "ConstLabels" in fields and labels is not None:
            labels = labels + const_label_names(fields["ConstLabels"], code, m.start(), scope)
        if mtype == "counter" and name and not name.endswith("_total"):
            pass  # client_golang does not add _total: the text format shows the name as given
        found.append(Found(name, mtype, help_, labels, path, line_of(code, m.start()), fields.get("Name", "")))
    return found


def find_descs(path: str, text: str, package: Scope) -> list[Found]:
    """``prometheus.NewDesc(name, help, labels, constLabels)`` calls, typed by the
    ``MustNewConstMetric(desc, prometheus.XxxValue, ...)`` that uses the variable they are
    assigned to (or the value type beside them in a ``{desc, valueType}`` literal)."""
    code = strip_comments(text)
    found = []
    for m in _DESC.finditer(code):
        open_at = m.end() - 1
        end = matching(code, open_at)
        if end < 0:
            continue
        args = split_args(code[open_at + 1:end - 1])
        if len(args) < 2:
            continue
        scope = package.at(code, m.start())
        name = eval_str(args[0], scope)
        help_ = eval_str(args[1], scope) or ""
        labels = eval_labels(args[2], scope) if len(args) > 2 else []
        if labels is not None and len(args) > 3 and args[3].strip() != "nil":
            labels = labels + const_label_names(args[3], code, m.start(), scope)
        mtype = _desc_type(code, m.start(), end)
        prefix = static_prefix(args[0], scope) if name is None else None
        found.append(Found(name, mtype, help_, labels, path, line_of(code, m.start()), args[0], prefix))
    return found


def _desc_type(code: str, start: int, end: int) -> str | None:
    after = code[end:end + 80]
    m = re.match(r"\s*,\s*(?:prometheus\.)?(Counter|Gauge|Untyped)Value", after)
    if m:  # typedDesc{prometheus.NewDesc(...), prometheus.GaugeValue}
        return _VALUE_TYPES[m.group(1)]
    before = code[max(0, start - 300):start]
    # Used inline: MustNewConstMetric(prometheus.NewDesc(...), prometheus.GaugeValue, ...)
    if re.search(r"NewConst(?:Metric|MetricWithCreatedTimestamp)\s*\(\s*$", before):
        m = re.match(r"\s*,\s*(?:prometheus\.)?(Counter|Gauge|Untyped)Value", code[end:end + 80])
        if m:
            return _VALUE_TYPES[m.group(1)]
        return None
    if re.search(r"NewConstHistogram\s*\(\s*$", before):
        return "histogram"
    if re.search(r"NewConstSummary\s*\(\s*$", before):
        return "summary"
    m = re.search(r"([A-Za-z_]\w*)\s*(?::=|=|:)\s*(?:&?\w*\{\s*)?$", before)
    if not m:
        return None
    var = m.group(1)
    uses = re.finditer(r"\b(?:Must)?New(Const(?:Metric|Histogram|Summary)(?:WithCreatedTimestamp)?)\s*\(\s*(?:[\w\[\]\"]+\.)*"
                       + re.escape(var) + r"\b(?!\s*\()(\s*,\s*(?:prometheus\.)?(Counter|Gauge|Untyped)Value)?", code)
    for u in uses:
        if "Histogram" in u.group(1):
            return "histogram"
        if "Summary" in u.group(1):
            return "summary"
        if u.group(3):
            return _VALUE_TYPES[u.group(3)]
    # {desc: ..., valueType: prometheus.GaugeValue} struct fields beside it
    # {desc: NewDesc(...), eval: ..., valType: GaugeValue} literals: the field in the same literal.
    tail = code[end:end + 400]
    nxt = re.search(r"NewDesc\s*\(|\}\s*,\s*\{", tail)
    tail = tail[:nxt.start()] if nxt else tail
    m = re.search(r"\b\w*[Tt]ype\s*:\s*(?:prometheus\.)?(Counter|Gauge|Untyped)Value", tail)
    if m:
        return _VALUE_TYPES[m.group(1)]
    return None


def static_prefix(expr: str, scope: Scope) -> str | None:
    """The static start of a name expression: ``BuildFQName(namespace, "memory", k)`` ->
    ``node_memory_``, ``"node_hwmon_" + sensor`` -> ``node_hwmon_``."""
    m = re.fullmatch(r"(?:prometheus\.)?BuildFQName\((.*)\)", expr.strip(), re.S)
    if m:
        args = split_args(m.group(1))
        if len(args) == 3:
            ns, sub = eval_str(args[0], scope), eval_str(args[1], scope)
            if ns is not None and sub is not None:
                head = "_".join(p for p in (ns, sub) if p)
                return head + "_" if head else None
            if ns:
                return ns + "_"
        return None
    parts = _split_plus(expr.strip())
    head = ""
    for part in parts:
        value = eval_str(part, scope)
        if value is None:
            break
        head += value
    return head or None


def guess_type(name: str) -> str:
    """The type of a family whose definition does not say: counters end in ``_total``."""
    return "counter" if name.endswith("_total") else "gauge"


def package_scope(git: Git, rev: str, paths: list[str], extra: list[str] = ()) -> Scope:  # type: ignore[assignment]
    scope = Scope()
    for p in list(paths) + list(extra):
        text = git.show(rev, p)
        if text is not None:
            scope.add_file(text)
    return scope


def go_files(git: Git, rev: str, prefix: str) -> list[str]:
    return [p for p in git.files(rev, prefix)
            if p.endswith(".go") and not p.endswith("_test.go") and "/vendor/" not in p
            and not p.startswith("vendor/") and "/testdata/" not in p]


_VERSION_COLLECTOR = re.compile(r"\b(?:version|versioncollector|promversion)\.NewCollector\(\s*\"(\w+)\"")


def scan_tree(git: Git, rev: str, prefixes: list[str], exclude: re.Pattern[str] | None = None
              ) -> tuple[list[Found], dict[str, str], list[str]]:
    """Every ``NewDesc`` and ``XxxOpts{}`` definition under ``prefixes``, each Go package
    (directory) with its own constants; plus ``version.NewCollector("x")`` calls, reported as
    {"x_build_info": path}. Returns (definitions, build infos, files read)."""
    files = [p for prefix in prefixes for p in go_files(git, rev, prefix)]
    if exclude is not None:
        files = [p for p in files if not exclude.search(p)]
    by_dir: dict[str, list[str]] = {}
    for p in files:
        by_dir.setdefault(p.rsplit("/", 1)[0] if "/" in p else "", []).append(p)
    everything = Scope()
    scopes: dict[str, Scope] = {}
    for d, paths in by_dir.items():
        scope = Scope()
        for p in paths:
            text = git.show(rev, p) or ""
            scope.add_file(text)
            everything.add_file(text)
        scopes[d] = scope
    for scope in scopes.values():
        scope.fallback = everything
    found: list[Found] = []
    infos: dict[str, str] = {}
    for d, paths in sorted(by_dir.items()):
        for p in paths:
            text = git.show(rev, p) or ""
            if "NewDesc" not in text and "Opts{" not in text and "NewCollector" not in text:
                continue
            found += find_descs(p, text, scopes[d]) + find_opts(p, text, scopes[d])
            for m in _VERSION_COLLECTOR.finditer(text):
                infos.setdefault(f"{m.group(1)}_build_info", p)
    return found, infos, files
