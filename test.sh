#!/usr/bin/env bash
# Builds the whole Aspire.sln and runs every test on a fresh Debian machine (what CI runs: .ci/run), the Aspire
# layer included: Tests/AppHost.Tests starts the real AppHost through Aspire.Hosting.Testing (DCP and the dashboard
# come from NuGet with the Aspire packages; no container runtime needed).
# Installs what the tests need and is missing: redis-server, Chromium, PostgreSQL 15, the Node packages of Tests/js.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql-15)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> npm ci (Tests/js: @supabase/supabase-js, ws)"
npm ci --prefix Tests/js --no-audit --no-fund --loglevel=error

echo "==> dotnet build Aspire.sln"
dotnet build Aspire.sln -nologo -clp:ErrorsOnly

echo "==> dotnet test"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# One test project at a time: on a 2-core machine four suites at once (two of them starting whole topologies and
# Chromium) starve each other's timing-bound checks; one after another costs about a minute more. A copy of the
# output is kept so that, when something fails, the last screen names each failed test with its message.
log="$(mktemp -t gateway-tests.XXXXXX.log)"
status=0
for project in Tests/*.Tests/*.Tests.csproj; do
  echo "==> dotnet test $project"
  dotnet test "$project" --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee -a "$log" || status=$?
done
if [ "$status" -ne 0 ]; then
  echo
  echo "==> tests failed (exit $status); full output: $log"
  grep -E '^\s+Failed [A-Za-z]|Test Run (Failed|Aborted)|aborted|crashed|error (MSB|CS|NU)[0-9]+' "$log" | sort -u | head -50 || true
  echo "--- failure details ---"
  grep -A 25 -E '^\s+Failed [A-Za-z]' "$log" | head -300 || true
  echo "--- per project ---"
  grep -E '^(Passed!|Failed!)|Test Run (Successful|Failed|Aborted)|Total tests|^\s+(Passed|Failed|Skipped): [0-9]' "$log" || true
fi
exit "$status"
