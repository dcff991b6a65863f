#!/usr/bin/python3
"""Calls the NBIA Search REST API of tciapacs serve as TCIA's tcia_utils does (the same endpoints, parameters and
response handling: JSON arrays, a series as a zip), with Python's own urllib, zipfile and pydicom reading each file.

Usage: nbia_client.py BASE_URL [COLLECTION]   (e.g. http://127.0.0.1:8080/nbia-api/services/v1 default)
Prints a JSON report; exits 1 when a check failed."""
import io, json, sys, urllib.parse, urllib.request, zipfile

import pydicom

base = sys.argv[1].rstrip('/') + '/'
report = {'errors': []}


def get(endpoint, **params):
    url = base + endpoint + ('?' + urllib.parse.urlencode(params) if params else '')
    with urllib.request.urlopen(url, timeout=120) as r:
        return r.headers.get('Content-Type', ''), r.read()


def query(endpoint, **params):
    kind, body = get(endpoint, **params)
    if not kind.startswith('application/json'):
        report['errors'].append(f'{endpoint}: Content-Type {kind}')
    return json.loads(body) if body else []


collections = [c['Collection'] for c in query('getCollectionValues')]
report['collections'] = collections
collection = sys.argv[2] if len(sys.argv) > 2 else collections[0]
modalities = [m['Modality'] for m in query('getModalityValues', Collection=collection)]
report['modalities'] = modalities
patients = query('getPatient', Collection=collection)
report['patients'] = len(patients)
studies = query('getPatientStudy', Collection=collection, PatientID=patients[0]['PatientId'])
report['studies'] = len(studies)
series = query('getSeries', Collection=collection, Modality='MR')
report['mrSeries'] = len(series)
checked = 0
for s in series[:5]:
    uid = s['SeriesInstanceUID']
    size = query('getSeriesSize', SeriesInstanceUID=uid)[0]
    uids = sorted(u['SOPInstanceUID'] for u in query('getSOPInstanceUIDs', SeriesInstanceUID=uid))
    kind, body = get('getImage', SeriesInstanceUID=uid)
    archive = zipfile.ZipFile(io.BytesIO(body))
    if archive.testzip() is not None:
        report['errors'].append(f'{uid}: corrupt zip')
    read = []
    for name in archive.namelist():
        ds = pydicom.dcmread(io.BytesIO(archive.read(name)))
        if ds.SeriesInstanceUID != uid:
            report['errors'].append(f'{name}: series {ds.SeriesInstanceUID}, not {uid}')
        read.append(ds.SOPInstanceUID)
    if sorted(read) != uids or len(read) != int(size['ObjectCount']) or len(read) != int(s['ImageCount']):
        report['errors'].append(f'{uid}: {len(read)} files, {len(uids)} UIDs, ObjectCount {size["ObjectCount"]}, ImageCount {s["ImageCount"]}')
    if sum(i.file_size for i in archive.infolist()) != float(size['TotalSizeInBytes']):
        report['errors'].append(f'{uid}: the zip holds {sum(i.file_size for i in archive.infolist())} bytes, getSeriesSize says {size["TotalSizeInBytes"]}')
    one = pydicom.dcmread(io.BytesIO(get('getSingleImage', SeriesInstanceUID=uid, SOPInstanceUID=uids[0])[1]))
    if one.SOPInstanceUID != uids[0]:
        report['errors'].append(f'getSingleImage gave {one.SOPInstanceUID}')
    checked += 1
report['seriesChecked'] = checked
print(json.dumps(report))
sys.exit(1 if report['errors'] else 0)
