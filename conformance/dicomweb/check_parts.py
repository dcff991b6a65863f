#!/usr/bin/python3
"""Parses every part dicomweb-client.mjs saved with pydicom (python3-pydicom) and checks it against the files sent.

usage: check_parts.py REPORT_JSON OUT_DIR
- each file STOW-RS accepted comes back by WADO-RS (transfer-syntax=*) with the same data set, element for element
  (group lengths aside: the archive may rewrite files without file meta, and writers drop these retired elements);
- each file STOW-RS refused carries a Failure Reason;
- the instance metadata (DICOM JSON) has every element of the file, equal in value, except bulk data given as a
  BulkDataURI; an element we give as UN (its VR unknown to our parser: private tags of implicit VR files, UN in the
  file) must carry the file's bytes, and where pydicom parsed those bytes otherwise it is listed in
  un_parse_divergences (reported, not a failure); frame 1 and the Pixel Data bulk data (whole and bytes 0-99) equal the file's; rendered PNGs are PNGs
  of the image's size; every part of the series retrieve parses.
Prints a JSON summary; exits 1 on any mismatch.
"""
import base64
import json
import re
import os
import struct
import sys

import pydicom
from pydicom.dataset import Dataset
from pydicom.encaps import generate_pixel_data_frame

report = json.load(open(sys.argv[1]))
out = sys.argv[2]
problems = []
checked = {"instances": 0, "metadata": 0, "frames": 0, "bulkdata": 0, "rendered": 0, "series_parts": 0, "refused": 0}


def without_group_lengths(ds):
    for elem in list(ds):
        if elem.tag.element == 0:
            del ds[elem.tag]
        elif elem.VR == "SQ":
            for item in elem.value:
                without_group_lengths(item)
    return ds


def same(a, b, path=""):
    """Element-by-element comparison; returns the first difference or None."""
    tags = sorted(set(a.keys()) | set(b.keys()))
    for tag in tags:
        if tag not in a or tag not in b:
            return f"{path}{tag} present in only one"
        x, y = a[tag], b[tag]
        if x.VR == "SQ" and y.VR == "SQ":
            if len(x.value) != len(y.value):
                return f"{path}{tag} item count {len(x.value)} vs {len(y.value)}"
            for i, (p, q) in enumerate(zip(x.value, y.value)):
                d = same(p, q, f"{path}{tag}[{i}].")
                if d:
                    return d
        elif x.value != y.value:
            return f"{path}{tag} {x.VR} {x.value!r:.80} vs {y.value!r:.80}"
    return None


def normalise(v):
    if v is None:
        return ""
    if isinstance(v, (list, pydicom.multival.MultiValue)):
        return [normalise(i) for i in v]
    if isinstance(v, bytes):
        return v
    if isinstance(v, float) or type(v).__name__ in ("DSfloat", "DSdecimal", "IS", "ISfloat"):
        return float(v)
    if isinstance(v, int):
        return float(v)
    # pydicom 2.3 leaves ISO 2022 escape sequences in some decoded values (e.g. ESC $ ) A of GB2312): drop them.
    return re.sub(r"\x1b[\x20-\x2f]+[\x30-\x7e]", "", str(v)).rstrip(" \x00")


