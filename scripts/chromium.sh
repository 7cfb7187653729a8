#!/usr/bin/env bash
# The report tests open the HTML report in Debian's headless chromium: install it when it is missing.
# Uses sudo when not root; on a system without apt-get it says what to install and fails.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "the report tests need chromium (headless) on PATH; install it with your system's package manager" >&2
  exit 1
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium
