#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/deps.txt that are missing (apt-get, as root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# A line is "PACKAGE" or "PACKAGE COMMAND": the second form counts as present when COMMAND is on
# PATH (e.g. npm ships inside NodeSource's nodejs package, which conflicts with Debian's npm).
mapfile -t lines < <(grep -v '^\s*#' "$here/deps.txt" | grep -v '^\s*$')
missing=()
pkgs=()
for line in "${lines[@]}"; do
  read -r p cmd <<<"$line"
  pkgs+=("$p")
  if [ -n "${cmd:-}" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
