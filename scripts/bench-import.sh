#!/usr/bin/env bash
# IMPORT_ARGS (e.g. "--parallel 8") is passed to the import.
# Times `tciapacs import DIR --data NEWDIR` over COUNT generated 512x512 CT instances and compares the byte rate with
# this disk's sequential write rate measured in the same run (dd ... conv=fdatasync, 1 GiB, in the same temp folder),
# and with the same files written the way the store writes them but with no DICOM work (scripts/disk-pattern.py).
# Also imports COUNT/4 of the files into another new folder, so the two peak RSS figures show whether memory grows
# with the number of files.
# The instances are copies of the corpus's CT1_UNC.explicit_little_endian.dcm (512x512, 16 bits, ~530 KB) with new
# Study/Series/SOP Instance UIDs (and Patient ID/Name, Series/Instance Number): COUNT/200 studies x 4 series x 50
# instances, written by Debian's /usr/bin/python3 with pydicom (apt package python3-pydicom).
# Usage: scripts/bench-import.sh [COUNT]     default 10000
# Env: TCIAPACS_CORPUS (default ../shared/dicom-corpus beside the repository), KEEP_FILES=1 to keep the temp folder,
#      BENCH_TMP (default $TMPDIR or /tmp) for where the files, the archives and the dd file go.
set -euo pipefail

count="${1:-10000}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${TCIAPACS_CORPUS:-$(cd "$root/.." && pwd)/shared/dicom-corpus}"
source_file="$corpus/transfer-syntax/explicit-vr-le/CT1_UNC.explicit_little_endian.dcm"
[ -f "$source_file" ] || { echo "corpus CT not found at $source_file (set TCIAPACS_CORPUS)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is not installed" >&2; exit 1; }
/usr/bin/python3 -c 'import pydicom' 2>/dev/null || { echo "/usr/bin/python3 has no pydicom (apt-get install python3-pydicom)" >&2; exit 1; }

echo "== Publishing tciapacs (Release, ReadyToRun: the form we ship)"
publish="$(mktemp -d -t tciapacs-publish.XXXXXX)"
work="$(mktemp -d -p "${BENCH_TMP:-${TMPDIR:-/tmp}}" tciapacs-import-bench.XXXXXX)"
if [ "${KEEP_FILES:-0}" = 1 ]; then trap 'rm -rf "$publish"' EXIT; else trap 'rm -rf "$work" "$publish"' EXIT; fi
dotnet publish "$root/src/TciaPacs.Server/TciaPacs.Server.csproj" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "$publish" -nologo -v q
tciapacs="$publish/tciapacs"
[ -x "$tciapacs" ] || { echo "no apphost at $tciapacs" >&2; exit 1; }

gen() { # gen COUNT DIR SEED: COUNT instances, 50 per series, 4 series per study
    /usr/bin/python3 - "$source_file" "$1" "$2" "$3" <<'PY'
import os, sys, pydicom
src, count, out, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ds = pydicom.dcmread(src)
root = "2.25.%d" % (seed * 10**6 + os.getpid())
per_series, series_per_study = 50, 4
for i in range(count):
    series, n = divmod(i, per_series)
    study, s = divmod(series, series_per_study)
    if n == 0:
        ds.SeriesInstanceUID = f"{root}.{study}.{s}"
        ds.SeriesNumber = s + 1
        if s == 0:
            ds.StudyInstanceUID = f"{root}.{study}"
            ds.PatientID = f"BENCH{seed}-{study:05d}"
            ds.PatientName = f"Bench^Patient{study:05d}"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{root}.{study}.{s}.{n}"
    ds.InstanceNumber = n + 1
    d = os.path.join(out, f"s{study:04d}")
    if n == 0 and s == 0: os.makedirs(d, exist_ok=True)
    ds.save_as(os.path.join(d, f"i{i:06d}.dcm"), write_like_original=False)
PY
}

quarter=$((count / 4))
echo "== Generating $count + $quarter instances (copies of $(basename "$source_file") with new UIDs) in $work"
start=$(date +%s.%N)
gen "$count" "$work/in-full" 1
gen "$quarter" "$work/in-quarter" 2
sync
bytes=$(du -sb "$work/in-full" | cut -f1)
echo "   $(find "$work/in-full" -type f | wc -l) + $(find "$work/in-quarter" -type f | wc -l) files," \
    "$((bytes / 1024 / 1024)) MiB for $count, in $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.0f') s"