def metadata_difference(original, meta, path="", raw=None):
    for elem in original:
        if elem.tag.element == 0:
            continue
        if elem.tag not in meta:
            return f"{path}{elem.tag} missing from the metadata"
        m = meta[elem.tag]
        if getattr(m, "_json_vr", m.VR) == "UN" and elem.VR != "UN":
            # We keep elements whose VR we do not know (private in implicit VR, or UN in the file) as UN; pydicom may
            # know them: compare the bytes when pydicom kept them raw, else list the element as a parse divergence.
            item = raw.get_item(elem.tag) if raw is not None else None
            ours = getattr(m, "_json_bytes", m.value if isinstance(m.value, bytes) else b"" if m.value in (None, "", []) else None)
            if item is not None and isinstance(item.value, bytes) and ours is not None and item.value.rstrip(b" \x00") == ours.rstrip(b" \x00"):
                continue
            divergences.append(f"{path}{elem.tag}: UN here, {elem.VR} for pydicom")
            continue
        if elem.VR == "SQ":
            if len(elem.value) != len(m.value):
                return f"{path}{elem.tag} item count"
            for i, (p, q) in enumerate(zip(elem.value, m.value)):
                d = metadata_difference(p, q, f"{path}{elem.tag}[{i}].")
                if d:
                    return d
            continue
        if getattr(m, "_bulk", False):
            continue
        if elem.tag == 0x7FE00010 and elem.is_undefined_length:
            continue  # encapsulated Pixel Data: compared frame by frame below
        if elem.VR in ("FL", "OF") and not isinstance(elem.value, bytes):
            # DICOM JSON writes FL as the shortest decimal that reads back as the same single-precision float.
            f = lambda v: struct.unpack("<f", struct.pack("<f", float(v)))[0]
            listed = lambda x: x if isinstance(x, (list, pydicom.multival.MultiValue)) else [x]
            try:
                a = [f(v) for v in listed(elem.value) if v is not None]
                b = [f(v) for v in listed(m.value) if v is not None]
                if a != b:
                    return f"{path}{elem.tag} FL {a!r:.60} vs {b!r:.60}"
                continue
            except (TypeError, ValueError, struct.error):
                pass  # not numbers on one side (a mislabelled value): compare as below
        a = normalise(elem.value if elem.VM != 1 or not isinstance(elem.value, (list,)) else elem.value)
        b = normalise(m.value)
        if isinstance(a, list) and not isinstance(b, list):
            b = [b]
        if isinstance(b, list) and not isinstance(a, list):
            a = [a]
        # pydicom leaves values of unknown private tags (implicit VR) as bytes: compare them as text.
        if isinstance(a, bytes) != isinstance(b, bytes):
            a, b = [v.decode("latin-1").rstrip(" \x00") if isinstance(v, bytes) else v for v in (a, b)]
        if isinstance(a, bytes) and isinstance(b, bytes):
            a, b = a.rstrip(b"\x00"), b.rstrip(b"\x00")
        if a != b and not (a in ("", [], None, b"") and b in ("", [], None, b"")):
            return f"{path}{elem.tag} {elem.VR} {a!r:.60} vs {b!r:.60}"
    return None


bulk_tags = set()
unreadable = []
divergences = []


def from_json(text):
    def handler(tag, vr, uri):
        bulk_tags.add(uri)
        return None
    try:
        ds = Dataset.from_json(text, bulk_data_uri_handler=handler)
    except (ValueError, TypeError) as e:
        # pydicom refuses a value our JSON carries (e.g. an IS/DS that is not a number, written as a JSON string as
        # the file had it): read element by element and list the ones it refuses; the rest are still compared.
        ds = Dataset()
        for key, value in json.loads(text).items():
            try:
                ds.update(Dataset.from_json({key: value}, bulk_data_uri_handler=handler))
            except (ValueError, TypeError):
                unreadable.append(f"{key} {value.get('vr')} {str(value.get('Value'))[:40]}")
                ds[int(key, 16)] = pydicom.DataElement(int(key, 16), "UN", None)
                ds[int(key, 16)]._bulk = True  # not comparable: skipped below, listed in the summary

    def mark(ds, obj):
        for key, value in obj.items():
            tag = int(key, 16)
            if tag in ds:
                ds[tag]._json_vr = value.get("vr")  # pydicom may turn a UN into the dictionary VR on reading
                if "InlineBinary" in value:
                    ds[tag]._json_bytes = base64.b64decode(value["InlineBinary"])
            if "BulkDataURI" in value and tag in ds:
                ds[tag]._bulk = True
            if value.get("vr") == "SQ" and "Value" in value and tag in ds:
                for item, sub in zip(ds[tag].value, value["Value"]):
                    mark(item, sub)
    mark(ds, json.loads(text))
    return ds


