#!/usr/bin/env bash
# Times `tciapacs dump` against dcmtk's `dcmdump` over the same 2,000 files, each tool as ONE process given every
# path (so process start-up and, for tciapacs, JIT are paid once), output to /dev/null.
# The files are copies of the corpus's uncompressed CT and MR instances that both tools read without error.
# Usage: scripts/bench-dump.sh [COUNT] [RUNS]     defaults 2000 and 5
# Env: TCIAPACS_CORPUS (default ../shared/dicom-corpus beside the repository), KEEP_FILES=1 to keep the temp folder.
set -euo pipefail

count="${1:-2000}"
runs="${2:-5}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${TCIAPACS_CORPUS:-$(cd "$root/.." && pwd)/shared/dicom-corpus}"
[ -f "$corpus/MANIFEST.tsv" ] || { echo "corpus not found at $corpus (set TCIAPACS_CORPUS)" >&2; exit 1; }
command -v dcmdump >/dev/null || { echo "dcmdump (dcmtk) is not installed" >&2; exit 1; }

if ! command -v hyperfine >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y hyperfine >/dev/null 2>&1 || true
    elif sudo -n true 2>/dev/null; then sudo apt-get install -y hyperfine >/dev/null 2>&1 || true
    fi
fi

echo "== Publishing tciapacs (Release, ReadyToRun: the form we ship)"
publish="$(mktemp -d -t tciapacs-publish.XXXXXX)"
dotnet publish "$root/src/TciaPacs.Server/TciaPacs.Server.csproj" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "$publish" -nologo -v q
tciapacs="$publish/tciapacs"
trap 'rm -rf "$publish"' EXIT
[ -x "$tciapacs" ] || { echo "no apphost at $tciapacs" >&2; exit 1; }

work="$(mktemp -d -t tciapacs-dump-bench.XXXXXX)"
if [ "${KEEP_FILES:-0}" != 1 ]; then trap 'rm -rf "$work" "$publish"' EXIT; fi

# Candidates from the manifest: CT or MR, Implicit/Explicit VR Little Endian, dcmdump reads them.
mapfile -t candidates < <(awk -F'\t' 'NR > 1 && $5 ~ /\/ (CT|MR)$/ && $9 == "yes" &&
    ($6 ~ /^1\.2\.840\.10008\.1\.2 / || $6 ~ /^1\.2\.840\.10008\.1\.2\.1 /) { print $1 }' "$corpus/MANIFEST.tsv" | sort)
sources=()
for rel in "${candidates[@]}"; do
    f="$corpus/$rel"
    if dcmdump "$f" >/dev/null 2>&1 && "$tciapacs" dump "$f" >/dev/null 2>&1; then sources+=("$f"); fi
done
[ ${#sources[@]} -gt 0 ] || { echo "no usable CT/MR files in the corpus" >&2; exit 1; }

echo "== Copying $count files from ${#sources[@]} corpus CT/MR instances into $work"
for ((i = 0; i < count; i++)); do
    src="${sources[i % ${#sources[@]}]}"
    cp "$src" "$(printf '%s/f%05d.dcm' "$work" "$i")"
done
bytes=$(du -sb "$work" | cut -f1)
echo "   $(ls "$work" | wc -l) files, $((bytes / 1024 / 1024)) MiB"

cd "$work"
tcia_cmd="$tciapacs dump f*.dcm"
dcmtk_cmd="dcmdump f*.dcm"
echo "== Checking both tools accept all $count files in one process"
$tcia_cmd >/dev/null 2>&1 || { echo "tciapacs dump failed on the set" >&2; exit 1; }
$dcmtk_cmd >/dev/null 2>&1 || { echo "dcmdump failed on the set" >&2; exit 1; }

echo "== Timing ($runs runs each, one process over $count files, stdout and stderr to /dev/null)"
if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs "$runs" --style basic --output=null \
        --export-markdown "$work/table.md" \
        -n "tciapacs dump ($count files)" "$tcia_cmd" \
        -n "tciapacs dump, DOTNET_TieredPGO=0 ($count files)" "env DOTNET_TieredPGO=0 $tcia_cmd" \
        -n "dcmdump ($count files)" "$dcmtk_cmd"
    echo
    cat "$work/table.md"
else
    echo "(hyperfine not available; using /usr/bin/time, mean of $runs runs after one warm-up)"
    printf '| Command | Mean wall [s] | Mean user [s] | Mean sys [s] | Max RSS [MiB] |\n|:---|---:|---:|---:|---:|\n'
    for name in tciapacs dcmdump; do
        cmd="$tcia_cmd"; [ "$name" = dcmdump ] && cmd="$dcmtk_cmd"
        $cmd >/dev/null 2>&1
        : >"$work/$name.times"
        for ((r = 0; r < runs; r++)); do
            /usr/bin/time -a -o "$work/$name.times" -f '%e %U %S %M' $cmd >/dev/null 2>/dev/null
        done
        awk -v n="$name ($count files)" '{ e += $1; u += $2; s += $3; if ($4 > m) m = $4 }
            END { printf "| %s | %.3f | %.3f | %.3f | %.1f |\n", n, e / NR, u / NR, s / NR, m / 1024 }' "$work/$name.times"
    done
fi
echo
echo "dcmdump: $(dcmdump --version 2>/dev/null | head -1)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