echo "== Disk sequential write rate: dd if=/dev/zero bs=1M count=1024 conv=fdatasync (in $work)"
dd_out=$(dd if=/dev/zero of="$work/dd.bin" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1)
rm -f "$work/dd.bin"
echo "   $dd_out"
dd_secs=$(echo "$dd_out" | sed -E 's/.* copied, ([0-9.]+) s.*/\1/')
dd_mbs=$(echo "1073741824 / $dd_secs / 1000000" | bc -l)

echo "== The same write pattern with no DICOM work (scripts/disk-pattern.py: $count files, 32 writers, shared syncfs)"
size=$(( bytes / count ))
pattern_out=$(/usr/bin/python3 "$root/scripts/disk-pattern.py" "$work/pattern" "$count" "$size" 32)
# The pattern's files stay until the end (the exit trap removes $work). Deleting them here would slow the imports
# that follow: on ext4 without a journal (as here), a new file does not reuse an inode freed in the last 60 s (300 s
# while its inode table block is dirty). Checking each such candidate cost the next imports about a fifth of their
# rate: 329-341 files/s 12 s after deleting 3,000 files, against 404-434 files/s 70 s after.
read -r pattern_fps pattern_mbs pattern_syncs <<<"$pattern_out"
echo "   $pattern_fps files/s, $pattern_mbs MB/s, $pattern_syncs syncs"

run_import() { # run_import NAME INPUT DATA
    sync
    /usr/bin/time -v -o "$work/$1.time" env DOTNET_TieredPGO=0 "$tciapacs" import "$2" --data "$3" ${IMPORT_ARGS:-} \
        >"$work/$1.out" 2>"$work/$1.err" || { echo "import $1 failed:" >&2; tail -5 "$work/$1.err" "$work/$1.out" >&2; exit 1; }
}

echo "== Importing $quarter files into a new data folder (for peak RSS)"
run_import quarter "$work/in-quarter" "$work/data-quarter"
echo "   $(tail -1 "$work/quarter.out")"
echo "== Importing $count files into a new data folder"
run_import full "$work/in-full" "$work/data-full"
echo "   $(tail -1 "$work/full.out")"

wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }
field() { awk -F': ' -v k="$2" '$1 ~ k { print $2 }' "$1"; }

full_wall=$(wall "$work/full.time")
quarter_wall=$(wall "$work/quarter.time")
quarter_bytes=$(du -sb "$work/in-quarter" | cut -f1)
echo
echo "| Run | Files | Input MB | Wall [s] (whole process) | Instances/s | MB/s | % of dd | Peak RSS [MiB] | User [s] | Sys [s] |"
echo "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in quarter full; do
    if [ $r = full ]; then n=$count; b=$bytes; w=$full_wall; else n=$quarter; b=$quarter_bytes; w=$quarter_wall; fi
    awk -v r="import $n" -v n="$n" -v b="$b" -v w="$w" -v dd="$dd_mbs" -v rss="$(rss "$work/$r.time")" \
        -v u="$(field "$work/$r.time" 'User time')" -v s="$(field "$work/$r.time" 'System time')" \
        'BEGIN { mbs = b / w / 1e6; printf "| %s | %d | %.0f | %.1f | %.0f | %.1f | %.0f %% | %s | %s | %s |\n", r, n, b / 1e6, w, n / w, mbs, 100 * mbs / dd, rss, u, s }'
done
printf '| dd 1 GiB, conv=fdatasync | | 1074 | %.2f | | %.1f | 100 %% | | | |\n' "$dd_secs" "$dd_mbs"
awk -v n="$count" -v f="$pattern_fps" -v m="$pattern_mbs" -v dd="$dd_mbs" \
    'BEGIN { printf "| write pattern alone (disk-pattern.py) | %d | %.0f | %.1f | %.0f | %.1f | %.0f %% | | | |\n", n, n * m / f, n / f, f, m, 100 * m / dd }'
echo
echo "(MB = 10^6 bytes of input files; wall time of the whole process, start-up and recovery included;"
echo " the importer's own summary line, which excludes start-up, is printed above. The write-pattern row is the"
echo " ceiling for this disk: the same files written, renamed and synced as the store does, with no DICOM work.)"
awk -v c="$count" -v b="$bytes" -v w="$full_wall" -v m="$pattern_mbs" 'BEGIN { printf "import %d: %.0f %% of the write pattern alone\n", c, 100 * b / w / 1e6 / m }'
echo "archive size for $count: $(du -sm "$work/data-full" | cut -f1) MiB ($(du -sm "$work/data-full/index" 2>/dev/null | cut -f1) MiB index, $(du -cm "$work/data-full"/catalog.db* | tail -1 | cut -f1) MiB catalog)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(df -h "$work" | awk 'NR == 2 { print $1 }')"
