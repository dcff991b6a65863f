#!/usr/bin/env bash
# Runs the BenchmarkDotNet suite (tests/TciaPacs.Benchmarks) in Release and prints the summary tables.
# Usage: scripts/bench.sh [BenchmarkDotNet options...]   default: --filter '*' --job short
# Results (markdown, csv, html) go to $BENCH_ARTIFACTS (default: a temp folder), not into the repository.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
artifacts="${BENCH_ARTIFACTS:-$(mktemp -d -t tciapacs-bdn.XXXXXX)}"
args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(--filter '*' --job short); fi

cd "$root"
dotnet build tests/TciaPacs.Benchmarks/TciaPacs.Benchmarks.csproj -c Release -nologo -v q
dotnet run -c Release --no-build --project tests/TciaPacs.Benchmarks/TciaPacs.Benchmarks.csproj -- \
    --artifacts "$artifacts" "${args[@]}"

echo
echo "== Summary (from $artifacts/results) =="
for report in "$artifacts"/results/*-report-github.md; do
    [ -e "$report" ] || { echo "no reports were written"; exit 1; }
    echo
    cat "$report"
done
