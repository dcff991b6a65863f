#!/bin/bash
# Where a C-STORE's time goes, step by step (docs/benchmarks.md, eleventh pass): builds tciapacs with StageTrace compiled
# in (-p:StageTrace=true; a normal build has no trace calls), stores WARM instances to warm it up, then COUNT more over
# ASSOCIATIONS storescu associations, stops the server and prints each step's median and mean (scripts/stage-trace.py).
#
# Usage: bash scripts/stage-trace.sh [COUNT] [ASSOCIATIONS]   (defaults 500 and 1; needs dcmtk, python3-pydicom, numpy)
# The instances are 256x256x16 CT, 131 KB, as in scripts/bench-dimse.sh; the collection stores as sent.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-500}
ASSOCIATIONS=${2:-1}
WARM=${WARM:-1500}
export TCP_NODELAY=1
command -v storescu >/dev/null || { echo "missing storescu (apt-get install dcmtk)"; exit 1; }
WORK=$(mktemp -d /tmp/stage-trace.XXXXXX)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "publishing tciapacs with StageTrace (Release, ReadyToRun)..."
dotnet publish src/TciaPacs.Server/TciaPacs.Server.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -p:StageTrace=true -o "$WORK/bin" -nologo -v q >/dev/null

echo "generating $WARM + $COUNT CT instances..."
/usr/bin/python3 scripts/gen-ct.py "$WORK/warm" "$WARM" 4 warm >/dev/null
/usr/bin/python3 scripts/gen-ct.py "$WORK/timed" "$COUNT" "$ASSOCIATIONS" timed >/dev/null

echo '{ "Deidentification": { "Default": { "Profile": "None" } }, "Logging": { "MinimumLevel": "Warning" } }' >"$WORK/tp.json"
PORT=$(free_port)
TCIAPACS_STAGE_TRACE="$WORK/stages.txt" "$WORK/bin/tciapacs" serve --config "$WORK/tp.json" --data "$WORK/data" \
  --dicom-port "$PORT" --http-port "$(free_port)" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do echoscu -aec TCIAPACS 127.0.0.1 "$PORT" >/dev/null 2>&1 && break; sleep 0.2; done
echo "warm-up: $WARM instances over 4 associations..."
SENDERS=(); for d in "$WORK"/warm/*/; do storescu -aec TCIAPACS +sd 127.0.0.1 "$PORT" "$d" >/dev/null & SENDERS+=($!); done; wait "${SENDERS[@]}"
find "$WORK/timed" -name "*.dcm" -exec cat {} + >/dev/null  # in the page cache: storescu's reads are not what is timed
echo "timed: $COUNT instances over $ASSOCIATIONS association(s)..."
start=$(date +%s%N)
if [ "$ASSOCIATIONS" = 1 ]; then TIMED=("$WORK/timed"); else TIMED=("$WORK"/timed/*/); fi
SENDERS=(); for d in "${TIMED[@]}"; do storescu -aec TCIAPACS +sd 127.0.0.1 "$PORT" "$d" >/dev/null & SENDERS+=($!); done; wait "${SENDERS[@]}"
end=$(date +%s%N)
echo "$((COUNT * 1000000000 / (end - start))) inst/s"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
/usr/bin/python3 scripts/stage-trace.py "$WORK/stages.txt" "$COUNT"
