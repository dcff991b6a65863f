// Drives a DICOM node with dcmjs-dimse (a DIMSE implementation independent of dcmtk) for the black-box DIMSE tests
// (tests/TciaPacs.Dimse.Interop.Tests/DcmjsDimseTests.cs). One operation per run, given as JSON in argv[2]:
//   {"op": "echo"|"store"|"find"|"get"|"move", "host", "port", "calledAe", "callingAe",
//    "files": [...] (store), "sopClass", "identifier": {dcmjs naturalized names} (find, get, move),
//    "out": folder where received instances are written (get, move), "destination": {"ae", "port"} (move: an SCP run here),
//    "user": {"username", "password"} (user identity negotiation)}
// Prints one JSON object: {"associated", "responses": [{status, comment, remaining, completed, failed, warnings, identifier}],
// "received": [{sopClassUid, sopInstanceUid, transferSyntaxUid, file}], "error"}.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const dimse = require('dcmjs-dimse');
const { Client, Server, Scp, Dataset } = dimse;
const { CEchoRequest, CStoreRequest, CFindRequest, CGetRequest, CMoveRequest } = dimse.requests;
const { CStoreResponse, CEchoResponse } = dimse.responses;
const { Status, PresentationContextResult, TransferSyntax } = dimse.constants;
dimse.log.setLevel('error');

// dcmjs-dimse proposes its own list of storage classes (with the SCP role) for a C-GET; it lacks these, which the
// tests retrieve, and its list is frozen: they are proposed beside it, the same way.
const moreStorageClasses = [
  '1.2.840.10008.5.1.4.1.1.481.2', // RT Dose Storage
  '1.2.840.10008.5.1.4.1.1.66.4', // Segmentation Storage
  '1.2.840.10008.5.1.4.1.1.30', // Parametric Map Storage
  '1.2.840.10008.5.1.4.1.1.9.1.1', // 12-lead ECG Waveform Storage
];
const { Association } = dimse.association;
const proposeFromRequest = Association.prototype.addPresentationContextFromRequest;
Association.prototype.addPresentationContextFromRequest = function (request, transferSyntaxes) {
  const id = proposeFromRequest.call(this, request, transferSyntaxes);
  if (request instanceof dimse.requests.CGetRequest)
    for (const uid of moreStorageClasses) {
      const pc = this.addOrGetPresentationContext(uid);
      this.getPresentationContext(pc).setProviderRole(true);
      for (const ts of [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian]) this.addTransferSyntaxToPresentationContext(pc, ts);
    }
  return id;
};

const args = JSON.parse(process.argv[2]);
// Old files carry values longer than their VR allows today (ACR-NEMA dates such as 1994.01.30): kept as they are.
const writeOptions = { allowInvalidVRLength: true };
const networkOptions = { datasetWriteOptions: writeOptions, datasetReadOptions: { ignoreErrors: true } };
// "user": {"username", "password"}: user identity negotiation (PS3.7 D.3.3.7), a positive response asked for.
const clientOptions = args.user
  ? { ...networkOptions, userIdentity: { type: dimse.constants.UserIdentityType.UsernameAndPasscode, positiveResponseRequested: true, primaryField: args.user.username, secondaryField: args.user.password } }
  : networkOptions;
const result = { associated: false, responses: [], received: [], error: null };

function receive(request) {
  const dataset = request.getDataset();
  const uid = request.getAffectedSopInstanceUid();
  const file = path.join(args.out, `${result.received.length}.dcm`);
  dataset.toFile(file, undefined, undefined, writeOptions);
  result.received.push({ sopClassUid: request.getAffectedSopClassUid(), sopInstanceUid: uid, transferSyntaxUid: dataset.getTransferSyntaxUid(), file });
  const response = CStoreResponse.fromRequest(request);
  response.setStatus(Status.Success);
  return response;
}

function record(response) {
  const entry = { status: response.getStatus() };
  const comment = response.getErrorComment();
  if (comment) entry.comment = comment;
  for (const [name, get] of [['remaining', 'getRemaining'], ['completed', 'getCompleted'], ['failed', 'getFailures'], ['warnings', 'getWarnings']])
    if (typeof response[get] === 'function' && response[get]() !== undefined) entry[name] = response[get]();
  if (response.hasDataset()) entry.identifier = response.getDataset().getElements();
  result.responses.push(entry);
}

// The C-MOVE destination: accepts every storage context in the native syntaxes and writes what it receives.
class DestinationScp extends Scp {
  associationRequested(association) {
    for (const c of association.getPresentationContexts()) {
      const context = association.getPresentationContext(c.id);
      const syntaxes = context.getTransferSyntaxUids();
      const chosen = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian].find((t) => syntaxes.includes(t));
      if (chosen) context.setResult(PresentationContextResult.Accept, chosen);
      else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
    }
    this.sendAssociationAccept();
  }
  associationReleaseRequested() {
    this.sendAssociationReleaseResponse();
  }
  cEchoRequest(request, callback) {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }
  cStoreRequest(request, callback) {
    callback(receive(request));
  }
}

function requestFor() {
  const identifier = () => new Dataset(args.identifier ?? {});
  switch (args.op) {
    case 'echo':
      return [new CEchoRequest()];
    case 'store':
      return args.files.map((f) => new CStoreRequest(f));
    case 'find': {
      const r = new CFindRequest();
      r.setAffectedSopClassUid(args.sopClass);
      r.setDataset(identifier());
      return [r];
    }
    case 'get': {
      const r = new CGetRequest();
      r.setAffectedSopClassUid(args.sopClass);
      r.setDataset(identifier());
      return [r];
    }
    case 'move': {
      const r = new CMoveRequest();
      r.setAffectedSopClassUid(args.sopClass);
      r.getCommandDataset().setElement('MoveDestination', args.destination.ae);
      r.setDataset(identifier());
      return [r];
    }
    default:
      throw new Error(`unknown op ${args.op}`);
  }
}

async function main() {
  let server;
  if (args.op === 'move') {
    server = new Server(DestinationScp);
    server.on('networkError', (e) => { result.error = `destination: ${e.message}`; });
    server.listen(args.destination.port, networkOptions);
  }
  const client = new Client();
  const requests = requestFor();
  for (const r of requests) {
    r.on('response', record);
    client.addRequest(r);
  }
  client.on('cStoreRequest', (request, callback) => callback(receive(request)));
  await new Promise((resolve) => {
    client.on('associationAccepted', () => { result.associated = true; });
    client.on('associationRejected', (reject) => { result.error = `association rejected: ${JSON.stringify(reject)}`; });
    client.on('networkError', (e) => { result.error = `network error: ${e.message}`; resolve(); });
    client.on('closed', resolve);
    client.send(args.host, args.port, args.callingAe ?? 'DCMJSSCU', args.calledAe, clientOptions);
  });
  if (server) server.close();
}

const watchdog = setTimeout(() => { result.error = 'timed out after 120 s'; finish(); }, 120000);
function finish() {
  clearTimeout(watchdog);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}
main().then(finish, (e) => { result.error = String(e?.stack ?? e); finish(); });
