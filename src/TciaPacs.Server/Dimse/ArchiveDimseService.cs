using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Storage;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Diagnostics;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Dicom.Text;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Dimse;

/// <summary>
/// The archive behind the DIMSE services: C-STORE into the store pipeline, C-FIND through the query engine, C-MOVE and
/// C-GET of what the catalog holds; the called AE title chooses the collection, the calling AE title what is allowed.
/// </summary>
internal sealed partial class ArchiveDimseService(DicomArchive archive, ServerOptions options, ILogger log) : DimseServiceProvider(log)
{
    private readonly ServerOptions.DimseSection _dimse = options.Dimse;

    protected override AssociationOptions SubAssociationOptions => DimseHost.AssociationOptions(options);

    protected override TimeSpan PendingResponseInterval => TimeSpan.FromMilliseconds(Math.Max(0, _dimse.PendingResponseIntervalMs));

    /// <summary>The collection of a called AE title: ours → the default collection; a mapped one → its own; else the configured fallback or null (reject).</summary>
    public string? CollectionOf(string calledAe)
    {
        if (calledAe == _dimse.AeTitle) return options.Storage.DefaultCollection;
        if (_dimse.CalledAeCollections.TryGetValue(calledAe, out var c)) return c;
        return _dimse.UnknownCalledAeCollection;
    }

    /// <summary>
    /// Queries and retrievals through a called AE mapped to a collection see that collection only; an identified user
    /// with collections of their own sees only those (of the called AE's); the intake collections are seen by curators
    /// only (a site stores into one through its called AE, and finds nothing there).
    /// </summary>
    private IReadOnlySet<string>? ScopeOf(DicomAssociation association)
    {
        var scope = CollectionsOf(association);
        var curation = archive.Curation.Options;
        if (curation.IntakeCollections.Count == 0 || UserOf(association) is { Curate: true }) return scope;
        var seen = new HashSet<string>(scope ?? archive.CollectionNames, StringComparer.Ordinal);
        seen.RemoveWhere(curation.IsIntake);
        return seen;
    }

    private HashSet<string>? CollectionsOf(DicomAssociation association)
    {
        var calledAe = association.CalledAe;
        var byAe = calledAe == _dimse.AeTitle ? null : CollectionOf(calledAe) is { } c ? new HashSet<string>(StringComparer.Ordinal) { c } : null;
        if (UserOf(association) is not { Collections.Count: > 0 } user) return byAe;
        var theirs = new HashSet<string>(user.Collections, StringComparer.Ordinal);
        if (byAe != null) theirs.IntersectWith(byAe);
        return theirs;
    }

    private enum Permission { Store, Query, Retrieve }

    private static bool Grants(bool store, bool query, bool retrieve, Permission what) =>
        what switch { Permission.Store => store, Permission.Query => query, _ => retrieve };

    /// <summary>
    /// The user the association request identified, or null. The identity was checked when the association was
    /// accepted (<see cref="Screen"/>), so the username is enough here.
    /// </summary>
    private ServerOptions.ArchiveUser? UserOf(DicomAssociation association) =>
        _dimse.Users.Count > 0 && association.Request.UserInformation.UserIdentity is { Type: UserIdentity.Username or UserIdentity.UsernameAndPasscode } id
            ? _dimse.Users.FirstOrDefault(u => u.Username == System.Text.Encoding.UTF8.GetString(id.PrimaryField))
            : null;

    /// <summary>The calling peer's permission (any, with AcceptAnyCaller), and the identified user's.</summary>
    private bool Allowed(DicomAssociation association, Permission what) =>
        (_dimse.AcceptAnyCaller || (Peer(association.CallingAe) is { } p && Grants(p.Store, p.Query, p.Retrieve, what)))
        && (UserOf(association) is not { } u || Grants(u.Store, u.Query, u.Retrieve, what));

    /// <summary>Who asks, for refusals: the calling AE, and the user when one identified themselves.</summary>
    private string Who(DicomAssociation association) => UserOf(association) is { } u ? $"user {u.Username} ({association.CallingAe})" : association.CallingAe;

