"""Writes the pixel data pydicom decodes from each file named on stdin, as native little endian bytes laid out in the
file's Planar Configuration (PS3.3 C.7.6.3.1.3), to <out_dir>/<n>.raw; prints {path: {"file": ...} | {"error": ...}}."""
import json
import os
import sys

try:
    import numpy as np
except ImportError:
    print("numpy is missing: apt-get install -y python3-numpy", file=sys.stderr)
    sys.exit(3)
import pydicom

out_dir = sys.argv[1]
result = {}
for n, line in enumerate(sys.stdin):
    path = line.strip()
    if not path:
        continue
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array  # (frames, rows, columns, samples), any of them dropped when 1
        spp = int(ds.SamplesPerPixel)
        arr = arr.reshape((-1, int(ds.Rows), int(ds.Columns), spp))
        if spp > 1 and int(getattr(ds, "PlanarConfiguration", 0) or 0) == 1:
            arr = arr.transpose(0, 3, 1, 2)
        data = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"))).tobytes()
        out = os.path.join(out_dir, f"{n}.raw")
        with open(out, "wb") as f:
            f.write(data)
        result[path] = {"file": out, "pydicom": pydicom.__version__}
    except Exception as e:  # reported per file, so one bad file does not hide the others
        result[path] = {"error": f"{type(e).__name__}: {e}"}
json.dump(result, sys.stdout)
