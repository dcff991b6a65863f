#!/usr/bin/env python3
"""Writes COUNT CT instances of one new study and series (256x256x16, random pixels, about 131 KB each, Explicit VR
Little Endian) for the DIMSE benchmarks: into FOLDER itself, or spread over FOLDER/0 .. FOLDER/PARTS-1 (one storescu
association each) when PARTS > 1. Prints the Study Instance UID.

Usage: gen-ct.py FOLDER COUNT [PARTS] [NAME]     (NAME goes into Patient ID and Patient's Name)
"""
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

folder, count = sys.argv[1], int(sys.argv[2])
parts = int(sys.argv[3]) if len(sys.argv) > 3 else 1
name = sys.argv[4] if len(sys.argv) > 4 else "bench"
study, series = generate_uid(), generate_uid()
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
    target = f"{folder}/{i % parts}" if parts > 1 else folder
    os.makedirs(target, exist_ok=True)
    try:
        ds.save_as(f"{target}/{i:05d}.dcm", enforce_file_format=True, implicit_vr=False, little_endian=True)
    except TypeError:  # pydicom < 3
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(f"{target}/{i:05d}.dcm", write_like_original=False)
print(study)