    /// <summary>Why a user identity (or its absence) is refused when Dimse.Users is configured, or null (PS3.7 D.3.3.7).</summary>
    private string? IdentityProblem(AssociateRequest request)
    {
        if (request.UserInformation.UserIdentity is not { } id)
            return _dimse.RequireUserIdentity ? "no user identity, and this server requires one (Dimse.RequireUserIdentity)" : null;
        if (id.Type is not (UserIdentity.Username or UserIdentity.UsernameAndPasscode))
            return $"user identity of type {id.Type} (Kerberos, SAML or JWT) is not supported: send a username and passcode";
        var name = System.Text.Encoding.UTF8.GetString(id.PrimaryField);
        if (_dimse.Users.FirstOrDefault(u => u.Username == name) is not { } user) return $"unknown user '{name}'";
        if (user.Password == null) return null;
        if (id.Type != UserIdentity.UsernameAndPasscode) return $"user '{name}' sent no passcode, and needs one";
        return PasswordHash.Verify(id.SecondaryField, user.Password) ? null : $"wrong passcode for user '{name}'";
    }

    /// <summary>
    /// A hasher for the C-STORE data sets of <paramref name="association"/>, computed as they arrive so that the store
    /// names a file kept as sent without reading it again; none when the called AE's collection de-identifies, since
    /// every data set is then rewritten and hashed as written.
    /// </summary>
    public System.IO.Hashing.NonCryptographicHashAlgorithm? NewDataSetHash(DicomAssociation association) =>
        KeepsSpool(association) ? DataSetHashing.Create() : null;

    /// <summary>
    /// Whether the C-STORE spools of <paramref name="association"/> become the stored files (moved, not rewritten): so
    /// when its called AE's collection stores as sent. Such spools are hashed and written back to disk as they arrive.
    /// </summary>
    public bool KeepsSpool(DicomAssociation association) =>
        CollectionOf(association.CalledAe) is { } collection && !options.Deidentification.For(collection).Deidentifies;

