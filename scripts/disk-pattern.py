#!/usr/bin/env python3
"""The store's disk pattern with no DICOM work: what this disk allows an import that syncs before it acknowledges.

WRITERS threads each write files of SIZE bytes (random, so nothing compresses) in 80 KiB pieces to a temporary name in
a series folder (50 files a folder, 4 folders a study, as scripts/bench-import.sh lays out its input), start their
writeback at once (sync_file_range SYNC_FILE_RANGE_WRITE, as the store does since its twelfth pass), rename them, and
wait for a syncfs(2) that started after their rename, shared by everyone waiting, as TciaPacs' DurabilityBarrier does.
There is no parsing, hashing, catalog or index: the figure is a ceiling for `tciapacs import` on this disk.

Usage: disk-pattern.py FOLDER COUNT [SIZE] [WRITERS]     prints "files/s MB/s syncs" on one line
"""
import ctypes
import os
import sys
import threading
import time

libc = ctypes.CDLL("libc.so.6", use_errno=True)
folder, count = sys.argv[1], int(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else 530_000
writers = int(sys.argv[4]) if len(sys.argv) > 4 else 32
data = os.urandom(size)
os.makedirs(folder, exist_ok=True)
root = os.open(folder, os.O_RDONLY)

state = threading.Condition()
started = done = 0  # syncs started / completed
wanted = False
failed = []


def syncer():
    global started, done, wanted
    while True:
        with state:
            while not wanted:
                state.wait()
            wanted = False
            started += 1
            mine = started
        if libc.syncfs(root) != 0:
            failed.append(ctypes.get_errno())
        with state:
            done = mine
            state.notify_all()


taken = 0
take = threading.Lock()


def writer():
    try:
        write_files()
    except OSError as e:  # a full or failing disk: report it rather than print a rate for fewer files
        failed.append(e.errno)


def write_files():
    global taken, wanted
    while True:
        with take:
            i = taken
            taken += 1
        if i >= count:
            return
        series = os.path.join(folder, "s%04d" % (i // 200), "x%d" % ((i // 50) % 4))
        os.makedirs(series, exist_ok=True)
        temp = os.path.join(series, ".%d.part" % i)
        with open(temp, "wb") as f:
            for k in range(0, size, 81920):
                f.write(data[k:k + 81920])
            f.flush()
            libc.sync_file_range(f.fileno(), ctypes.c_longlong(0), ctypes.c_longlong(0), ctypes.c_uint(2))
        os.rename(temp, os.path.join(series, "%d.dcm" % i))
        with state:
            need = started + 1  # a sync that starts after this rename
            wanted = True
            state.notify_all()
            while done < need:
                state.wait()


threading.Thread(target=syncer, daemon=True).start()
t0 = time.time()
threads = [threading.Thread(target=writer) for _ in range(writers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - t0
if failed:
    sys.exit(f"disk-pattern: a write or syncfs failed: errno {failed[0]} ({os.strerror(failed[0] or 0)})")
print(f"{count / elapsed:.1f} {count * size / elapsed / 1e6:.1f} {done}")
