#!/usr/bin/env bash
# Installs the system tools the tests run for real (Debian packages); pip cannot install them.
# Usage: scripts/system-deps.sh [package...]   (default: the packages `make test` needs)
set -euo pipefail
packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
  packages=(prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter prometheus-pushgateway prometheus-blackbox-exporter postgresql iproute2 wrk chromium docker-compose)
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "error: missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  echo "(promtool comes with 'prometheus', amtool with 'prometheus-alertmanager')" >&2
  exit 2
fi
