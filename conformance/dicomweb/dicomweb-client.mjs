// Drives tciapacs serve with dicomweb-client (the DICOMweb library OHIF uses), as a browser viewer would, and writes
// every response part to disk for pydicom (check_parts.py) to parse. Usage:
//   node dicomweb-client.mjs BASE_URL FILE_LIST OUT_DIR
// FILE_LIST has one Part 10 file path per line. Prints a JSON report on stdout; exits 1 when a step failed.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
globalThis.XMLHttpRequest = require('xhr2'); // dicomweb-client speaks XMLHttpRequest, which node lacks
const { api } = require('dicomweb-client');

const [base, listFile, out] = process.argv.slice(2);
if (!base || !listFile || !out) {
  console.error('usage: node dicomweb-client.mjs BASE_URL FILE_LIST OUT_DIR');
  process.exit(2);
}
const files = fs.readFileSync(listFile, 'utf8').split('\n').filter(l => l.length > 0);
const client = new api.DICOMwebClient({ url: base, singlepart: [], verbose: false, errorInterceptor: () => {} });
const report = { stow: [], instances: 0, retrieved: 0, metadata: 0, frames: 0, bulkdata: 0, rendered: 0, errors: [] };
for (const d of ['instances', 'metadata', 'frames', 'bulkdata', 'rendered', 'series']) fs.mkdirSync(path.join(out, d), { recursive: true });

const toArrayBuffer = b => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
const value = (ds, tag) => (ds[tag] && ds[tag].Value ? ds[tag].Value[0] : undefined);
const fail = (step, e) => report.errors.push(`${step}: ${e && e.status ? `HTTP ${e.status}` : e}`);

async function run() {
  // STOW-RS, one file per request so that each file's verdict is known.
  for (const file of files) {
    try {
      const response = await client.storeInstances({ datasets: [toArrayBuffer(fs.readFileSync(file))] });
      report.stow.push({ file, stored: true });
    } catch (e) {
      let reason = null;
      try {
        const body = JSON.parse(Buffer.from(e.response).toString('utf8'));
        reason = body['00081198'].Value[0]['00081197'].Value[0];
      } catch { /* no JSON body */ }
      report.stow.push({ file, status: e.status, failureReason: reason });
    }
  }

  // QIDO-RS: every instance, then per series and study.
  const instances = [];
  for (let offset = 0; ; offset += 100) {
    const page = await client.searchForInstances({ queryParams: { limit: 100, offset } });
    instances.push(...page);
    if (page.length < 100) break;
  }
  report.instances = instances.length;
  const studies = await client.searchForStudies({ queryParams: { includefield: 'all' } });
  report.studies = studies.length;
  const series = await client.searchForSeries({ queryParams: { Modality: 'MR' } });
  report.mrSeries = series.length;
  fs.writeFileSync(path.join(out, 'qido-studies.json'), JSON.stringify(studies));

  // WADO-RS per instance: the file as stored and its metadata; frames, bulk data and a rendering where there are pixels.
  let rendered = 0;
  for (const inst of instances) {
    const studyInstanceUID = value(inst, '0020000D');
    const seriesInstanceUID = value(inst, '0020000E');
    const sopInstanceUID = value(inst, '00080018');
    const ids = { studyInstanceUID, seriesInstanceUID, sopInstanceUID };
    try {
      // retrieveInstance() of dicomweb-client 0.11.3 rejects every mediaTypes list ("Media type application/ is not
      // supported"), so transfer-syntax=* goes through the method it would call; the default path is used for series.
      const url = `${base}/studies/${studyInstanceUID}/series/${seriesInstanceUID}/instances/${sopInstanceUID}`;
      const [part] = await client._httpGetMultipartApplicationDicom(url, [{ mediaType: 'application/dicom', transferSyntaxUID: '*' }], false, {});
      fs.writeFileSync(path.join(out, 'instances', `${sopInstanceUID}.dcm`), Buffer.from(part));
      report.retrieved++;
      const [metadata] = await client.retrieveInstanceMetadata(ids);
      fs.writeFileSync(path.join(out, 'metadata', `${sopInstanceUID}.json`), JSON.stringify(metadata));
      report.metadata++;
      const pixelData = metadata['7FE00010'];
      if (pixelData && pixelData.BulkDataURI) {
        const frames = await client.retrieveInstanceFrames({ ...ids, frameNumbers: [1], mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: '*' }] });
        fs.writeFileSync(path.join(out, 'frames', `${sopInstanceUID}.1`), Buffer.from(frames[0]));
        report.frames++;
        {
          // Bulk data by its URI, whole and as a byte range (what dicomweb-client sends for progressive loading).
          const [whole] = await client.retrieveBulkData({ BulkDataURI: pixelData.BulkDataURI });
          fs.writeFileSync(path.join(out, 'bulkdata', `${sopInstanceUID}.7FE00010`), Buffer.from(whole));
          const [range] = await client.retrieveBulkData({ BulkDataURI: pixelData.BulkDataURI, byteRange: [0, 99] });
          fs.writeFileSync(path.join(out, 'bulkdata', `${sopInstanceUID}.7FE00010.0-99`), Buffer.from(range));
          report.bulkdata++;
        }
        if (rendered < 40) {
          try {
            const image = await client.retrieveInstanceRendered({ ...ids, mediaTypes: [{ mediaType: 'image/png' }] });
            fs.writeFileSync(path.join(out, 'rendered', `${sopInstanceUID}.png`), Buffer.from(Array.isArray(image) ? image[0] : image));
            rendered++;
          } catch (e) {
            if (e.status !== 406) fail(`rendered ${sopInstanceUID}`, e); // 406: no decoder for its syntax or layout
          }
        }
      }
    } catch (e) {
      fail(`retrieve ${sopInstanceUID}`, e);
    }
  }
  report.rendered = rendered;

  // Series metadata and retrieve of one series as a whole.
  if (instances.length > 0) {
    const studyInstanceUID = value(instances[0], '0020000D');
    const seriesInstanceUID = value(instances[0], '0020000E');
    const metadata = await client.retrieveSeriesMetadata({ studyInstanceUID, seriesInstanceUID });
    const parts = await client.retrieveSeries({ studyInstanceUID, seriesInstanceUID });
    parts.forEach((p, i) => fs.writeFileSync(path.join(out, 'series', `${i}.dcm`), Buffer.from(p)));
    report.seriesMetadata = metadata.length;
    report.seriesParts = parts.length;
  }
  // Errors the client must see as errors.
  try {
    await client.retrieveStudyMetadata({ studyInstanceUID: '1.2.3.404' });
    report.errors.push('metadata of an unknown study did not fail');
  } catch (e) {
    report.unknownStudyStatus = e.status;
  }
}

run().then(() => {
  console.log(JSON.stringify(report));
  process.exit(report.errors.length ? 1 : 0);
}, e => {
  fail('run', e && e.stack ? e.stack : e);
  console.log(JSON.stringify(report));
  process.exit(1);
});
