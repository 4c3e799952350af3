#!/usr/bin/env bash
# Usage: scripts/apt-install.sh PKG...
#
# Installs Debian packages non-interactively. Waits (up to 15 min) for another
# apt-get/dpkg run holding the dpkg lock instead of failing at once.
# Needs root; otherwise it fails with a message naming the packages.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 PKG..." >&2
  exit 2
fi
if [[ $EUID -ne 0 ]]; then
  echo "apt-install: Debian package(s) missing: $*" >&2
  echo "apt-install: not running as root, so cannot install them; run: sudo apt-get install -y $*" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
wait_lock=(-o DPkg::Lock::Timeout=900)
echo "apt-install: installing $*" >&2
apt-get "${wait_lock[@]}" update -q
apt-get "${wait_lock[@]}" install -y -q "$@"
