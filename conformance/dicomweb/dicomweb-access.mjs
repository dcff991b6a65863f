// Signs in to tciapacs serve with dicomweb-client (HTTP Basic in its headers, as OHIF passes credentials) or not, and
// stores, finds and retrieves one file. Usage:
//   node dicomweb-access.mjs BASE_URL FILE [user:password]
// Prints a JSON report on stdout: each step's HTTP status (200 when it succeeded) and what it found.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
globalThis.XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client');

const [base, file, credentials] = process.argv.slice(2);
if (!base || !file) {
  console.error('usage: node dicomweb-access.mjs BASE_URL FILE [user:password]');
  process.exit(2);
}
const headers = credentials ? { Authorization: 'Basic ' + Buffer.from(credentials, 'utf8').toString('base64') } : {};
const client = new api.DICOMwebClient({ url: base, headers, singlepart: [], verbose: false, errorInterceptor: () => {} });
const bytes = fs.readFileSync(file);
const report = {};
const status = e => (e && e.status) || String(e);

try {
  await client.storeInstances({ datasets: [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)] });
  report.stow = 200;
} catch (e) { report.stow = status(e); }
try {
  const studies = await client.searchForStudies({});
  report.qido = 200;
  report.studies = studies.map(s => s['0020000D'].Value[0]);
} catch (e) { report.qido = status(e); }
if (report.studies && report.studies.length > 0) {
  try {
    const instances = await client.retrieveStudy({ studyInstanceUID: report.studies[0] });
    report.wado = 200;
    report.retrieved = instances.length;
  } catch (e) { report.wado = status(e); }
}
console.log(JSON.stringify(report));
