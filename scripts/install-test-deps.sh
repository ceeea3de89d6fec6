#!/bin/sh
# Install what test/interop needs if missing: curl, iproute2 (ip), python3, ping, socat,
# netcat-openbsd (nc), tshark. Debian/Ubuntu; idempotent, quiet, non-interactive.
set -eu
missing=""
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
command -v ping >/dev/null 2>&1 || missing="$missing iputils-ping"
command -v socat >/dev/null 2>&1 || missing="$missing socat"
# netcat-traditional also provides `nc`, with other options: the tests need the OpenBSD one (-N).
dpkg-query -W -f='${Status}' netcat-openbsd 2>/dev/null | grep -q 'ok installed' || missing="$missing netcat-openbsd"
command -v tshark >/dev/null 2>&1 || missing="$missing tshark"
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: need$missing but apt-get is not available" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture: answer "no" beforehand so it never prompts.
if command -v debconf-set-selections >/dev/null 2>&1; then
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | $SUDO debconf-set-selections
fi
# Quiet on success; on failure, apt's output goes to stderr.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086
if ! { $SUDO apt-get update -qq &&
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-test-deps: installing$missing failed" >&2
  exit 1
fi
