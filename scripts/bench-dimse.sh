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
# COMPRESS=SYNTAX (e.g. JPEGLSLossless) turns on our ingest compression (Storage.Compression), to measure what it costs;
# ORTHANC_TRANSCODE=UID (e.g. 1.2.840.10008.1.2.4.80) turns on Orthanc's (IngestTranscoding, its DCMTK codecs), to compare.
# The two servers are timed turn about, so that a host whose speed drifts during the run (this VM's does, by ±30 %)
# weighs on both alike: each C-STORE rate is over two sets stored in the order TciaPacs, Orthanc, Orthanc, TciaPacs
# (a linear drift cancels out), and each round of the timed retrievals runs both, the first one alternating.
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
echo "generating $WARM + 4 x $COUNT CT instances (256x256x16, one study each) and $QUERIES query files..."
/usr/bin/python3 scripts/gen-ct.py "$WORK/warm" "$WARM" 4 warm >"$WORK/warm.study"
/usr/bin/python3 scripts/gen-ct.py "$WORK/one" "$COUNT" 1 one >"$WORK/one.study"
/usr/bin/python3 scripts/gen-ct.py "$WORK/one-b" "$COUNT" 1 oneb >"$WORK/one-b.study"
/usr/bin/python3 scripts/gen-ct.py "$WORK/four" "$COUNT" 4 four >"$WORK/four.study"
/usr/bin/python3 scripts/gen-ct.py "$WORK/four-b" "$COUNT" 4 fourb >"$WORK/four-b.study"
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

STORAGE='"Storage": { "Compression": "'"${COMPRESS:-None}"'" }'
if [ "${DEID:-0}" = 1 ]; then echo '{ '"$STORAGE"', "Logging": { "MinimumLevel": "Warning" } }' >"$WORK/tp.json"
else echo '{ '"$STORAGE"', "Deidentification": { "Default": { "Profile": "None" } }, "Logging": { "MinimumLevel": "Warning" } }' >"$WORK/tp.json"; fi
TP_PORT=$(free_port)
"$WORK/bin/tciapacs" serve --config "$WORK/tp.json" --data "$WORK/tp" --dicom-port "$TP_PORT" --http-port "$(free_port)" \
  --peer "BENCHDEST@127.0.0.1:$DEST_PORT" >"$WORK/tp.log" 2>&1 & TP_PID=$!; PIDS+=($TP_PID)

OR_PORT=$(free_port); mkdir -p "$WORK/orthanc"
OR_INGEST=""; [ -n "${ORTHANC_TRANSCODE:-}" ] && OR_INGEST="\"IngestTranscoding\": \"$ORTHANC_TRANSCODE\","
cat >"$WORK/orthanc.json" <<JSON
{ "Name": "bench", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc", "DicomAet": "ORTHANC",
  "DicomPort": $OR_PORT, "HttpPort": $(free_port), "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "Plugins": [],
  $OR_INGEST
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
SERVERS=(tciapacs orthanc)
declare -A AET=([tciapacs]=TCIAPACS [orthanc]=ORTHANC) PORT=([tciapacs]=$TP_PORT [orthanc]=$OR_PORT) PID=([tciapacs]=$TP_PID [orthanc]=$OR_PID)
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Seconds a command took; its output is dropped, and its failure fails the assignment it is in (and the script).
timed() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; t1=$(now); echo "$t1 - $t0" | bc -l; }
store1() { storescu -aec "$1" +sd 127.0.0.1 "$2" "$3"; }

for name in "${SERVERS[@]}"; do
  echo "  $name: warm-up ($WARM instances, 4 associations)..."
  store4 "${AET[$name]}" "${PORT[$name]}" "$WORK/warm"
done

# C-STORE, turn about: TciaPacs, Orthanc on the first set, Orthanc, TciaPacs on the second. A pause before each run lets
# the server before it finish what a store leaves running (our query index takes its last updates after the last
# response), so that neither is timed while the other still works.
settled() { sleep "${SETTLE:-2}"; timed "$@"; }
echo "  C-STORE, one association (TciaPacs, Orthanc, Orthanc, TciaPacs)..."
declare -A T
T[tciapacs.a]=$(settled store1 TCIAPACS "$TP_PORT" "$WORK/one"); T[orthanc.a]=$(settled store1 ORTHANC "$OR_PORT" "$WORK/one")
T[orthanc.b]=$(settled store1 ORTHANC "$OR_PORT" "$WORK/one-b"); T[tciapacs.b]=$(settled store1 TCIAPACS "$TP_PORT" "$WORK/one-b")
for name in "${SERVERS[@]}"; do R[$name.store1]=$(echo "2 * $COUNT / (${T[$name.a]} + ${T[$name.b]})" | bc -l); done
echo "  C-STORE, four associations (TciaPacs, Orthanc, Orthanc, TciaPacs)..."
T[tciapacs.a]=$(settled store4 TCIAPACS "$TP_PORT" "$WORK/four"); T[orthanc.a]=$(settled store4 ORTHANC "$OR_PORT" "$WORK/four")
T[orthanc.b]=$(settled store4 ORTHANC "$OR_PORT" "$WORK/four-b"); T[tciapacs.b]=$(settled store4 TCIAPACS "$TP_PORT" "$WORK/four-b")
for name in "${SERVERS[@]}"; do
  R[$name.store4]=$(echo "2 * $COUNT / (${T[$name.a]} + ${T[$name.b]})" | bc -l)
  R[$name.mem]=$(peak_kb "${PID[$name]}")
