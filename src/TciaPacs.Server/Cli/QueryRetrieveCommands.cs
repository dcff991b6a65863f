using System.CommandLine;
using System.Globalization;
using TciaPacs.Dicom.Codecs.FrameExtraction;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs find|move|get HOST PORT --level L [--root study|patient] KEY=VALUE...</c>: C-FIND (prints each match),
/// C-MOVE to <c>--dest AE</c> (prints the sub-operation counts), C-GET into <c>--out DIR</c> (PS3.4 C.4).
/// </summary>
internal static class QueryRetrieveCommands
{
    public static Command Find()
    {
        var (host, port, aet, aec, timeout, level, root, keys) = Common();
        var identity = ScuOptions.Identity();
        var json = new Option<bool>("--json") { Description = "Print a DICOM JSON array (PS3.18 F)" };
        var relational = Relational();
        var fuzzy = new Option<bool>("--fuzzy") { Description = "Ask for fuzzy semantic matching of person names (extended negotiation, PS3.4 C.3.4); ours: case-insensitive, each word a prefix" };
        var combined = new Option<bool>("--combined-datetime") { Description = "Ask for combined date and time range matching (PS3.4 C.2.2.2.5): StudyDate=A-B with StudyTime=X-Y runs from A at X to B at Y" };
        var timezone = new Option<bool>("--timezone-adjustment")
        {
            Description = "Ask for timezone query adjustment (PS3.4 C.2.2.2): with TimezoneOffsetFromUTC=+HHMM among the keys, dates and times are matched and answered in that timezone",
        };
        var command = new Command("find", "Query a peer (C-FIND)") { host, port, aet, aec, timeout, level, root, keys, json, relational, fuzzy, combined, timezone, identity.User, identity.Password };
        command.SetAction(parse => ScuOptions.Run(async ct =>
        {
            var sop = Sop(parse.GetValue(root)!, "find");
            var identifier = ScuOptions.Identifier(parse.GetValue(level)!, parse.GetValue(keys) ?? []);
            var results = new List<DicomDataset>();
            var flags = Flags(sop, (0, parse.GetValue(relational), "relational queries"), (1, parse.GetValue(combined), "combined date-time matching"),
                (2, parse.GetValue(fuzzy), "fuzzy matching of person names"), (3, parse.GetValue(timezone), "timezone query adjustment"));
            var status = await WithAssociation(parse, host, port, aet, aec, timeout, identity, [(sop, SopClasses.Native)], [], null, async (association, ct2) =>
            {
                WarnIfDeclined(association, flags);
                var (status, matches) = await FindAsync(association, sop, identifier, ct2);
                results.AddRange(matches);
                return status;
            }, ct, extended: flags.Negotiation);
            if (parse.GetValue(json)) Console.WriteLine(DicomJson.SerializeArray(results, new DicomJsonOptions { Indented = true }));
            else
            {
                foreach (var r in results)
                {
                    DatasetDumper.DumpDataset(r, Console.Out, 0);
                    Console.WriteLine();
                }
                Console.WriteLine($"{results.Count} match(es), status {ScuOptions.Status(status)}");
            }
            return status == DimseStatus.Success ? 0 : 1;
        }));
        return command;
    }

    public static Command Move()
    {
        var (host, port, aet, aec, timeout, level, root, keys) = Common();
        var identity = ScuOptions.Identity();
        var dest = new Option<string>("--dest") { Description = "The Move Destination AE title (known to the peer)", Required = true };
        var relational = Relational();
        var frames = FrameSelection.Options();
        var command = new Command("move", "Have a peer send instances to an AE (C-MOVE)")
            { host, port, aet, aec, timeout, level, root, keys, dest, relational, identity.User, identity.Password, frames.Simple, frames.Calculated, frames.Time };
        command.SetAction(parse => ScuOptions.Run(async ct =>
        {
            var (sop, identifier) = Retrieval(parse, "move", root, level, keys, frames, withoutBulkData: false);
            var flags = Flags(sop, (0, parse.GetValue(relational), "relational retrieval"));
            return await WithAssociation(parse, host, port, aet, aec, timeout, identity, [(sop, SopClasses.Native)], [], null, (association, ct2) =>
            {
                WarnIfDeclined(association, flags);
                return RetrieveAsync(association, sop, identifier, CommandField.CMoveRequest, parse.GetValue(dest), ct2);
            }, ct, extended: flags.Negotiation) is var status && DimseStatus.IsFailure(status) ? 1 : 0;
        }));
        return command;
    }

