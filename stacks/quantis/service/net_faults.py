"""Real dropped packets for the network alerts, on a veth pair of our own (never on one of
the machine's interfaces): one end (``host``) stays in this network namespace, where
node-exporter counts it; the other (``peer``) lives in a network namespace made for it.

The kernel drops, and counts, what cannot be delivered:

- ``transmit_drops``: the peer is down; frames sent from the host end count as its
  ``tx_dropped`` (node_network_transmit_drop_total);
- ``receive_drops``: the peer sends frames of a protocol nobody handles (the IEEE local
  experimental EtherType 0x88B5); the host end counts them as ``rx_dropped``
  (node_network_receive_drop_total).

``deliver`` sends frames both ways with both ends up (packets counted, nothing dropped: the
peer's are ARP requests), which is how a drop ratio goes back under its threshold.

Needs root (``ip netns``, ``ip link`` and a raw packet socket); :class:`NetworkFaultError`
says what failed. Everything made is deleted on exit, even after a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType

_ETHERNET = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01"  # broadcast, from a locally administered address
#: A frame of the IEEE local experimental EtherType (0x88B5), which no protocol handles: the
#: receiving kernel counts it as dropped.
FRAME = _ETHERNET + b"\x88\xb5" + b"quantis network probe".ljust(46, b".")
#: An ARP request for 192.0.2.1 (TEST-NET-1) from 0.0.0.0: handled by ARP, so received, not dropped.
ARP = (_ETHERNET + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\x02\x00\x00\x00\x00\x01"
       + bytes(4) + bytes(6) + bytes([192, 0, 2, 1])).ljust(60, b"\x00")

_SEND = ("import socket, sys\n"
         "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
         "s.bind((sys.argv[1], 0))\n"
         "for _ in range(int(sys.argv[2])):\n"
         "    s.send(bytes.fromhex(sys.argv[3]))\n")


class NetworkFaultError(RuntimeError):
    """A step of the veth probe failed: the command and the kernel's message."""


def _ip() -> str:
    found = shutil.which("ip")
    if found is None:
        raise NetworkFaultError("ip is not installed (Debian package iproute2)")
    return found


def _run(*argv: str) -> None:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise NetworkFaultError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def available() -> str | None:
    """None when the probe can run here; otherwise why not."""
    if os.geteuid() != 0:
        return "the veth probe needs root (ip netns, ip link, raw sockets)"
    if shutil.which("ip") is None:
        return "ip is not installed (Debian package iproute2)"
    return None


class VethProbe:
    """A veth pair ``host`` (here) / ``peer`` (in namespace ``namespace``)."""

    def __init__(self, tag: str | None = None) -> None:
        tag = tag or str(os.getpid() % 100_000)
        self.host, self.peer = f"qprobe{tag}a", f"qprobe{tag}b"  # at most 15 characters
        self.namespace = f"quantis-probe-{tag}"
        self._made: list[str] = []

    def __enter__(self) -> VethProbe:
        ip = _ip()
        try:
            _run(ip, "netns", "add", self.namespace)
            self._made.append("netns")
            _run(ip, "link", "add", self.host, "type", "veth", "peer", "name", self.peer, "netns", self.namespace)
            self._made.append("link")
            self.set_up(host=True, peer=True)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        ip = _ip()
        if "link" in self._made:  # deleting one end deletes the pair
            subprocess.run([ip, "link", "del", self.host], capture_output=True, timeout=30)
        if "netns" in self._made:
            subprocess.run([ip, "netns", "del", self.namespace], capture_output=True, timeout=30)
        self._made.clear()

    def set_up(self, *, host: bool, peer: bool) -> None:
        ip = _ip()
        _run(ip, "link", "set", self.host, "up" if host else "down")
        _run(ip, "netns", "exec", self.namespace, ip, "link", "set", self.peer, "up" if peer else "down")

    def _send_from_host(self, frames: int) -> None:
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
            sock.bind((self.host, 0))
            for _ in range(frames):
                sock.send(FRAME)

    def _send_from_peer(self, frames: int, frame: bytes = FRAME) -> None:
        _run(_ip(), "netns", "exec", self.namespace, sys.executable, "-c", _SEND, self.peer, str(frames), frame.hex())

    def transmit_drops(self, frames: int) -> None:
        """``frames`` sent from the host end while the peer is down: all dropped on transmit."""
        self.set_up(host=True, peer=False)
        self._send_from_host(frames)

    def receive_drops(self, frames: int) -> None:
        """``frames`` of a protocol nobody handles sent from the peer: the host end receives
        and drops them all."""
        self.set_up(host=True, peer=True)
        self._send_from_peer(frames, FRAME)

    def deliver(self, frames: int) -> None:
        """``frames`` each way with both ends up: transmitted, and received as ARP, none dropped."""
        self.set_up(host=True, peer=True)
        self._send_from_host(frames)
        self._send_from_peer(frames, ARP)

    def counters(self) -> dict[str, int]:
        """The host end's statistics, as node-exporter reads them (/sys/class/net/.../statistics)."""
        stats = Path("/sys/class/net") / self.host / "statistics"
        return {name: int((stats / name).read_text()) for name in
                ("rx_packets", "rx_dropped", "rx_errors", "tx_packets", "tx_dropped", "tx_errors")}