seen = set()
for entry in report["stow"]:
    path = entry["file"]
    if not entry.get("stored"):
        checked["refused"] += 1
        if entry.get("failureReason") is None:
            problems.append(f"{path}: refused (HTTP {entry.get('status')}) without a Failure Reason")
        continue
    original = pydicom.dcmread(path, force=True)
    sop = str(original.get("SOPInstanceUID", ""))
    if sop in seen:
        continue  # a duplicate of an earlier file: the first one is what is stored
    seen.add(sop)
    retrieved_path = os.path.join(out, "instances", sop + ".dcm")
    if not os.path.exists(retrieved_path):
        problems.append(f"{path}: stored but not retrieved")
        continue
    back = pydicom.dcmread(retrieved_path)
    d = same(without_group_lengths(original.copy() if hasattr(original, "copy") else original), without_group_lengths(back))
    if d:
        problems.append(f"{path}: retrieved data set differs: {d}")
    checked["instances"] += 1

    meta_path = os.path.join(out, "metadata", sop + ".json")
    if os.path.exists(meta_path):
        original = pydicom.dcmread(path, force=True)
        d = metadata_difference(original, from_json(open(meta_path, encoding="utf-8").read()), raw=pydicom.dcmread(path, force=True))
        if d:
            problems.append(f"{path}: metadata differs: {d}")
        checked["metadata"] += 1

    if "PixelData" not in original:
        continue
    ts = str(back.file_meta.TransferSyntaxUID)
    encapsulated = back["PixelData"].is_undefined_length
    little_endian = ts != "1.2.840.10008.1.2.2"
    try:
        frames = int(original.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        frames = 1
    if encapsulated:
        first = next(generate_pixel_data_frame(back.PixelData, frames))
    else:
        bits = int(original.Rows) * int(original.Columns) * int(original.get("SamplesPerPixel", 1)) * int(original.BitsAllocated)
        first = back.PixelData[:(bits + 7) // 8]
        if bits % 8:
            first = first[:-1] + bytes([first[-1] & ((1 << (bits % 8)) - 1)])  # frame 1's bits only
    frame_path = os.path.join(out, "frames", sop + ".1")
    if os.path.exists(frame_path):
        if little_endian:
            if open(frame_path, "rb").read() != first:
                problems.append(f"{path}: frame 1 differs from pydicom's")
            checked["frames"] += 1
    bulk_path = os.path.join(out, "bulkdata", sop + ".7FE00010")
    if os.path.exists(bulk_path) and little_endian:
        whole = open(bulk_path, "rb").read()
        part = open(bulk_path + ".0-99", "rb").read()
        expected = first if encapsulated else back.PixelData
        if whole != expected:
            problems.append(f"{path}: Pixel Data bulk data differs ({len(whole)} vs {len(expected)} bytes)")
        if not encapsulated and part != back.PixelData[:100]:
            problems.append(f"{path}: bytes 0-99 of the Pixel Data differ")
        checked["bulkdata"] += 1
    png = os.path.join(out, "rendered", sop + ".png")
    if os.path.exists(png):
        data = open(png, "rb").read()
        if data[:8] != b"\x89PNG\r\n\x1a\n":
            problems.append(f"{path}: rendered is not a PNG")
        else:
            width, height = struct.unpack(">II", data[16:24])
            if (width, height) != (int(original.Columns), int(original.Rows)):
                problems.append(f"{path}: rendered {width}x{height}, image {original.Columns}x{original.Rows}")
        checked["rendered"] += 1

for name in sorted(os.listdir(os.path.join(out, "series"))):
    pydicom.dcmread(os.path.join(out, "series", name))
    checked["series_parts"] += 1

print(json.dumps({"checked": checked, "problems": problems, "pydicom_unreadable_json_values": unreadable, "un_parse_divergences": divergences}))
sys.exit(1 if problems else 0)