    public static Command Get()
    {
        var (host, port, aet, aec, timeout, level, root, keys) = Common();
        var identity = ScuOptions.Identity();
        var output = new Option<string>("--out", "-o") { Description = "Folder for the received files (SOPInstanceUID.dcm)", DefaultValueFactory = _ => "." };
        var relational = Relational();
        var frames = FrameSelection.Options();
        var withoutBulkData = new Option<bool>("--without-bulk-data")
        {
            Description = "Retrieve the instances named by SOPInstanceUID=... without their pixel data and other bulk data (Composite Instance Retrieve Without Bulk Data, PS3.4 Annex Z)",
        };
        var prefer = new Option<string?>("--prefer")
        {
            Description = "Propose this transfer syntax (UID or keyword) first for each storage class, before the native ones, as getscu's +xs, +xy... do: "
                + "e.g. JPEGLSLossless over a slow link; a lossy one (JPEGBaseline8Bit) brings images the peer encodes as new, derived instances",
        };
        var command = new Command("get", "Retrieve instances from a peer on the same association (C-GET)")
            { host, port, aet, aec, timeout, level, root, keys, output, relational, identity.User, identity.Password, frames.Simple, frames.Calculated, frames.Time, withoutBulkData, prefer };
        command.SetAction(parse => ScuOptions.Run(async ct =>
        {
            var (sop, identifier) = Retrieval(parse, "get", root, level, keys, frames, parse.GetValue(withoutBulkData));
            var byInstance = sop is SopClasses.CompositeInstanceRootGet or SopClasses.WithoutBulkDataGet;
            var find = byInstance ? SopClasses.StudyRootFind : Sop(parse.GetValue(root)!, "find");
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(folder);
            // PS3.4 C.4.3: the storage contexts (with the SCP role for us) are negotiated up front; a C-FIND at IMAGE
            // level first tells which SOP classes are coming. Instances named by their UID alone cannot be found so
            // without relational queries: the common storage classes are proposed for them.
            var findFlags = Flags(find, (0, parse.GetValue(relational), "relational queries"));
            var flags = Flags(sop, (0, parse.GetValue(relational), "relational retrieval"));
            var classes = byInstance ? [] : await WithAssociation(parse, host, port, aet, aec, timeout, identity, [(find, SopClasses.Native)], [], null, async (association, ct2) =>
            {
                var image = identifier.Clone();
                image.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, "IMAGE");
                if (!image.Contains(DicomTags.SOPClassUID)) image.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, Array.Empty<byte>());
                var (_, matches) = await FindAsync(association, find, image, ct2);
                return matches.Select(m => m.GetString(DicomTags.SOPClassUID)?.Trim('\0', ' ')).OfType<string>().Where(s => s.Length > 0).Distinct().ToList();
            }, ct, extended: findFlags.Negotiation);
            if (classes.Count == 0) classes = [.. CommonStorageClasses];
            string[] compressed = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.1.99"];
            var proposals = new List<(string, IReadOnlyList<string>)> { (sop, SopClasses.Native) };
            // Per class: the native syntaxes (after the preferred one, in the same context), then one context per
            // compressed syntax while there is room (128 contexts at most).
            var preferred = parse.GetValue(prefer) is { Length: > 0 } text
                ? DicomUids.All.FirstOrDefault(u => u.Type == DicomUidType.TransferSyntax && (u.Keyword == text || u.Value == text))?.Value
                    ?? throw new FormatException($"--prefer {text}: not a transfer syntax UID or keyword (e.g. JPEGLSLossless or 1.2.840.10008.1.2.4.80)")
                : null;
            IReadOnlyList<string> natives = [TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid, TransferSyntax.ExplicitVRBigEndian.Uid];
            foreach (var c in classes) proposals.Add((c, preferred is null ? natives : [preferred, .. natives.Where(n => n != preferred)]));
            // With a preference, Deflated Explicit VR Little Endian is left out: a native syntax, the peer would send in
            // it rather than encode for the preference.
            foreach (var ts in compressed.Where(ts => ts != preferred && (preferred is null || ts != TransferSyntax.DeflatedExplicitVRLittleEndian.Uid)))
                foreach (var c in classes)
                    if (proposals.Count < 127) proposals.Add((c, [ts]));
            var receiver = new Receiver(folder);
            var status = await WithAssociation(parse, host, port, aet, aec, timeout, identity, proposals.Take(127), classes.Select(c => new RoleSelection(c, false, true)), receiver, (association, ct2) =>
            {
                WarnIfDeclined(association, flags);
                return RetrieveAsync(association, sop, identifier, CommandField.CGetRequest, null, ct2);
            }, ct, tempDirectory: folder, extended: flags.Negotiation);
            Console.WriteLine($"{receiver.Received} file(s) written to {folder}");
            return DimseStatus.IsFailure(status) ? 1 : 0;
        }));
        return command;
    }

    /// <summary>Proposed when the peer's C-FIND does not return SOP Class UID (PS3.4 C.6.1.1.5 makes it optional).</summary>
    private static readonly string[] CommonStorageClasses =
    [
        "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.4.1", "1.2.840.10008.5.1.4.1.1.1",
        "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.1.2", "1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.3.1", "1.2.840.10008.5.1.4.1.1.7",
        "1.2.840.10008.5.1.4.1.1.7.4", "1.2.840.10008.5.1.4.1.1.20", "1.2.840.10008.5.1.4.1.1.128", "1.2.840.10008.5.1.4.1.1.481.1", "1.2.840.10008.5.1.4.1.1.481.2",
        "1.2.840.10008.5.1.4.1.1.481.3", "1.2.840.10008.5.1.4.1.1.481.5", "1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.66.4",
        "1.2.840.10008.5.1.4.1.1.12.1", "1.2.840.10008.5.1.4.1.1.77.1.6", "1.2.840.10008.5.1.4.1.1.104.1",
    ];

    /// <summary>The frame options of move and get: the Frame Range Keys of a FRAME level Composite Instance Root Retrieve (PS3.4 Y.3.2).</summary>
    private sealed record FrameSelection(Option<string?> Simple, Option<string?> Calculated, Option<string?> Time)
    {
        public static FrameSelection Options() => new(
            new Option<string?>("--frames") { Description = "Retrieve these frames (1-based, increasing: 2,5,9) of the instance named by SOPInstanceUID=... as a new instance (Composite Instance Root Retrieve, PS3.4 Annex Y)" },
            new Option<string?>("--calculated-frames") { Description = "As --frames, by triplets first,last,increment ('end' for the last frame): 1,end,10" },
            new Option<string?>("--time-range") { Description = "As --frames, the frames from START to END seconds after Content Time: 0.5,2" });

        /// <summary>The one Frame Range Key asked for, checked as the peer will check it, or null.</summary>
        public FrameRange? Read(ParseResult parse)
        {
            var given = new[] { (Simple, FrameRangeKind.SimpleFrameList), (Calculated, FrameRangeKind.CalculatedFrameList), (Time, FrameRangeKind.TimeRange) }
                .Select(o => (Text: parse.GetValue(o.Item1), Kind: o.Item2)).Where(o => !string.IsNullOrWhiteSpace(o.Text)).ToList();
            if (given.Count == 0) return null;
            if (given.Count > 1) throw new FormatException("give one of --frames, --calculated-frames and --time-range");
            var (text, kind) = given[0];
            var parts = text!.Split(',', StringSplitOptions.TrimEntries);
            try
            {
                return kind switch
                {
                    FrameRangeKind.TimeRange when parts.Length == 2 => FrameRange.Time(Number(parts[0]), Number(parts[1])),
                    FrameRangeKind.TimeRange => throw new FormatException($"--time-range '{text}': START,END in seconds"),
                    FrameRangeKind.SimpleFrameList => FrameRange.Simple(parts.Select(Frame).ToArray()),
                    _ => FrameRange.Calculated(parts.Select(p => p.Equals("end", StringComparison.OrdinalIgnoreCase) ? FrameRange.ToTheEnd : Frame(p)).ToArray()),
                };
            }
            catch (FrameExtractionException ex)
            {
                throw new FormatException(ex.Message);
            }

            static uint Frame(string p) => uint.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"'{p}' is not a frame number");
            static double Number(string p) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"'{p}' is not a number of seconds");
        }
    }

    /// <summary>
    /// The SOP class and identifier of a move or get: by the information model of --root and --level; or, with --root
    /// composite, a frame option or --without-bulk-data, of the instances KEY SOPInstanceUID names (PS3.4 Annexes Y and Z).
    /// </summary>
    private static (string Sop, DicomDataset Identifier) Retrieval(ParseResult parse, string service, Option<string> root, Option<string> level, Argument<string[]> keys,
        FrameSelection frames, bool withoutBulkData)
    {
        var model = parse.GetValue(root)!.ToLowerInvariant();
        var range = frames.Read(parse);
        if (range == null && !withoutBulkData && model != "composite")
            return (Sop(model, service), ScuOptions.Identifier(parse.GetValue(level)!, parse.GetValue(keys) ?? []));
        if (range != null && withoutBulkData) throw new FormatException("--without-bulk-data retrieves whole instances: it takes no frame option");
        var identifier = ScuOptions.Identifier("IMAGE", parse.GetValue(keys) ?? []);
        if (identifier.GetString(DicomTags.SOPInstanceUID) is not { Length: > 0 })
            throw new FormatException("name the instances by SOPInstanceUID=UID (UID\\UID... for several): --root composite, --frames and --without-bulk-data retrieve by it alone");
        if (range != null)
        {
            identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, "FRAME");
            range.AddTo(identifier);
        }
        return (withoutBulkData ? SopClasses.WithoutBulkDataGet : service == "get" ? SopClasses.CompositeInstanceRootGet : SopClasses.CompositeInstanceRootMove, identifier);
    }

    private static (Argument<string>, Argument<int>, Option<string>, Option<string>, Option<int>, Option<string>, Option<string>, Argument<string[]>) Common() =>
        (ScuOptions.Host(), ScuOptions.Port(), ScuOptions.CallingAe(), ScuOptions.CalledAe(), ScuOptions.Timeout(), ScuOptions.Level(), ScuOptions.Root(), ScuOptions.Keys());

    private static string Sop(string root, string service) => (root.ToLowerInvariant(), service) switch
    {
        ("study", "find") => SopClasses.StudyRootFind,
        ("study", "move") => SopClasses.StudyRootMove,
        ("study", "get") => SopClasses.StudyRootGet,
        ("patient", "find") => SopClasses.PatientRootFind,
        ("patient", "move") => SopClasses.PatientRootMove,
        ("patient", "get") => SopClasses.PatientRootGet,
        _ => throw new FormatException($"--root {root}: study or patient"),
    };

    private static Option<bool> Relational() => new("--relational")
    {
        Description = "Ask for relational queries or retrieval (PS3.4 C.4.1.2.2, C.4.2.2.2): keys of any level at or above --level, without the unique keys of the levels above",
    };

    /// <summary>
    /// The extended negotiation sub-item (PS3.4 C.3.4) proposing the flags asked for (byte index, asked, name), or none
    /// when none is asked for.
    /// </summary>
    private static (ExtendedNegotiation[] Negotiation, (int Index, string Name)[] Asked) Flags(string sop, params (int Index, bool Asked, string Name)[] flags)
    {
        var asked = flags.Where(f => f.Asked).Select(f => (f.Index, f.Name)).ToArray();
        if (asked.Length == 0) return ([], []);
        var info = new byte[flags.Max(f => f.Index) + 1];
        foreach (var (index, _) in asked) info[index] = 1;
        return ([new ExtendedNegotiation(sop, info)], asked);
    }

    /// <summary>A peer may decline an extended negotiation flag (or not answer it); the query then follows its defaults.</summary>
    private static void WarnIfDeclined(DicomAssociation association, (ExtendedNegotiation[] Negotiation, (int Index, string Name)[] Asked) flags)
    {
        foreach (var proposed in flags.Negotiation)
        {
            var answer = association.Accepted.UserInformation.ExtendedNegotiations.FirstOrDefault(e => e.SopClassUid == proposed.SopClassUid)?.ServiceClassApplicationInformation ?? [];
            foreach (var (index, name) in flags.Asked)
                if (index >= answer.Length || answer[index] != 1)
                    Console.Error.WriteLine($"note: {association.CalledAe} declined {name} (PS3.4 C.3.4); it answers by its default rules.");
        }
    }

    private static async Task<T> WithAssociation<T>(ParseResult parse, Argument<string> host, Argument<int> port, Option<string> aet, Option<string> aec, Option<int> timeout,
        (Option<string?> User, Option<string?> Password) identity,
        IEnumerable<(string, IReadOnlyList<string>)> proposals, IEnumerable<RoleSelection> roles, IDimseRequestHandler? handler,
        Func<DicomAssociation, CancellationToken, Task<T>> action, CancellationToken ct, string? tempDirectory = null, IEnumerable<ExtendedNegotiation>? extended = null)
    {
        var options = ScuOptions.Association(parse.GetValue(timeout));
        if (tempDirectory != null) options = options with { TempDirectory = tempDirectory };
        await using var client = await DicomClient.ConnectAsync(parse.GetValue(host)!, parse.GetValue(port),
            ScuOptions.Request(parse.GetValue(aet)!, parse.GetValue(aec)!, DicomClient.Propose(proposals), roles, extended, ScuOptions.IdentityOf(parse, identity)), options, handler,
            cancellationToken: ct);
        var result = await action(client.Association, ct);
        await client.ReleaseAsync(ct);
        return result;
    }

    private static PresentationContext Context(DicomAssociation association, string sop) =>
        association.AcceptedContexts(sop).FirstOrDefault() ?? throw new FormatException($"the peer does not accept {DicomUids.Lookup(sop).Name}");

    private static async Task<(ushort Status, List<DicomDataset> Matches)> FindAsync(DicomAssociation association, string sop, DicomDataset identifier, CancellationToken ct)
    {
        var context = Context(association, sop);
        var matches = new List<DicomDataset>();
        ushort status = 0xFFFF;
        var data = Part10.WriteDataSet(identifier, context.AcceptedTransferSyntax!);
        await foreach (var rsp in association.SendRequestAsync(context.Id, DimseCommand.Request(CommandField.CFindRequest, association.NextMessageId(), sop, true), (s, c) => s.WriteAsync(data, c).AsTask(), ct))
        {
            using (rsp)
            {
                status = rsp.Command.Status;
                if (DimseStatus.IsPending(status) && rsp.ReadDataSet() is { } match) matches.Add(match);
                else if (DimseStatus.IsFailure(status)) Console.Error.WriteLine($"C-FIND failed: status {ScuOptions.Status(status)} {rsp.Command.ErrorComment}");
            }
        }
        return (status, matches);
    }

    private static async Task<ushort> RetrieveAsync(DicomAssociation association, string sop, DicomDataset identifier, CommandField field, string? destination, CancellationToken ct)
    {
        var context = Context(association, sop);
        var request = DimseCommand.Request(field, association.NextMessageId(), sop, true);
        if (destination != null) request.MoveDestination = destination;
        var data = Part10.WriteDataSet(identifier, context.AcceptedTransferSyntax!);
        ushort status = 0xFFFF;
        await foreach (var rsp in association.SendRequestAsync(context.Id, request, (s, c) => s.WriteAsync(data, c).AsTask(), ct))
        {
            using (rsp)
            {
                status = rsp.Command.Status;
                var c = rsp.Command;
                if (!DimseStatus.IsPending(status))
                {
                    Console.WriteLine($"{(field == CommandField.CMoveRequest ? "C-MOVE" : "C-GET")}: status {ScuOptions.Status(status)}: {c.Completed ?? 0} completed, {c.Failed ?? 0} failed, {c.Warning ?? 0} warning");
                    if (rsp.ReadDataSet() is { } failedList && failedList.GetStrings(DicomTags.FailedSOPInstanceUIDList) is { Length: > 0 } failed)
                        foreach (var uid in failed) Console.WriteLine($"  failed: {uid}");
                    if (c.ErrorComment is { Length: > 0 } comment) Console.WriteLine($"  {comment}");
                }
            }
        }
        return status;
    }

    /// <summary>The C-STORE SCP of a C-GET (PS3.4 C.4.3.1.2): keeps each spooled instance as SOPInstanceUID.dcm.</summary>
    private sealed class Receiver(string folder) : IDimseRequestHandler
    {
        public int Received;

        public async Task HandleAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
        {
            var status = DimseStatus.UnrecognizedOperation;
            if (request.Command.Field == CommandField.CStoreRequest && request.DataSetFile is { } spooled)
            {
                var name = string.Concat((request.Command.AffectedSopInstanceUid ?? Guid.NewGuid().ToString()).Select(ch => char.IsAsciiLetterOrDigit(ch) || ch == '.' ? ch : '_'));
                File.Move(spooled, Path.Combine(folder, name + ".dcm"), overwrite: true);
                Interlocked.Increment(ref Received);
                status = DimseStatus.Success;
            }
            await association.SendAsync(request.Context.Id, DimseCommand.ResponseTo(request.Command, status), (byte[]?)null, cancellationToken);
        }
    }
}
