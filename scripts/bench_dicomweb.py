#!/usr/bin/python3
"""DICOMweb benchmark of two servers with the same client (stdlib only): used by bench-dicomweb.sh.

usage: bench_dicomweb.py NAME=BASE_URL [NAME=BASE_URL...] --files DIR [--warm DIR] [--seconds S]
DIR holds one series (the /metadata and frames target) of Part 10 files, Patient ID BENCH. For each server, in order:
STOW-RS of the --warm files (not timed: servers are measured warm), then STOW-RS of every
file (batches of 20, 4 clients), QIDO-RS /studies (8 clients), WADO-RS of the study (MB/s), series and study /metadata
latency, frames (8 clients). Prints one table, and the ratios of the first server to the second.
"""
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
import uuid

args = [a for a in sys.argv[1:]]
seconds = 10.0
if "--seconds" in args:
    i = args.index("--seconds")
    seconds = float(args[i + 1])
    del args[i:i + 2]
i = args.index("--files")
folder = args[i + 1]
del args[i:i + 2]
warm_folder = None
if "--warm" in args:
    i = args.index("--warm")
    warm_folder = args[i + 1]
    del args[i:i + 2]
servers = [a.split("=", 1) for a in args]
files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
warm_files = sorted(os.path.join(warm_folder, f) for f in os.listdir(warm_folder)) if warm_folder else []


def connect(base):
    u = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    return c, u.path.rstrip("/")


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r.status, data, r


def stow(base, files=files):
    batches = [files[i:i + 20] for i in range(0, len(files), 20)]
    lock = threading.Lock()
    errors = []

    def worker():
        conn, root = connect(base)
        while True:
            with lock:
                if not batches:
                    return
                batch = batches.pop()
            boundary = uuid.uuid4().hex
            body = b"".join(b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + open(f, "rb").read() + b"\r\n" for f in batch)
            body += b"--" + boundary.encode() + b"--\r\n"
            status, data, _ = request(conn, "POST", root + "/studies", body,
                                      {"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}', "Accept": "application/dicom+json"})
            if status != 200:
                errors.append(f"STOW {status} {data[:200]!r}")

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.perf_counter() - start
    if errors:
        print(errors[:3], file=sys.stderr)
    return len(files) / elapsed


def load(base, path, accept, clients=8):
    """Requests at `clients` concurrency for `seconds`: (p50 ms, p95 ms, requests/s, bytes)."""
    latencies = []
    total = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker():
        conn, root = connect(base)
        mine = []
        size = 0
        while time.perf_counter() < stop:
            t = time.perf_counter()
            status, data, _ = request(conn, "GET", root + path, headers={"Accept": accept})
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status} {data[:200]!r}")
            mine.append(time.perf_counter() - t)
            size += len(data)
        with lock:
            latencies.extend(mine)
            total[0] += size

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.perf_counter() - start
    latencies.sort()
    return (statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.95) - 1] * 1000, len(latencies) / elapsed, total[0])


def metadata_p50(conn, url):
    """Median of 10 GETs of a /metadata resource (ms), and how many instances it returned."""
    timings = []
    for _ in range(10):
        t = time.perf_counter()
        status, data, _ = request(conn, "GET", url, headers={"Accept": "application/dicom+json"})
        assert status == 200, status
        timings.append(time.perf_counter() - t)
    return statistics.median(timings) * 1000, len(json.loads(data))


results = {}
for name, base in servers:
    r = {}
    if warm_files:
        stow(base, warm_files)
    r["stow_instances_per_s"] = stow(base)
    conn, root = connect(base)
    status, data, _ = request(conn, "GET", root + "/instances?limit=1&PatientID=BENCH", headers={"Accept": "application/dicom+json"})
    first = json.loads(data)[0]
    study, series, sop = (first[t]["Value"][0] for t in ("0020000D", "0020000E", "00080018"))
    p50, p95, rps, _ = load(base, "/studies?PatientID=*&limit=100", "application/dicom+json")
    r.update(qido_p50_ms=p50, qido_p95_ms=p95, qido_rps=rps)
    conn, root = connect(base)  # a fresh connection: the idle one may have been closed by the server's keep-alive timeout
    start = time.perf_counter()
    size = 0
    for _ in range(3):
        status, data, _ = request(conn, "GET", f"{root}/studies/{study}", headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'})
        assert status == 200, status
        size += len(data)
    r["wado_study_mb_per_s"] = size / (1024 * 1024) / (time.perf_counter() - start)
    # The study holds just that series: the same 2,000 instances, asked for at series and at study level.
    for key, path in (("metadata", f"/studies/{study}/series/{series}/metadata"), ("study_metadata", f"/studies/{study}/metadata")):
        r[f"{key}_p50_ms"], r[f"{key}_instances"] = metadata_p50(conn, root + path)
    _, _, frames_rps, _ = load(base, f"/studies/{study}/series/{series}/instances/{sop}/frames/1",
                               'multipart/related; type="application/octet-stream"; transfer-syntax=*')
    r["frames_rps"] = frames_rps
    results[name] = r
    print(name, json.dumps({k: round(v, 2) for k, v in r.items()}), flush=True)

if len(servers) >= 2:
    a, b = results[servers[0][0]], results[servers[1][0]]
    print(f"\nratios {servers[0][0]} / {servers[1][0]} (goal in brackets)")
    print(f"  STOW-RS instances/s        {a['stow_instances_per_s'] / b['stow_instances_per_s']:.2f}x  [>= 2]")
    print(f"  QIDO-RS p50 lower by       {b['qido_p50_ms'] / a['qido_p50_ms']:.2f}x  [>= 5]")
    print(f"  QIDO-RS requests/s (c=8)   {a['qido_rps'] / b['qido_rps']:.2f}x  [>= 20]")
    print(f"  WADO-RS study MB/s         {a['wado_study_mb_per_s'] / b['wado_study_mb_per_s']:.2f}x  [>= 1.5]")
    print(f"  frames requests/s (c=8)    {a['frames_rps'] / b['frames_rps']:.2f}x  [>= 4]")
    print(f"  series /metadata p50 lower {b['metadata_p50_ms'] / a['metadata_p50_ms']:.2f}x  [>= 7]")
    print(f"  study /metadata p50 lower  {b['study_metadata_p50_ms'] / a['study_metadata_p50_ms']:.2f}x  [>= 7]")
