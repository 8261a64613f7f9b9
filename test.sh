#!/usr/bin/env bash
# Builds and runs every hermetic test on a fresh Debian machine (what CI runs: .ci/run).
# Installs what the tests need and is missing: redis-server, Chromium, PostgreSQL 15, the Node packages of Tests/js.
# The Aspire layer (AppHost, Tests/AppHost.Tests) needs nuget.org and Docker and is not part of this run.
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

echo "==> dotnet build Aspire.Offline.slnf"
dotnet build Aspire.Offline.slnf -nologo -clp:ErrorsOnly

echo "==> dotnet test"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
dotnet test Aspire.Offline.slnf --no-build -nologo --logger "console;verbosity=normal" "$@"
