using Microsoft.Extensions.Logging;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.Codecs.FrameExtraction;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Server.Dimse;

/// <summary>
/// Composite Instance Root Retrieve (PS3.4 Annex Y: C-MOVE and C-GET of instances by SOP Instance UID alone, or of
/// some frames of one as a new instance) and Composite Instance Retrieve Without Bulk Data (Annex Z: C-GET of
/// instances without their pixel data and other bulk data).
/// </summary>
internal sealed partial class ArchiveDimseService
{
    /// <summary>The failure statuses of a frame-level retrieve (PS3.4 Tables Y.4-1 and Y.4-2).</summary>
    private static ushort StatusOf(FrameExtractionFailure failure) => failure switch
    {
        FrameExtractionFailure.NoFramesFound => 0xAA00,
        FrameExtractionFailure.NotMultiFrame => 0xAA01,
        FrameExtractionFailure.CannotExtract => 0xAA02,
        FrameExtractionFailure.NotTimeBased => 0xAA03,
        _ => 0xAA04,
    };

    private static bool IsCompositeInstanceRetrieve(string sopClassUid) =>
        sopClassUid is SopClasses.CompositeInstanceRootMove or SopClasses.CompositeInstanceRootGet or SopClasses.WithoutBulkDataGet;

    /// <summary>
    /// The instances an Annex Y or Z identifier selects: at IMAGE level each listed SOP Instance UID that is stored
    /// (within the caller's collections), as stored or without bulk data; at FRAME level (Annex Y only) one new
    /// instance holding the requested frames of the one listed, made when it is sent. Refusals are thrown as
    /// <see cref="DimseException"/>: A900 for an identifier of the wrong form, AA00–AA04 for frames that cannot be given.
    /// </summary>
    private IReadOnlyList<RetrieveItem> ResolveCompositeInstances(DicomAssociation association, string sopClassUid, DicomDataset identifier, RetrievalAudit audit,
        CancellationToken cancellationToken)
    {
        var withoutBulkData = sopClassUid == SopClasses.WithoutBulkDataGet;
        var level = identifier.GetString(DicomTags.QueryRetrieveLevel)?.Trim() ?? "";
        if (level is not ("IMAGE" or "FRAME") || (withoutBulkData && level != "IMAGE"))
            throw new DimseException($"Query/Retrieve Level (0008,0052) must be IMAGE{(withoutBulkData ? "" : " or FRAME")} for {DicomUids.Lookup(sopClassUid).Name}, not '{level}'",
                DimseStatus.IdentifierDoesNotMatchSopClass);
        // Query/Retrieve View needs Enhanced Multi-Frame Image Conversion, which is not accepted (PS3.4 Y.4.1.1.3.1).
        if (identifier.GetString(DicomTags.QueryRetrieveView)?.Trim() is { Length: > 0 } view)
            throw new DimseException($"Query/Retrieve View '{view}' is not supported (Enhanced Multi-Frame Image Conversion was not negotiated)", DimseStatus.IdentifierDoesNotMatchSopClass);
        var uids = identifier.GetStrings(DicomTags.SOPInstanceUID).Select(u => u.Trim('\0', ' ')).Where(u => u.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (uids.Count == 0) throw new DimseException("SOP Instance UID (0008,0018) is required: it names the instances to retrieve", DimseStatus.IdentifierDoesNotMatchSopClass);
        var frameKeys = new[] { DicomTags.SimpleFrameList, DicomTags.CalculatedFrameList, DicomTags.TimeRange }.Where(identifier.Contains).ToList();
        if (level == "IMAGE" && frameKeys.Count > 0)
            throw new DimseException($"{frameKeys[0]} is a FRAME level key, and the Query/Retrieve Level is IMAGE", DimseStatus.IdentifierDoesNotMatchSopClass);
        if (level == "FRAME" && uids.Count != 1)
            throw new DimseException($"a FRAME level retrieve names one SOP Instance UID, not {uids.Count}", DimseStatus.IdentifierDoesNotMatchSopClass);

        var scope = ScopeOf(association);
        var items = new List<RetrieveItem>(uids.Count);
        foreach (var uid in uids)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (archive.Catalog.FindInstance(uid) is not { } found) continue;
            var file = archive.Catalog.InstanceFiles(found.StudyInstanceUid, found.SeriesInstanceUid, uid).FirstOrDefault();
            if (file == null || (scope != null && !scope.Contains(file.Collection))) continue;
            var item = new RetrieveItem(archive.Files.FullPath(file.RelativePath), file.SopClassUid, uid, file.TransferSyntaxUid);
            audit.Add(file.Collection, file.StudyInstanceUid, file.SeriesInstanceUid);
            items.Add(level == "FRAME" ? FrameLevel(association, identifier, item)
                : withoutBulkData ? item with { Derivation = WithoutBulkData.Instance }
                : item);
        }
        return items;
    }

    /// <summary>
    /// The new instance of a FRAME level retrieve (PS3.4 Y.3.3): the frames are checked against the stored instance
    /// now, so that what cannot be given is refused with its status before any sub-operation; the instance is made
    /// from the file when it is sent, with a new SOP Instance UID, and never stored.
    /// </summary>
    private RetrieveItem FrameLevel(DicomAssociation association, DicomDataset identifier, RetrieveItem stored)
    {
        try
        {
            var range = FrameRange.FromIdentifier(identifier);
            var source = DicomFile.Open(stored.FilePath);
            var frames = range.Select(source.Dataset, FrameExtractor.CountFrames(source.Dataset, source.TransferSyntax));
            var uid = DicomUids.Generate();
            Log.LogInformation("{Association}: {Range} of {Sop} ({Count} frames) go as new instance {NewSop}", association, range, stored.SopInstanceUid, frames.Count, uid);
            return stored with
            {
                SopInstanceUid = uid,
                Derivation = new FrameDerivation(source, range, frames, uid, new ExtractingEquipment("TciaPacs", DicomUids.ImplementationVersionName, association.CalledAe)),
            };
        }
        catch (FrameExtractionException ex)
        {
            throw new DimseException(ex.Message, StatusOf(ex.Failure));
        }
        catch (Exception ex) when (ex is DicomParseException or IOException or UnauthorizedAccessException or DicomCodecException)
        {
            throw new DimseException($"the stored instance {stored.SopInstanceUid} cannot be read: {ex.Message}", 0xAA02);
        }
    }

    /// <summary>
    /// Makes a frame-level retrieve's instance, under the SOP Instance UID its C-STORE names, when it is sent: from the
    /// stored file as parsed when the frames were checked (its large values are still in the file; extraction copies
    /// the data set, so the parse is not changed).
    /// </summary>
    private sealed class FrameDerivation(DicomFile source, FrameRange range, IReadOnlyList<int> frames, string sopInstanceUid, ExtractingEquipment equipment)
        : InstanceDerivation
    {
        public override bool KeepsPixelData => true;

        public override DicomFile Make(string sourcePath) =>
            FrameExtractor.Extract(source.Path == Path.GetFullPath(sourcePath) ? source : DicomFile.Open(sourcePath), range, frames, sopInstanceUid, equipment, DateTimeOffset.Now);
    }
}
