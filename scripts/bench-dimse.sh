#!/usr/bin/env bash
# DIMSE benchmark, TciaPacs next to Orthanc on the same machine in one run (issue 5):
#   C-STORE ingest (storescu, one association, then 4 in parallel), C-FIND study-level latency, C-MOVE (movescu to a
#   storescp) and C-GET (getscu) of a COUNT-instance study in MB/s, peak server memory while ingesting.
# It also measures, in the same run, the bounds the ratios are read against: a null server (storescp --ignore) fed by
# the same storescu, the store's durable write pattern alone with one and four writers, and how busy the receiving
# dcmtk process is during C-MOVE and C-GET.
# Usage: bash scripts/bench-dimse.sh [COUNT]   (default 500; needs dcmtk, orthanc, python3-pydicom, python3-numpy)
# Both servers are long-running: each first ingests a warm-up set of 3 x COUNT instances (WARM=N to change; not
# timed), runs the query association once and retrieves the study RETRIEVE_WARMUP times by C-MOVE and by C-GET (default
# 30) before those are timed, so that what is timed is the steady state, not .NET's tiered JIT still compiling (a method
# called once per retrieval is recompiled after its 30th call). TciaPacs is the ReadyToRun publish we ship, and stores as sent
# (de-identification profile None), as Orthanc does; DEID=1 keeps our default (basic profile + PHI scan) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-500}
QUERIES=${QUERIES:-200}
# dcmtk (our clients, storescp, and Orthanc, built on dcmtk) sets TCP_NODELAY on its sockets only when this is set;
# without it each DIMSE exchange can wait ~40 ms for a delayed ACK. We set NoDelay on every one of our sockets.
export TCP_NODELAY=1
for t in storescu findscu movescu getscu storescp Orthanc; do command -v $t >/dev/null || { echo "missing $t (apt-get install dcmtk orthanc)"; exit 1; }; done
WORK=$(mktemp -d /tmp/bench-dimse.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "publishing tciapacs (Release, ReadyToRun)..."
dotnet publish src/TciaPacs.Server/TciaPacs.Server.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$WORK/bin" -nologo -v q >/dev/null

WARM=${WARM:-$((COUNT * 3))}
echo "generating $WARM + 2 x $COUNT CT instances (256x256x16, one study each) and $QUERIES query files..."
/usr/bin/python3 scripts/gen-ct.py "$WORK/warm" "$WARM" 4 warm >"$WORK/warm.study"
/usr/bin/python3 scripts/gen-ct.py "$WORK/one" "$COUNT" 1 one >"$WORK/one.study"
/usr/bin/python3 scripts/gen-ct.py "$WORK/four" "$COUNT" 4 four >"$WORK/four.study"
# C-FIND identifiers (what findscu sends, one C-FIND each, all on one association).
/usr/bin/python3 - "$WORK" "$QUERIES" <<'PY'
import sys, os
from pydicom.dataset import Dataset
work, queries = sys.argv[1], int(sys.argv[2])
study = open(f"{work}/one.study").read().strip()
os.makedirs(f"{work}/q", exist_ok=True)
for i in range(queries):
    q = Dataset(); q.QueryRetrieveLevel = "STUDY"; q.StudyInstanceUID = study; q.PatientName = ""; q.PatientID = ""; q.StudyDate = ""
    q.ModalitiesInStudy = ""; q.NumberOfStudyRelatedInstances = ""
    try:
        q.save_as(f"{work}/q/{i:04d}.dcm", implicit_vr=True, little_endian=True)
    except TypeError:  # pydicom < 3
        q.is_little_endian, q.is_implicit_VR = True, True
        q.save_as(f"{work}/q/{i:04d}.dcm", write_like_original=True)
PY
BYTES=$(du -sb "$WORK/one" | cut -f1)

DEST_PORT=$(free_port)
# The receiving ends take the data and drop it (--ignore): what is timed is how fast each server sends, not how fast
# dcmtk writes files (with the files written, both servers meet the same ~110 MB/s ceiling of storescp/getscu here).
storescp -aet BENCHDEST +xa --ignore "$DEST_PORT" & DEST_PID=$!; PIDS+=($DEST_PID)

if [ "${DEID:-0}" = 1 ]; then echo '{ "Logging": { "MinimumLevel": "Warning" } }' >"$WORK/tp.json"
else echo '{ "Deidentification": { "Default": { "Profile": "None" } }, "Logging": { "MinimumLevel": "Warning" } }' >"$WORK/tp.json"; fi
TP_PORT=$(free_port)
"$WORK/bin/tciapacs" serve --config "$WORK/tp.json" --data "$WORK/tp" --dicom-port "$TP_PORT" --http-port "$(free_port)" \
  --peer "BENCHDEST@127.0.0.1:$DEST_PORT" >"$WORK/tp.log" 2>&1 & TP_PID=$!; PIDS+=($TP_PID)

OR_PORT=$(free_port); mkdir -p "$WORK/orthanc"
cat >"$WORK/orthanc.json" <<JSON
{ "Name": "bench", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc", "DicomAet": "ORTHANC",
  "DicomPort": $OR_PORT, "HttpPort": $(free_port), "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "Plugins": [],
  "DicomModalities": { "bench": [ "BENCHDEST", "127.0.0.1", $DEST_PORT ], "scu": [ "STORESCU", "127.0.0.1", $DEST_PORT ],
                       "find": [ "FINDSCU", "127.0.0.1", $DEST_PORT ], "move": [ "MOVESCU", "127.0.0.1", $DEST_PORT ],
                       "get": [ "GETSCU", "127.0.0.1", $DEST_PORT ] } }
JSON
Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 & OR_PID=$!; PIDS+=($OR_PID)

for p in $TP_PORT $OR_PORT; do for _ in $(seq 100); do echoscu -aec ANY 127.0.0.1 "$p" >/dev/null 2>&1 && break; sleep 0.2; done; done

now() { date +%s.%N; }
cpu_s() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }  # user + system CPU seconds of a running process
peak_kb() { grep VmHWM "/proc/$1/status" | awk '{print $2}'; }
store4() { # aet port dir
  local four=(); for d in 0 1 2 3; do storescu -aec "$1" +sd 127.0.0.1 "$2" "$3/$d" >/dev/null & four+=($!); done; wait "${four[@]}"
}
declare -A R
bench() { # name aet port pid
  local name=$1 aet=$2 port=$3 pid=$4 t0 t1
  echo "  $name: warm-up ($WARM instances, 4 associations)..."
  store4 "$aet" "$port" "$WORK/warm"
  echo "  $name: C-STORE..."
  t0=$(now); storescu -aec "$aet" +sd 127.0.0.1 "$port" "$WORK/one" >/dev/null; t1=$(now)
  R[$name.store1]=$(echo "$COUNT / ($t1 - $t0)" | bc -l)
  t0=$(now); store4 "$aet" "$port" "$WORK/four"; t1=$(now)
  R[$name.store4]=$(echo "$COUNT / ($t1 - $t0)" | bc -l)
  R[$name.mem]=$(peak_kb "$pid")
  echo "  $name: C-FIND..."
  local study; study=$(cat "$WORK/one.study"); local times=()
  findscu -S -aec "$aet" 127.0.0.1 "$port" "$WORK"/q/*.dcm >/dev/null 2>&1; sleep 2  # warm-up, not timed
  # Within one association: $QUERIES C-FINDs minus one, so that process start and association set-up cancel out. The
  # median of FIND_RUNS (default 5) such associations: a single one moves with any burst of load on a 2-core host.
  local single means=()
  for _ in $(seq "${FIND_RUNS:-5}"); do
    t0=$(now); findscu -S -aec "$aet" 127.0.0.1 "$port" "$WORK/q/0000.dcm" >/dev/null 2>&1; t1=$(now); single=$(echo "$t1 - $t0" | bc -l)
    t0=$(now); findscu -S -aec "$aet" 127.0.0.1 "$port" "$WORK"/q/*.dcm >/dev/null 2>&1; t1=$(now)
    means+=("$(echo "(($t1 - $t0) - $single) * 1000 / ($QUERIES - 1)" | bc -l)")
  done
  [ -n "${VERBOSE:-}" ] && echo "    C-FIND means (ms): ${means[*]}"
  R[$name.findmean]=$(printf '%s\n' "${means[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  for _ in $(seq 30); do t0=$(now); findscu -S -aec "$aet" 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" -k PatientName >/dev/null 2>&1; t1=$(now); times+=("$(echo "($t1 - $t0) * 1000" | bc -l)"); done
  R[$name.find]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "  $name: C-MOVE, C-GET (${RETRIEVE_WARMUP:-30} of each first, not timed)..."
  for _ in $(seq "${RETRIEVE_WARMUP:-30}"); do
    movescu -S -aec "$aet" -aem BENCHDEST 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >/dev/null 2>&1
    getscu --ignore -S -aec "$aet" 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >/dev/null 2>&1
  done
  sleep 2
  # Each retrieval is a fraction of a second: the median of RETRIEVES runs (default 9).
  local moves=() gets=() c0 c1 busy_move=0 busy_get=0 wall_move=0 wall_get=0 TIMEFORMAT='%U %S'
  for _ in $(seq "${RETRIEVES:-9}"); do
    c0=$(cpu_s "$DEST_PID"); t0=$(now)
    movescu -d -S -aec "$aet" -aem BENCHDEST 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >"$WORK/move.log" 2>&1
    t1=$(now); c1=$(cpu_s "$DEST_PID")
    moves+=("$(echo "$BYTES / 1048576 / ($t1 - $t0)" | bc -l)")
    busy_move=$(echo "$busy_move + $c1 - $c0" | bc -l); wall_move=$(echo "$wall_move + $t1 - $t0" | bc -l)
    t0=$(now)
    { time getscu -v --ignore -S -aec "$aet" 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >"$WORK/get.log" 2>&1; } 2>"$WORK/get.time"
    t1=$(now)
    gets+=("$(echo "$BYTES / 1048576 / ($t1 - $t0)" | bc -l)")
    busy_get=$(echo "$busy_get + $(awk '{print $1 + $2}' "$WORK/get.time")" | bc -l); wall_get=$(echo "$wall_get + $t1 - $t0" | bc -l)
  done
  # How busy the receiving dcmtk process was (share of one core; 1.0 means it set the pace).
  R[$name.movebusy]=$(echo "$busy_move / $wall_move" | bc -l)
  R[$name.getbusy]=$(echo "$busy_get / $wall_get" | bc -l)
  [ -n "${VERBOSE:-}" ] && echo "    moves (MB/s): ${moves[*]}; gets: ${gets[*]}"
  R[$name.move]=$(printf '%s\n' "${moves[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  R[$name.get]=$(printf '%s\n' "${gets[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  R[$name.moved]=$(grep "Completed Suboperations" "$WORK/move.log" | tail -1 | awk '{print $NF}' || true)
  R[$name.got]=$(grep -c "Received C-STORE Request" "$WORK/get.log" || true)
}
bench tciapacs TCIAPACS "$TP_PORT" "$TP_PID"
bench orthanc ORTHANC "$OR_PORT" "$OR_PID"

# Bounds measured in this run, to read the ratios against: what no server could beat here.
#  - a null server: storescu into storescp --ignore (no storage at all), one and four associations;
#  - the durable write alone: this set's files written one at a time (or four at a time) the way our store writes
#    them, each waiting for a shared syncfs before it counts (scripts/disk-pattern.py: no DICOM work, no catalog).
echo "  bounds: null server, durable write alone..."
t0=$(now); storescu -aec BENCHDEST +sd 127.0.0.1 "$DEST_PORT" "$WORK/one" >/dev/null; t1=$(now)
R[null.store1]=$(echo "$COUNT / ($t1 - $t0)" | bc -l)
t0=$(now); store4 BENCHDEST "$DEST_PORT" "$WORK/four"; t1=$(now)
R[null.store4]=$(echo "$COUNT / ($t1 - $t0)" | bc -l)
SIZE=$((BYTES / COUNT))
# The one-writer files stay until the exit trap: deleting them right before the four-writer run would slow its file
# creation (ext4 without a journal skips inodes freed in the last 60-300 s; see scripts/bench-import.sh).
R[disk.store1]=$(python3 scripts/disk-pattern.py "$WORK/pattern1" "$COUNT" "$SIZE" 1 | awk '{print $1}')
R[disk.store4]=$(python3 scripts/disk-pattern.py "$WORK/pattern4" "$COUNT" "$SIZE" 4 | awk '{print $1}')

printf '\n%-42s %10s %10s %7s\n' "COUNT=$COUNT ($((BYTES / 1048576)) MB per set)" TciaPacs Orthanc ratio
row() { printf '%-42s %10.1f %10.1f %7.2f\n' "$1" "$2" "$3" "$(echo "$4" | bc -l)"; }
row "C-STORE 1 association (inst/s)" "${R[tciapacs.store1]}" "${R[orthanc.store1]}" "${R[tciapacs.store1]} / ${R[orthanc.store1]}"
row "C-STORE 4 associations (inst/s)" "${R[tciapacs.store4]}" "${R[orthanc.store4]}" "${R[tciapacs.store4]} / ${R[orthanc.store4]}"
row "C-FIND study, per query, one assoc. (us)" "$(echo "${R[tciapacs.findmean]} * 1000" | bc -l)" "$(echo "${R[orthanc.findmean]} * 1000" | bc -l)" "${R[orthanc.findmean]} / ${R[tciapacs.findmean]}"
row "C-FIND study, p50 findscu process (ms)" "${R[tciapacs.find]}" "${R[orthanc.find]}" "${R[orthanc.find]} / ${R[tciapacs.find]}"
row "C-MOVE study (MB/s, median)" "${R[tciapacs.move]}" "${R[orthanc.move]}" "${R[tciapacs.move]} / ${R[orthanc.move]}"
row "C-GET study (MB/s, median)" "${R[tciapacs.get]}" "${R[orthanc.get]}" "${R[tciapacs.get]} / ${R[orthanc.get]}"
row "peak RSS while ingesting (MB)" "$(echo "${R[tciapacs.mem]} / 1024" | bc -l)" "$(echo "${R[orthanc.mem]} / 1024" | bc -l)" "${R[tciapacs.mem]} / ${R[orthanc.mem]}"
echo "(ratios: > 1 is TciaPacs better, except memory: < 1 is TciaPacs lower)"
printf '\nBounds in this run (what the ratio could reach at most, against Orthanc in this run):\n'
bound() { printf '  %-58s %8.1f  %5.2f\n' "$1" "$2" "$(echo "$2 / $3" | bc -l)"; }
bound "null server (storescp --ignore), 1 association (inst/s)" "${R[null.store1]}" "${R[orthanc.store1]}"
bound "durable write alone, 1 writer (files/s)" "${R[disk.store1]}" "${R[orthanc.store1]}"
bound "null server (storescp --ignore), 4 associations (inst/s)" "${R[null.store4]}" "${R[orthanc.store4]}"
bound "durable write alone, 4 writers (files/s)" "${R[disk.store4]}" "${R[orthanc.store4]}"
printf '  %-58s %8.2f %8.2f\n' "receiver busy during C-MOVE, cores (TciaPacs, Orthanc)" "${R[tciapacs.movebusy]}" "${R[orthanc.movebusy]}"
printf '  %-58s %8.2f %8.2f\n' "receiver busy during C-GET, cores (TciaPacs, Orthanc)" "${R[tciapacs.getbusy]}" "${R[orthanc.getbusy]}"
echo "instances moved: TciaPacs ${R[tciapacs.moved]}, Orthanc ${R[orthanc.moved]}; got: TciaPacs ${R[tciapacs.got]}, Orthanc ${R[orthanc.got]} (of $COUNT)"
