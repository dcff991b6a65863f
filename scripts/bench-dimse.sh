#!/usr/bin/env bash
# DIMSE benchmark, TciaPacs next to Orthanc on the same machine in one run (issue 5):
#   C-STORE ingest (storescu, one association, then 4 in parallel), C-FIND study-level latency (findscu, p50),
#   C-MOVE of a COUNT-instance study (movescu to a storescp) in MB/s, peak server memory while ingesting.
# Usage: bash scripts/bench-dimse.sh [COUNT]   (default 500; needs dcmtk, orthanc, python3-pydicom)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-500}
# dcmtk (our clients, storescp, and Orthanc, built on dcmtk) sets TCP_NODELAY on its sockets only when this is set;
# without it each DIMSE exchange can wait ~40 ms for a delayed ACK. We set NoDelay on every one of our sockets.
export TCP_NODELAY=1
for t in storescu findscu movescu storescp Orthanc; do command -v $t >/dev/null || { echo "missing $t (apt-get install dcmtk orthanc)"; exit 1; }; done
WORK=$(mktemp -d /tmp/bench-dimse.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "building tciapacs (Release)..."
dotnet build -c Release src/TciaPacs.Server -o "$WORK/bin" >/dev/null

echo "generating 2 x $COUNT CT instances (256x256x16, one study each)..."
/usr/bin/python3 - "$WORK" "$COUNT" <<'PY'
import sys, os, numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
work, count = sys.argv[1], int(sys.argv[2])
for name in ("one", "four"):
    study, series = generate_uid(), generate_uid()
    os.makedirs(f"{work}/{name}", exist_ok=True)
    for i in range(count):
        ds = Dataset()
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"; ds.SOPInstanceUID = generate_uid()
        ds.StudyInstanceUID = study; ds.SeriesInstanceUID = series; ds.PatientID = "BENCH-" + name; ds.PatientName = "Bench^" + name
        ds.StudyDate = "20240101"; ds.Modality = "CT"; ds.InstanceNumber = i + 1
        ds.Rows = ds.Columns = 256; ds.BitsAllocated = 16; ds.BitsStored = 12; ds.HighBit = 11; ds.PixelRepresentation = 0
        ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelData = np.random.randint(0, 4096, (256, 256), dtype=np.uint16).tobytes()
        ds.file_meta = FileMetaDataset(); ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID; ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        path = f"{work}/{name}/{i:05d}.dcm"
        try:
            ds.save_as(path, enforce_file_format=True)
        except TypeError:  # pydicom < 3
            ds.is_little_endian, ds.is_implicit_VR = True, False
            ds.save_as(path, write_like_original=False)
    print(study, file=open(f"{work}/{name}.study", "w"))
PY
mkdir -p "$WORK/four/0" "$WORK/four/1" "$WORK/four/2" "$WORK/four/3"
i=0; for f in "$WORK"/four/*.dcm; do mv "$f" "$WORK/four/$((i % 4))/"; i=$((i + 1)); done
BYTES=$(du -sb "$WORK/one" | cut -f1)

DEST_PORT=$(free_port); mkdir -p "$WORK/moved"
storescp -aet BENCHDEST +xa -od "$WORK/moved" "$DEST_PORT" & PIDS+=($!)

TP_PORT=$(free_port)
dotnet "$WORK/bin/tciapacs.dll" serve --data "$WORK/tp" --dicom-port "$TP_PORT" --http-port "$(free_port)" --peer "BENCHDEST@127.0.0.1:$DEST_PORT" >"$WORK/tp.log" 2>&1 & TP_PID=$!; PIDS+=($TP_PID)

OR_PORT=$(free_port); mkdir -p "$WORK/orthanc"
cat >"$WORK/orthanc.json" <<JSON
{ "Name": "bench", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc", "DicomAet": "ORTHANC",
  "DicomPort": $OR_PORT, "HttpPort": $(free_port), "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "DicomModalities": { "bench": [ "BENCHDEST", "127.0.0.1", $DEST_PORT ], "scu": [ "STORESCU", "127.0.0.1", $DEST_PORT ],
                       "find": [ "FINDSCU", "127.0.0.1", $DEST_PORT ], "move": [ "MOVESCU", "127.0.0.1", $DEST_PORT ] } }
JSON
Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 & OR_PID=$!; PIDS+=($OR_PID)

for p in $TP_PORT $OR_PORT; do for _ in $(seq 100); do echoscu -aec ANY 127.0.0.1 "$p" >/dev/null 2>&1 && break; sleep 0.2; done; done

now() { date +%s.%N; }
peak_kb() { grep VmHWM "/proc/$1/status" | awk '{print $2}'; }
declare -A R
bench() { # name aet port pid
  local name=$1 aet=$2 port=$3 pid=$4 t0 t1
  t0=$(now); storescu -aec "$aet" +sd 127.0.0.1 "$port" "$WORK/one" >/dev/null; t1=$(now)
  R[$name.store1]=$(echo "$COUNT / ($t1 - $t0)" | bc -l)
  local four=(); t0=$(now); for d in 0 1 2 3; do storescu -aec "$aet" +sd 127.0.0.1 "$port" "$WORK/four/$d" >/dev/null & four+=($!); done; wait "${four[@]}"; t1=$(now)
  R[$name.store4]=$(echo "$COUNT / ($t1 - $t0)" | bc -l)
  R[$name.mem]=$(peak_kb "$pid")
  local study; study=$(cat "$WORK/one.study"); local times=()
  for _ in $(seq 50); do t0=$(now); findscu -S -aec "$aet" 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" -k PatientName >/dev/null 2>&1; t1=$(now); times+=("$(echo "($t1 - $t0) * 1000" | bc -l)"); done
  R[$name.find]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rm -rf "$WORK/moved"/*
  t0=$(now); movescu -S -aec "$aet" -aem BENCHDEST 127.0.0.1 "$port" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" >/dev/null 2>&1; t1=$(now)
  R[$name.move]=$(echo "$BYTES / 1048576 / ($t1 - $t0)" | bc -l)
  R[$name.moved]=$(ls "$WORK/moved" | wc -l)
}
bench tciapacs TCIAPACS "$TP_PORT" "$TP_PID"
bench orthanc ORTHANC "$OR_PORT" "$OR_PID"

printf '\n%-34s %12s %12s %8s\n' "COUNT=$COUNT ($((BYTES / 1048576)) MB per set)" TciaPacs Orthanc ratio
row() { printf '%-34s %12.1f %12.1f %8.2f\n' "$1" "$2" "$3" "$(echo "$4" | bc -l)"; }
row "C-STORE 1 association (inst/s)" "${R[tciapacs.store1]}" "${R[orthanc.store1]}" "${R[tciapacs.store1]} / ${R[orthanc.store1]}"
row "C-STORE 4 associations (inst/s)" "${R[tciapacs.store4]}" "${R[orthanc.store4]}" "${R[tciapacs.store4]} / ${R[orthanc.store4]}"
row "C-FIND study p50 (ms, lower=better)" "${R[tciapacs.find]}" "${R[orthanc.find]}" "${R[orthanc.find]} / ${R[tciapacs.find]}"
row "C-MOVE study (MB/s)" "${R[tciapacs.move]}" "${R[orthanc.move]}" "${R[tciapacs.move]} / ${R[orthanc.move]}"
row "peak RSS while ingesting (MB)" "$(echo "${R[tciapacs.mem]} / 1024" | bc -l)" "$(echo "${R[orthanc.mem]} / 1024" | bc -l)" "${R[tciapacs.mem]} / ${R[orthanc.mem]}"
echo "instances moved: TciaPacs ${R[tciapacs.moved]}, Orthanc ${R[orthanc.moved]} (of $COUNT)"
