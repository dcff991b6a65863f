using Microsoft.AspNetCore.Http;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.Formats.Xml;

namespace TciaPacs.Web.Stow;

/// <summary>
/// The Store Instances Response Module (PS3.18 10.5.3, Table 10.5.3-1): Referenced SOP Sequence for what was kept,
/// Failed SOP Sequence with a Failure Reason for the rest, Warning Reason where a filter changed or held an instance;
/// 200 when all were stored unchanged, 202 when some failed or carry warnings, 409 when none was stored.
/// </summary>
internal sealed class StowResponse(RequestScope scope)
{
    private readonly List<StoreResult> _results = [];

    public int Count => _results.Count;
    public int StoredCount => _results.Count(r => r.IsStored || r.Status == StoreStatus.Quarantined);
    public int FailedCount => _results.Count - StoredCount;

    public void Add(StoreResult result) => _results.Add(result);

    public bool AllFromBody(string reason) => _results.Count > 0 && _results[^1].Reason == reason;

    /// <summary>A failure that no part carries yet (the body ended or broke between parts).</summary>
    public void AddBodyFailure(string reason)
    {
        if (_results.Count > 0 && _results[^1].Reason == reason) return;
        _results.Add(StoreResult.Failure(StoreResult.StatusCannotUnderstand, reason));
    }

    /// <summary>Warning Reason B000 (Coercion of data elements) and B007 (Data set does not match SOP Class), PS3.18 Table 10.5.3-3.</summary>
    private static ushort? WarningOf(StoreResult r) => r.Status switch
    {
        StoreStatus.Warning => r.ReasonCode ?? StoreResult.StatusCoercion,
        StoreStatus.Quarantined => 0xB007,
        _ => null,
    };

    public int HttpStatus =>
        StoredCount == 0 ? StatusCodes.Status409Conflict
        : FailedCount > 0 || _results.Any(r => WarningOf(r) != null) ? StatusCodes.Status202Accepted
        : StatusCodes.Status200OK;

    public DicomDataset Build()
    {
        var ds = new DicomDataset();
        var studies = _results.Where(r => r.IsStored && r.StudyInstanceUid != null).Select(r => r.StudyInstanceUid!).Distinct().ToList();
        if (studies.Count == 1) ds.AddOrUpdate(DicomTags.RetrieveURL, VR.UR, scope.StudyUrl(studies[0]));
        var failed = new List<DicomDataset>();
        var referenced = new List<DicomDataset>();
        foreach (var r in _results)
        {
            var item = new DicomDataset();
            if (r.SopClassUid != null) item.AddOrUpdate(DicomTags.ReferencedSOPClassUID, VR.UI, r.SopClassUid);
            if (r.SopInstanceUid != null) item.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, VR.UI, r.SopInstanceUid);
            if (r.IsStored || r.Status == StoreStatus.Quarantined)
            {
                if (r.IsStored && r.StudyInstanceUid != null && r.SeriesInstanceUid != null && r.SopInstanceUid != null)
                    item.AddOrUpdate(DicomTags.RetrieveURL, VR.UR, scope.InstanceUrl(r.StudyInstanceUid, r.SeriesInstanceUid, r.SopInstanceUid));
                if (WarningOf(r) is { } w) item.AddOrUpdate<ushort>(DicomTags.WarningReason, VR.US, w);
                referenced.Add(item);
            }
            else
            {
                item.AddOrUpdate<ushort>(DicomTags.FailureReason, VR.US, r.ReasonCode ?? r.DimseStatus);
                // The module has no text field: the reasons go to the Warning header (PS3.18 8.10.3) and to the log.
                failed.Add(item);
            }
        }
        if (failed.Count > 0) ds.Add(new DicomSequence(DicomTags.FailedSOPSequence, failed));
        if (referenced.Count > 0) ds.Add(new DicomSequence(DicomTags.ReferencedSOPSequence, referenced));
        return ds;
    }

    public async Task WriteAsync(HttpContext context, bool xml)
    {
        var ds = Build();
        var response = context.Response;
        response.StatusCode = HttpStatus;
        var reasons = _results.Where(r => !r.IsStored && r.Reason.Length > 0).Select(r => r.Reason).Take(5).ToList();
        if (reasons.Count > 0)
            response.Headers.Warning = string.Join(", ", reasons.Select(r => $"299 tciapacs \"{new string(r.Select(c => c is >= ' ' and <= '~' && c != '"' ? c : '?').ToArray())}\""));
        if (xml)
        {
            response.ContentType = MediaTypes.DicomXml;
            await response.WriteAsync(DicomXml.Serialize(ds), context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            response.ContentType = MediaTypes.DicomJson;
            await DicomJson.SerializeAsync(response.Body, ds, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
    }
}
