#!/bin/sh
# Install what test/interop needs (curl, iproute2, python3, ping) if missing. Debian/Ubuntu; idempotent, quiet.
set -eu
missing=""
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
command -v ping >/dev/null 2>&1 || missing="$missing iputils-ping"
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: need$missing but apt-get is not available" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
