#!/usr/bin/python3
"""Prints, for each DICOM file named on stdin (one path a line), the element tree pydicom reads, as one JSON object
{path: tree or {"error": message}}. Used by the TciaPacs agreement tests; needs Debian's python3-pydicom."""
import hashlib
import json
import sys

import pydicom
from pydicom.tag import BaseTag

UNIT = {"OW": 2, "US": 2, "SS": 2, "AT": 2, "OF": 4, "FL": 4, "UL": 4, "SL": 4, "OL": 4,
        "OD": 8, "FD": 8, "SV": 8, "UV": 8, "OV": 8}


def swap(raw, unit):
    if unit <= 1:
        return raw
    out = bytearray(raw)
    for i in range(0, len(out) - len(out) % unit, unit):
        out[i:i + unit] = out[i:i + unit][::-1]
    return bytes(out)


def text(v):
    if v is None:
        return []
    if isinstance(v, (list, pydicom.multival.MultiValue)):
        vals = [value_str(x) for x in v]
    else:
        vals = [value_str(v)]
    if all(x == "" for x in vals):
        return []
    return vals


def value_str(x):
    if x is None:
        return ""
    if isinstance(x, BaseTag):
        return "%08X" % int(x)
    if isinstance(x, bytes):
        return x.decode("latin-1").strip(" \x00")
    original = getattr(x, "original_string", None)
    if isinstance(original, str):
        return original.strip(" \x00")
    if isinstance(x, (pydicom.valuerep.DSfloat, pydicom.valuerep.DSdecimal, pydicom.valuerep.IS)):
        return repr(x).strip("'\"").strip(" \x00")
    if isinstance(x, float):
        return repr(x)
    return str(x).strip(" \x00")


def tree(ds, little_endian):
    out = []
    for tag in sorted(ds.keys()):
        node = {"tag": "%08X" % int(tag)}
        try:
            raw = ds.get_item(tag)
            elem = ds[tag]
        except Exception as ex:  # pydicom could not convert this element
            node["error"] = "%s: %s" % (type(ex).__name__, ex)
            out.append(node)
            continue
        node["vr"] = elem.VR
        if elem.VR == "SQ":
            node["items"] = [tree(item, little_endian) for item in (elem.value or [])]
            out.append(node)
            continue
        raw_bytes = getattr(raw, "value", None)
        if isinstance(raw_bytes, (bytes, bytearray)):
            b = bytes(raw_bytes)
            if not little_endian:
                b = swap(b, UNIT.get(elem.VR, 1))
            node["sha"] = hashlib.sha256(b).hexdigest()
            node["len"] = len(b)
        if elem.VR in ("OB", "OW", "OD", "OF", "OL", "OV", "UN", "OB or OW", "US or OW"):
            pass
        else:
            try:
                node["values"] = text(elem.value)
            except Exception as ex:
                node["error"] = "%s: %s" % (type(ex).__name__, ex)
        out.append(node)
    return out


def main():
    result = {}
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        try:
            ds = pydicom.dcmread(path, force=True)
            le = ds.is_little_endian if ds.is_little_endian is not None else True
            result[path] = {"meta": tree(ds.file_meta, True) if getattr(ds, "file_meta", None) is not None else [],
                            "dataset": tree(ds, le)}
        except Exception as ex:
            result[path] = {"error": "%s: %s" % (type(ex).__name__, ex)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
