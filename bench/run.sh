#!/usr/bin/env bash
# Gateway benchmark (issue 7): builds the services and the harness in Release, starts everything on loopback,
# runs the scenarios, prints the tables and writes bench/results/latest.json and bench/results/latency.svg.
#   ./bench/run.sh            full run (a few minutes)
#   ./bench/run.sh --smoke    every phase ~1 s, proves the harness works (figures meaningless)
#   ./bench/run.sh --help     all options
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Installs what is missing, like ./test.sh: wrk (the HTTP load generator) and redis-server (Debian packages).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# 5,000 relayed sockets need ~10,000 descriptors in the Proxy and 5,000 in the harness and the emulator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
dotnet build bench/Gateway.Bench/Gateway.Bench.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll "$@"
