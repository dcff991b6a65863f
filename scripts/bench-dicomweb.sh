#!/usr/bin/env bash
# DICOMweb: tciapacs serve against Orthanc with its DICOMweb plugin (Debian: orthanc orthanc-dicomweb) on the same
# machine in one run, with the same client (scripts/bench_dicomweb.py): STOW-RS instances/s, QIDO-RS p50/p95 and
# requests/s at concurrency 8, WADO-RS study MB/s, series /metadata latency, frames requests/s; then the ratios.
# The data: COUNT copies (one series, new UIDs) of the corpus's uncompressed MR_small, made with pydicom.
# Usage: scripts/bench-dicomweb.sh [COUNT] [SECONDS]     defaults 2000 and 10; env WARM (warm-up instances, 3 x COUNT)
set -euo pipefail

count="${1:-2000}"
seconds="${2:-10}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${TCIAPACS_CORPUS:-$(cd "$root/.." && pwd)/shared/dicom-corpus}"
command -v Orthanc >/dev/null || { echo "Orthanc is not installed (apt-get install -y orthanc orthanc-dicomweb)" >&2; exit 1; }
[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || { echo "orthanc-dicomweb is not installed" >&2; exit 1; }

work="$(mktemp -d -t tciapacs-web-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== Publishing tciapacs (Release, ReadyToRun)"
dotnet publish "$root/src/TciaPacs.Server/TciaPacs.Server.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$work/bin" -nologo -v q >/dev/null

# Both servers are long-running: each first stores an untimed warm-up set (WARM instances, default 3 x COUNT, as
# bench-dimse.sh does), so that the figures are of a warm server rather than of the JIT tiering up our HTTP paths.
warm="${WARM:-$((count * 3))}"
echo "== Making $count instances of one series, and $warm of another for the warm-up"
for set in files:BENCH:$count warm:WARMUP:$warm; do
IFS=: read -r dir patient n <<<"$set"
/usr/bin/python3 - "$corpus/transfer-syntax/explicit-vr-le/MR_small.dcm" "$work/$dir" "$n" "$patient" <<'PY'
import os, sys, pydicom
from pydicom.uid import generate_uid
src, out, n, patient = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
os.makedirs(out)
ds = pydicom.dcmread(src)
ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
ds.PatientID = patient
for i in range(n):
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.InstanceNumber = i + 1
    ds.save_as(os.path.join(out, f"{i:05}.dcm"), write_like_original=False)
PY
done

tport=$(free_port); oport=$(free_port); odicom=$(free_port)
# Stored as sent, as Orthanc does (our default de-identifies every instance; DEID=1 keeps it).
if [ "${DEID:-0}" = 1 ]; then deid=""; else deid=', "Deidentification": { "Default": { "Profile": "None" } }'; fi
echo "{ \"Http\": { \"Host\": \"127.0.0.1\" }, \"Logging\": { \"MinimumLevel\": \"Warning\" }$deid }" > "$work/tciapacs.json"
"$work/bin/tciapacs" serve --config "$work/tciapacs.json" --data "$work/tciapacs-data" --http-port "$tport" --dicom-port "$(free_port)" >"$work/tciapacs.log" 2>&1 &
pids+=($!)
mkdir -p "$work/orthanc-db"
cat > "$work/orthanc.json" <<JSON
{ "Name": "bench", "HttpPort": $oport, "DicomPort": $odicom, "StorageDirectory": "$work/orthanc-db", "IndexDirectory": "$work/orthanc-db",
  "RemoteAccessAllowed": true, "AuthenticationEnabled": false, "Plugins": [ "/usr/share/orthanc/plugins/libOrthancDicomWeb.so" ],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" } }
JSON
TCP_NODELAY=1 Orthanc "$work/orthanc.json" >"$work/orthanc.log" 2>&1 &
pids+=($!)
for url in "http://127.0.0.1:$tport/dicom-web" "http://127.0.0.1:$oport/dicom-web/studies"; do
    for _ in $(seq 1 150); do curl -sf -o /dev/null "$url" && break; sleep 0.2; done
    curl -sf -o /dev/null "$url" || { echo "no answer from $url" >&2; tail -20 "$work"/*.log >&2; exit 1; }
done

echo "== Benchmark ($count instances, ${seconds}s per load test)"
/usr/bin/python3 "$root/scripts/bench_dicomweb.py" "tciapacs=http://127.0.0.1:$tport/dicom-web" "orthanc=http://127.0.0.1:$oport/dicom-web" \
    --files "$work/files" --warm "$work/warm" --seconds "$seconds"
