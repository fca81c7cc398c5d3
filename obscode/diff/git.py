"""Reading generated output as it was at a git revision."""

from __future__ import annotations

import subprocess
from pathlib import Path

from obscode.errors import UsageError


def _git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed; obscode diff reads the base revision with git") from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:3])} failed: {message[-1] if message else 'no output'}")
    return result.stdout


def toplevel(path: Path) -> Path:
    """The root of the git work tree holding ``path``."""
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], path).decode().strip())
    except UsageError:
        raise UsageError(f"{path.resolve()} is not inside a git repository; obscode diff compares "
                         "generated/ with a git revision (run it in your clone)") from None


def default_base(repo: Path, branch: str = "main") -> str:
    """The merge-base of HEAD and ``branch``: what a pull request into ``branch`` changes."""
    try:
        return _git(["merge-base", "HEAD", branch], repo).decode().strip()
    except UsageError as exc:
        raise UsageError(f"cannot find the merge-base of HEAD and {branch} ({exc}); "
                         "pass --base REV, e.g. --base origin/main") from None


def resolve(repo: Path, rev: str) -> str:
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], repo).decode().strip()
    except UsageError:
        raise UsageError(f"--base {rev!r} is not a commit in this repository "
                         "(in CI, fetch it first: git fetch origin main, or checkout with fetch-depth: 0)") from None


def tree_at(repo: Path, rev: str, folder: str) -> dict[str, bytes]:
    """Files under ``folder`` (relative to the repository root) at ``rev``, keyed by their
    path relative to ``folder``; empty if the folder did not exist then."""
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", rev, "--", folder], repo)
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, oid = meta.decode().split()
        if kind == "blob":
            entries.append((path.decode(), oid))
    if not entries:
        return {}
    output = _git(["cat-file", "--batch"], repo, stdin="".join(f"{oid}\n" for _, oid in entries).encode())
    files: dict[str, bytes] = {}
    position = 0
    prefix = folder.rstrip("/") + "/"
    for path, _ in entries:
        header_end = output.index(b"\n", position)
        size = int(output[position:header_end].split()[2])
        start = header_end + 1
        files[path[len(prefix):]] = output[start:start + size]
        position = start + size + 1
    return files


def folders_at(repo: Path, rev: str, folder: str) -> list[str]:
    """Names of the sub-folders of ``folder`` at ``rev``."""
    listing = _git(["ls-tree", "-d", "-z", "--name-only", "--full-tree", rev, "--", folder.rstrip("/") + "/"], repo)
    return sorted(Path(p.decode()).name for p in listing.split(b"\0") if p)
