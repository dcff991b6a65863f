#!/usr/bin/python3
"""Signs in to the NBIA API of tciapacs serve as TCIA's tcia_utils getToken does (POST /nbia-api/oauth/token, the
OAuth 2 password grant with client_id NBIA), then calls /nbia-api/services/v2 with the bearer token as tcia_utils does
after it: collections, series, a series as a zip read by pydicom; refreshes the token, logs out, and tries a wrong
password and the nbia_guest account. Python's own urllib, as nbia_client.py.

Usage: nbia_token_client.py ROOT_URL USER PASSWORD COLLECTION   (e.g. http://127.0.0.1:8080 investigator pw trial)
Prints a JSON report of what each step answered; exits 1 when a step broke the protocol."""
import io, json, sys, urllib.error, urllib.parse, urllib.request, zipfile

import pydicom

root, user, password, collection = sys.argv[1].rstrip('/'), sys.argv[2], sys.argv[3], sys.argv[4]
report = {'errors': []}


def post_token(**form):
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(root + '/nbia-api/oauth/token', data=data, method='POST')
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            if r.headers.get('Cache-Control') != 'no-store':
                report['errors'].append('token response without Cache-Control: no-store')
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'{}')


def call(endpoint, token, **params):
    url = root + '/nbia-api/services/v2/' + endpoint + ('?' + urllib.parse.urlencode(params) if params else '')
    request = urllib.request.Request(url, headers={'Authorization': 'Bearer ' + token})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.headers.get('Content-Type', ''), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get('Content-Type', ''), e.read()


status, token = post_token(username=user, password=password, client_id='NBIA', grant_type='password')
report['token'] = status
if status == 200:
    if token.get('token_type') != 'bearer' or not token.get('access_token') or not token.get('refresh_token'):
        report['errors'].append(f'token answer {token}')
    report['expiresIn'] = token.get('expires_in')
    access = token['access_token']
    status, kind, body = call('getCollectionValues', access)
    report['collections'] = [c['Collection'] for c in json.loads(body)] if status == 200 else status
    status, kind, body = call('getSeries', access, Collection=collection)
    series = json.loads(body) if status == 200 and body else []
    report['series'] = len(series)
    read = 0
    for s in series[:2]:
        status, kind, body = call('getImage', access, SeriesInstanceUID=s['SeriesInstanceUID'])
        archive = zipfile.ZipFile(io.BytesIO(body))
        for name in archive.namelist():
            ds = pydicom.dcmread(io.BytesIO(archive.read(name)))
            if ds.SeriesInstanceUID != s['SeriesInstanceUID']:
                report['errors'].append(f'{name}: series {ds.SeriesInstanceUID}')
            read += 1
    report['filesRead'] = read

    status, refreshed = post_token(grant_type='refresh_token', refresh_token=token['refresh_token'], client_id='NBIA')
    report['refresh'] = status
    report['refreshAgain'] = post_token(grant_type='refresh_token', refresh_token=token['refresh_token'], client_id='NBIA')[0]
    if status == 200:
        report['refreshedCall'] = call('getCollectionValues', refreshed['access_token'])[0]
        logout = urllib.request.Request(root + '/nbia-api/logout', headers={'Authorization': 'Bearer ' + refreshed['access_token']})
        with urllib.request.urlopen(logout, timeout=60) as r:
            report['logout'] = r.status
        report['afterLogout'] = call('getCollectionValues', refreshed['access_token'])[0]

status, wrong = post_token(username=user, password=password + 'x', client_id='NBIA', grant_type='password')
report['wrongPassword'] = [status, wrong.get('error')]
status, guest = post_token(username='nbia_guest', password='', client_id='NBIA', grant_type='password')
report['guest'] = status
if status == 200:
    report['guestCall'] = call('getCollectionValues', guest['access_token'])[0]
report['unsupported'] = post_token(grant_type='client_credentials', client_id='NBIA')[1].get('error')
print(json.dumps(report))
sys.exit(1 if report['errors'] else 0)
