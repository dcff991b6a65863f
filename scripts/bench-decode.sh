#!/usr/bin/env bash
# Whole-file decoding, process against process: `tciapacs transcode` to Explicit VR Little Endian next to the reference
# decoder of each syntax (dcmtk's dcmdrle, dcmdjpeg, dcmdjpls; GDCM's gdcmconv --raw for JPEG 2000, OpenJPEG inside),
# over the inputs of DecodeBenchmarks. Each figure is the median wall time of RUNS runs, process start-up included;
# `dcmdump` of the same file gives the cost of starting a process and reading the file. One frame's decode alone, in
# process, is what `DecodeBenchmarks` (BenchmarkDotNet) measures.
# Usage: bash scripts/bench-decode.sh [RUNS]   (needs dcmtk and libgdcm-tools; publishes a Release build first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
corpus=${TCIAPACS_CORPUS:-../shared/dicom-corpus}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet publish src/TciaPacs.Server/TciaPacs.Server.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/bin" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # prints milliseconds of one run of "$@"
  local start end
  start=$(date +%s%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

printf '%-60s %10s %10s %12s %s\n' input ours_ms theirs_ms dcmdump_ms reference
for input in \
  transfer-syntax/jpeg-lossless-sv1/CT-JPEGLosslessSV1.dcm \
  encapsulated/D_CLUNIE_CT1_RLE_FRAGS.dcm \
  transfer-syntax/jpeg-baseline/GH538-jpeg1.dcm \
  edge-cases/pixel/GH133.dcm \
  encapsulated/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm \
  edge-cases/vr/explicit_VR-UN.dcm \
  transfer-syntax/jpeg2000/CT1_J2KI \
  transfer-syntax/jpeg2000-lossless/US1_J2KR.dcm \
  large/NM_Kakadu44_SOTmarkerincons.dcm; do
  file="$corpus/$input"
  syntax=$(dcmdump -Un +P 0002,0010 "$file" 2>/dev/null | grep "^(0002,0010)" | sed -E 's/.*\[([0-9.]+)\].*/\1/')
  case "$syntax" in
    1.2.840.10008.1.2.5) reference=(dcmdrle "$file" "$out/theirs.dcm") ;;
    1.2.840.10008.1.2.4.8*) reference=(dcmdjpls "$file" "$out/theirs.dcm") ;;
    1.2.840.10008.1.2.4.9*) reference=(gdcmconv --raw "$file" "$out/theirs.dcm") ;;
    *) reference=(dcmdjpeg "$file" "$out/theirs.dcm") ;;
  esac
  ours=$(for _ in $(seq "$runs"); do rm -f "$out/ours.dcm"; timed dotnet "$out/bin/tciapacs.dll" transcode "$file" "$out/ours.dcm" -t 1.2.840.10008.1.2.1; done | median)
  theirs=$(for _ in $(seq "$runs"); do rm -f "$out/theirs.dcm"; timed "${reference[@]}"; done | median)
  dump=$(for _ in $(seq "$runs"); do timed dcmdump "$file"; done | median)
  printf '%-60s %10s %10s %12s %s\n' "$input" "$ours" "$theirs" "$dump" "${reference[0]}"
done
