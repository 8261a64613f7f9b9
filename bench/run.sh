#!/usr/bin/env bash
# Gateway benchmark (issue 7): builds the services and the harness in Release, starts everything on loopback,
# runs the scenarios, prints the tables and writes bench/results/latest.json and bench/results/latency.svg.
#   ./bench/run.sh            full run (a few minutes)
#   ./bench/run.sh --smoke    every phase ~1 s, proves the harness works (figures meaningless)
#   ./bench/run.sh --help     all options
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is required (apt-get install redis-server)" >&2; exit 1; }
dotnet build bench/Gateway.Bench/Gateway.Bench.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll "$@"