done

study=$(cat "$WORK/one.study")
for name in "${SERVERS[@]}"; do
  aet=${AET[$name]}; port=${PORT[$name]}
  echo "  $name: C-FIND..."
  times=()
  findscu -S -aec "$aet" 127.0.0.1 "$port" "$WORK"/q/*.dcm >/dev/null 2>&1; sleep 2  # warm-up, not timed
  # Within one association: $QUERIES C-FINDs minus one, so that process start and association set-up cancel out. The
  # median of FIND_RUNS (default 5) such associations: a single one moves with any burst of load on a 2-core host.
  means=()
  for _ in $(seq "${FIND_RUNS:-5}"); do
    single=$(timed findscu -S -aec "$aet" 127.0.0.1 "$port" "$WORK/q/0000.dcm")
    all=$(timed findscu -S -aec "$aet" 127.0.0.1 "$port" "$WORK"/q/*.dcm)
    means+=("$(echo "($all - $single) * 1000 / ($QUERIES - 1)" | bc -l)")
  done
  [ -n "${VERBOSE:-}" ] && echo "    C-FIND means (ms): ${means[*]}"
  R[$name.findmean]=$(printf '%s\n' "${means[@]}" | median)
  for _ in $(seq 30); do
    one=$(timed findscu -S -aec "$aet" 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" -k PatientName)
    times+=("$(echo "$one * 1000" | bc -l)")
  done
  R[$name.find]=$(printf '%s\n' "${times[@]}" | median)
done

for name in "${SERVERS[@]}"; do
  echo "  $name: C-MOVE, C-GET (${RETRIEVE_WARMUP:-30} of each first, not timed)..."
  for _ in $(seq "${RETRIEVE_WARMUP:-30}"); do
    movescu -S -aec "${AET[$name]}" -aem BENCHDEST 127.0.0.1 "${PORT[$name]}" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >/dev/null 2>&1
    getscu --ignore -S -aec "${AET[$name]}" 127.0.0.1 "${PORT[$name]}" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >/dev/null 2>&1
  done
done
sleep 2

# Each retrieval is a fraction of a second: the median of RETRIEVES rounds (default 9), each round a C-MOVE and a C-GET
# from each server, the server going first alternating.
echo "  C-MOVE, C-GET: ${RETRIEVES:-9} rounds, the two servers turn about..."
declare -A MOVES GETS BUSY_MOVE BUSY_GET WALL_MOVE WALL_GET
retrieve() { # name
  local name=$1 aet=${AET[$1]} port=${PORT[$1]} c0 c1 t0 t1 TIMEFORMAT='%U %S'
  c0=$(cpu_s "$DEST_PID"); t0=$(now)
  movescu -d -S -aec "$aet" -aem BENCHDEST 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >"$WORK/move-$name.log" 2>&1
  t1=$(now); c1=$(cpu_s "$DEST_PID")
  MOVES[$name]+="$(echo "$BYTES / 1048576 / ($t1 - $t0)" | bc -l) "
  BUSY_MOVE[$name]=$(echo "${BUSY_MOVE[$name]:-0} + $c1 - $c0" | bc -l); WALL_MOVE[$name]=$(echo "${WALL_MOVE[$name]:-0} + $t1 - $t0" | bc -l)
  t0=$(now)
  { time getscu -v --ignore -S -aec "$aet" 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >"$WORK/get-$name.log" 2>&1; } 2>"$WORK/get.time"
  t1=$(now)
  GETS[$name]+="$(echo "$BYTES / 1048576 / ($t1 - $t0)" | bc -l) "
  BUSY_GET[$name]=$(echo "${BUSY_GET[$name]:-0} + $(awk '{print $1 + $2}' "$WORK/get.time")" | bc -l); WALL_GET[$name]=$(echo "${WALL_GET[$name]:-0} + $t1 - $t0" | bc -l)
}
for round in $(seq "${RETRIEVES:-9}"); do
  if [ $((round % 2)) = 1 ]; then retrieve tciapacs; retrieve orthanc; else retrieve orthanc; retrieve tciapacs; fi
done
for name in "${SERVERS[@]}"; do
  # How busy the receiving dcmtk process was (share of one core; 1.0 means it set the pace).
  R[$name.movebusy]=$(echo "${BUSY_MOVE[$name]} / ${WALL_MOVE[$name]}" | bc -l)
  R[$name.getbusy]=$(echo "${BUSY_GET[$name]} / ${WALL_GET[$name]}" | bc -l)
  [ -n "${VERBOSE:-}" ] && echo "    $name moves (MB/s): ${MOVES[$name]}; gets: ${GETS[$name]}"
  R[$name.move]=$(printf '%s\n' ${MOVES[$name]} | median)
  R[$name.get]=$(printf '%s\n' ${GETS[$name]} | median)
  R[$name.moved]=$(grep "Completed Suboperations" "$WORK/move-$name.log" | tail -1 | awk '{print $NF}' || true)
  R[$name.got]=$(grep -c "Received C-STORE Request" "$WORK/get-$name.log" || true)
done

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