    /// <summary>PS3.8 9.3.4: called AE not recognized (reason 7), calling AE not recognized (reason 3).</summary>
    public AssociateReject? Screen(AssociateRequest request)
    {
        if (CollectionOf(request.CalledAe) == null)
            return new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceUser, AssociateReject.CalledAeNotRecognized);
        if (!_dimse.AcceptAnyCaller && Peer(request.CallingAe) == null)
            return new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceUser, AssociateReject.CallingAeNotRecognized);
        if (_dimse.Users.Count > 0 && IdentityProblem(request) is { } problem)
        {
            // PS3.7 D.3.3.7.3: a failed identity is rejected; PS3.8 has no reason for it but "no reason given".
            Log.LogWarning("{Calling}->{Called}: association rejected: {Problem}", request.CallingAe, request.CalledAe, problem);
            return new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceUser, AssociateReject.NoReasonGiven);
        }
        return null;
    }

    private ServerOptions.DimsePeer? Peer(string ae) => _dimse.Peers.FirstOrDefault(p => p.AeTitle == ae);

    private StorageCommitment? _commitment;

    /// <summary>How long after the N-ACTION-RSP a requester that keeps its association open counts as waiting for the report on it.</summary>
    private static readonly TimeSpan SameAssociationGrace = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Storage Commitment Push Model (PS3.4 J.3.2): the N-ACTION-RQ is checked and answered here; the instances are
    /// looked up and the N-EVENT-REPORT sent in the background: on the requesting association when the requester keeps
    /// it open, else to the calling AE, a known peer, on a new association.
    /// </summary>
    protected override async Task OnNActionRequestAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        var command = request.Command;
        (ushort Status, string Comment)? refusal =
            command.RequestedSopClassUid != SopClasses.StorageCommitmentPushModel ? (DimseStatus.NoSuchSopClass, $"N-ACTION on {command.RequestedSopClassUid} is not provided")
            : command.RequestedSopInstanceUid != SopClasses.StorageCommitmentPushModelInstance ? (DimseStatus.NoSuchSopInstance, $"the Storage Commitment instance is {SopClasses.StorageCommitmentPushModelInstance}")
            : command.ActionTypeId != 1 ? (DimseStatus.NoSuchActionType, $"action type {command.ActionTypeId} (1 requests storage commitment)")
            : !Allowed(association, Permission.Store) ? ((ushort)0x0124, $"{Who(association)} may not store, so may not ask for commitment")
            : Peer(association.CallingAe) == null ? (DimseStatus.ProcessingFailure, $"{association.CallingAe} is not a known peer: the report needs its host and port (serve --peer {association.CallingAe}@HOST:PORT)")
            : null;
        DicomDataset? data = null;
        if (refusal == null)
        {
            try { data = request.ReadDataSet(); }
            catch (DicomParseException ex) { refusal = (DimseStatus.ProcessingFailure, $"the request's data set cannot be parsed: {ex.Reason}"); }
        }
        var parsed = data == null ? null : StorageCommitment.Parse(data);
        if (refusal == null && parsed == null) refusal = (DimseStatus.MissingAttribute, "Transaction UID (0008,1195) or Referenced SOP Sequence (0008,1199) is missing or incomplete");
        if (refusal is { } r)
        {
            Log.LogWarning("{Association}: storage commitment refused ({Status:X4}): {Reason}", association, r.Status, r.Comment);
            await RespondAsync(association, request, r.Status, r.Comment, null, cancellationToken).ConfigureAwait(false);
            return;
        }
        var (transactionUid, references) = parsed!.Value;
        await RespondAsync(association, request, DimseStatus.Success, null, null, cancellationToken).ConfigureAwait(false);
        Log.LogInformation("{Association}: storage commitment {TransactionUid} requested for {Count} instances", association, transactionUid, references.Count);
        var peer = Peer(association.CallingAe)!;
        var collection = CollectionOf(association.CalledAe) ?? options.Storage.DefaultCollection;
        var ourAe = association.CalledAe;
        var commitment = _commitment ??= new StorageCommitment(archive, options, Log);
        var context = request.Context;
        _ = Task.Run(async () =>
        {
            try
            {
                var (committed, failed) = commitment.Check(collection, references);
                // A requester that releases at once (Orthanc, and most) is called back. One that keeps the association
                // open to wait gets the report there: give a releasing requester time to be seen releasing first, so
                // that the report does not cross its A-RELEASE-RQ.
                await Task.WhenAny(Task.Delay(SameAssociationGrace), Task.Delay(Timeout.Infinite, association.Closed)).ConfigureAwait(false);
                if (await commitment.TryReportOnAsync(association, context, transactionUid, committed, failed, TimeSpan.FromSeconds(10)).ConfigureAwait(false)) return;
                await commitment.ReportAsync(ourAe, peer, transactionUid, committed, failed, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.LogError(ex, "Storage commitment {TransactionUid}: {Message}", transactionUid, ex.Message);
            }
        });
    }

    protected override async Task<StoreOutcome> StoreAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        StageTrace.Mark(StageTrace.HandlerStarted, request.Command.AffectedSopInstanceUid);
        var collection = CollectionOf(association.CalledAe) ?? options.Storage.DefaultCollection;
        var refusal = !Allowed(association, Permission.Store) ? $"{Who(association)} may not store"
            : UserOf(association) is { Collections.Count: > 0 } user && !user.Collections.Contains(collection, StringComparer.Ordinal)
                ? $"{Who(association)} may not store into collection {collection}"
                : null;
        if (refusal != null)
        {
            Log.LogWarning("{Association}: C-STORE {Sop} refused (0124): {Reason}", association, request.Command.AffectedSopInstanceUid, refusal);
            return new StoreOutcome(0x0124, refusal);
        }
        // The data set arrived whole: store it even if the association ends meanwhile (the pipeline is atomic either way).
        var result = await archive.StoreAsync(new StoreRequest
        {
            // The spool under DATA/tmp is ours to give up: the pipeline moves it into the file store when it keeps it as is.
            FilePath = request.DataSetFile, MayMoveFile = true, Collection = collection, Door = StoreDoor.Dimse, CallingAe = association.CallingAe,
            DataSetHash = request.DataSetHash is { } hash ? DataSetHashing.ToHex(hash) : null,
            // What follows is the C-STORE-RSP, then the association's request loop, which moves to the pool by itself.
            ResumeOnCatalogWriter = true,
        }, CancellationToken.None).ConfigureAwait(false);
        StageTrace.Mark(StageTrace.PipelineReturned, request.Command.AffectedSopInstanceUid);
        if (result.IsFailure || result.Status == StoreStatus.Refused)
            Log.LogWarning("{Association}: C-STORE {Sop}: {Result}", association, request.Command.AffectedSopInstanceUid, result.ToString());
        else if (Log.IsEnabled(LogLevel.Debug)) // the result's text is built only when it is logged: once per instance
            Log.LogDebug("{Association}: C-STORE {Sop} into {Collection}: {Result}", association, request.Command.AffectedSopInstanceUid, collection, result.ToString());
        return new StoreOutcome(result.DimseStatus, result.IsFailure || result.Status == StoreStatus.Refused ? result.Reason : null);
    }

    protected override async IAsyncEnumerable<DicomDataset> FindAsync(DicomAssociation association, string sopClassUid, DicomDataset identifier, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Allowed(association, Permission.Query)) throw new DimseException($"{Who(association)} may not query", 0x0124);
        var query = Parse(association, sopClassUid, identifier, retrieve: false);
        var levelName = identifier.GetString(DicomTags.QueryRetrieveLevel)?.Trim() ?? "";
        // Answers are in UTF-8 when their text is not ASCII; in the character set the SCU asked in, when it holds them.
        var asked = identifier.GetStrings(DicomTags.SpecificCharacterSet).Select(t => t.Trim()).ToArray();
        var answerInAsked = asked.Length > 0 && !(asked.Length == 1 && asked[0] == "ISO_IR 192");
        foreach (var match in archive.Query.Find(query, cancellationToken))
        {
            var response = match.Response;
            if (answerInAsked && response.Contains(DicomTags.SpecificCharacterSet)) CharacterSetConversion.TryConvert(response, asked);
            // PS3.4 C.4.1.1.3.2: the response identifier carries the Query/Retrieve Level and where to retrieve from.
            response.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, levelName);
            response.AddOrUpdate(DicomTags.RetrieveAETitle, VR.AE, association.CalledAe);
            WithTimezone(response, match.Attributes);
            yield return response;
        }
    }

    /// <summary>
    /// PS3.4 C.4.1.1.3.2: Timezone Offset From UTC is in a response whose dates or times are in a designated timezone
    /// (the entity's, or the query's under timezone query adjustment), asked for or not, and never with a zero-length value.
    /// </summary>
    private static void WithTimezone(DicomDataset response, DicomDataset entity)
    {
        var zone = entity.GetString(DicomTags.TimezoneOffsetFromUTC)?.Trim();
        if (string.IsNullOrEmpty(zone))
        {
            response.Remove(DicomTags.TimezoneOffsetFromUTC);
            return;
        }
        if (response.Contains(DicomTags.TimezoneOffsetFromUTC)) return;
        foreach (var e in response)
            if (e is not DicomSequence && response.ValueVR(e) is var vr && (vr == VR.DA || vr == VR.TM || vr == VR.DT) && e.Buffer.Length > 0)
            {
                response.AddOrUpdate(DicomTags.TimezoneOffsetFromUTC, VR.SH, zone);
                return;
            }
    }

    protected override Task<IReadOnlyList<RetrieveItem>> RetrieveAsync(DicomAssociation association, string sopClassUid, DicomDataset identifier, CancellationToken cancellationToken)
    {
        if (!Allowed(association, Permission.Retrieve)) throw new DimseException($"{Who(association)} may not retrieve", 0x0124);
        var audit = new RetrievalAudit();
        var resolved = Resolve(association, sopClassUid, identifier, audit, cancellationToken);
        // One event per study (and series, when one) that leaves the archive: MOVE classes end in .2, GET classes in .3.
        foreach (var ((collection, study, series), count) in audit.Studies)
            archive.Audit.Record(Who(association), "dimse", sopClassUid.EndsWith(".2", StringComparison.Ordinal) ? "move" : "get", collection, study, series, count,
                association.Remote);
        return Task.FromResult(resolved);
    }

    /// <summary>What a retrieval found, by collection, study and series (null when several).</summary>
    internal sealed class RetrievalAudit
    {
        private readonly Dictionary<(string Collection, string Study), (string? Series, int Count)> _found = [];

        public void Add(string collection, string study, string? series)
        {
            var key = (collection, study);
            _found[key] = _found.TryGetValue(key, out var seen) ? (seen.Series == series ? series : null, seen.Count + 1) : (series, 1);
        }

        public IEnumerable<((string Collection, string Study, string? Series) Study, int Count)> Studies =>
            _found.Select(f => ((f.Key.Collection, f.Key.Study, f.Value.Series), f.Value.Count));
    }

    private IReadOnlyList<RetrieveItem> Resolve(DicomAssociation association, string sopClassUid, DicomDataset identifier, RetrievalAudit audit, CancellationToken cancellationToken)
    {
        if (IsCompositeInstanceRetrieve(sopClassUid))
            return ResolveCompositeInstances(association, sopClassUid, identifier, audit, cancellationToken);
        var query = Parse(association, sopClassUid, identifier, retrieve: true);
        var items = new List<RetrieveItem>();
        if (ByUids(query) is { } uids && PatientMatches(uids) is { } patientMatches)
        {
            // The usual retrieve (one study, series or instance by its UIDs, with or without its patient's ID, as Patient
            // Root sends it): the catalog's columns answer it without decoding an attribute document per instance, which
            // took 6 ms before the first sub-operation of a 500-instance study.
            if (!patientMatches) return items;
            foreach (var f in archive.Catalog.InstanceFiles(uids.Study, uids.Series, uids.Sop))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (query.Collections != null && !query.Collections.Contains(f.Collection)) continue;
                items.Add(new RetrieveItem(archive.Files.FullPath(f.RelativePath), f.SopClassUid, f.SopInstanceUid, f.TransferSyntaxUid));
                audit.Add(f.Collection, f.StudyInstanceUid, f.SeriesInstanceUid);
            }
            return items;
        }
        foreach (var match in archive.Query.Find(query, cancellationToken))
        {
            var entity = match.Entity;
            if (entity.RelativePath == null) continue;
            var sopClass = match.Attributes.GetString(DicomTags.SOPClassUID)?.Trim('\0', ' ') ?? "";
            items.Add(new RetrieveItem(archive.Files.FullPath(entity.RelativePath), sopClass, entity.Key, entity.TransferSyntaxUid ?? TransferSyntax.ExplicitVRLittleEndian.Uid));
            audit.Add(entity.Collection, entity.Study?.GetString(DicomTags.StudyInstanceUID) ?? "", entity.Series?.GetString(DicomTags.SeriesInstanceUID));
        }
        return items;
    }

    /// <summary>
    /// The study, series and instance UIDs (and Patient ID, if given) of a retrieve that names each by a single value,
    /// down from the study, and nothing else; null for any other (a patient alone, UID lists, wildcards), which the query
    /// engine resolves.
    /// </summary>
    private static (string Study, string? Series, string? Sop, string? PatientId)? ByUids(DicomQuery query)
    {
        string? study = null, series = null, sop = null, patient = null;
        foreach (var k in query.Keys)
        {
            if (k.Kind != MatchKind.SingleValue) return null;
            if (k.Tag == DicomTags.StudyInstanceUID) study = k.Value;
            else if (k.Tag == DicomTags.SeriesInstanceUID) series = k.Value;
            else if (k.Tag == DicomTags.SOPInstanceUID) sop = k.Value;
            else if (k.Tag == DicomTags.PatientID) patient = k.Value.Trim();
            else return null;
        }
        return study == null ? null : (study, series, sop, patient);
    }

    /// <summary>
    /// Whether the named study is the named patient's (true without a Patient ID, and for a study not stored: it then
    /// has no instances either); null when only the query engine can say, the stored Patient ID having several values.
    /// </summary>
    private bool? PatientMatches((string Study, string? Series, string? Sop, string? PatientId) uids)
    {
        if (uids.PatientId == null || archive.Catalog.PatientIdOfStudy(uids.Study) is not { } stored) return true;
        if (stored.Contains('\\', StringComparison.Ordinal)) return null;
        return stored == uids.PatientId;
    }

    protected override MoveDestination? FindMoveDestination(DicomAssociation association, string aeTitle) =>
        Peer(aeTitle) is { } p ? new MoveDestination(p.AeTitle, p.Host, p.Port) { Compression = CompressionOf(p) } : null;

    /// <summary>A C-GET requestor that is a known peer gets its native images in its configured compression.</summary>
    protected override IReadOnlyList<string> GetCompression(DicomAssociation association) => Peer(association.CallingAe) is { } p ? CompressionOf(p) : [];

    /// <summary>A peer's configured compression (<c>Dimse.Peers[].Compression</c>) as transfer syntax UIDs, preferred first.</summary>
    internal static IReadOnlyList<string> CompressionOf(ServerOptions.DimsePeer peer) =>
        StoreCompression.ResolveList(peer.Compression, $"Dimse.Peers.{peer.AeTitle}.Compression").Select(t => t.Uid).ToList();

    /// <summary>
    /// The identifier as a query. A retrieve (PS3.4 C.4.2.2.1) selects by the unique keys of its level and those above
    /// only, always down to the instances. Study Root has no PATIENT level (PS3.4 C.6.2).
    /// </summary>
    private DicomQuery Parse(DicomAssociation association, string sopClassUid, DicomDataset identifier, bool retrieve)
    {
        try
        {
            // A Timezone Offset From UTC that is not one is the identifier's fault (A900), found before any response.
            var query = TimezoneAdjustment.Prepare(DicomQuery.FromIdentifier(identifier));
            // A retrieve at PATIENT level on Study Root (Orthanc 1.10 retrieves a patient so) names its instances as
            // plainly as on Patient Root, and Orthanc's own SCP takes it: it is served. A query is not: Study Root has no
            // patient-level answers to give.
            if (query.Level == QueryLevel.Patient && !retrieve && sopClassUid == SopClasses.StudyRootFind)
                throw new DimseException("Study Root has no PATIENT level (PS3.4 C.6.2)", DimseStatus.IdentifierDoesNotMatchSopClass);
            // What was accepted in extended negotiation (PS3.4 C.3.4): byte 1 combined date-time matching, 2 fuzzy
            // matching, 3 timezone query adjustment.
            bool Accepted(int flag) => association.Accepted.UserInformation.ExtendedNegotiations.Any(e => e.SopClassUid == sopClassUid
                && e.ServiceClassApplicationInformation.Length > flag && e.ServiceClassApplicationInformation[flag] == 1);
            var fuzzy = Accepted(2);
            var combined = Accepted(1);
            var timezone = Accepted(3);
            if (retrieve)
            {
                var unique = new HashSet<DicomTag> { DicomTags.PatientID, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.SOPInstanceUID };
                query = new DicomQuery(QueryLevel.Image, query.Keys.Where(k => unique.Contains(k.Tag) && k.IsMatching).ToList());
                if (!query.Keys.Any()) throw new DimseException("a retrieve identifier needs a unique key", DimseStatus.IdentifierDoesNotMatchSopClass);
            }
            return query with
            {
                FuzzyMatching = fuzzy, CombinedDateTime = combined && !retrieve, TimezoneQueryAdjustment = timezone && !retrieve, Collections = ScopeOf(association),
            };
        }
        catch (QueryException ex)
        {
            throw new DimseException(ex.Message, DimseStatus.IdentifierDoesNotMatchSopClass);
        }
    }
}
