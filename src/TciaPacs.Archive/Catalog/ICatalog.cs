namespace TciaPacs.Archive.Catalog;

/// <summary>
/// The catalog port: the source of truth of what is stored (implemented with SQLite in TciaPacs.Archive.Sqlite).
/// Writes are serialized and each <see cref="CommitAsync"/> completes only once durable; reads run concurrently.
/// </summary>
public interface ICatalog : IDisposable
{
    /// <summary>
    /// Records an instance. Duplicate and identity checks run inside the write transaction, so concurrent commits cannot
    /// race them. With <paramref name="durableFirst"/> (the instance's file being made durable), the record's work may
    /// run meanwhile but its transaction commits only once that task has succeeded; if it fails, nothing is recorded
    /// and the returned task fails with its exception.
    /// With <paramref name="recoverableFromFile"/>, the caller vouches that the file is durable before the commit and
    /// that losing the record would lose nothing: recovery adopts a stored file that has no record (a new instance, not
    /// the replacement of another file). Such a commit is written before it completes, so it survives a killed process,
    /// but it waits for no device flush of its own: the next flushed commit or checkpoint makes it durable, and after a
    /// power loss recovery records the file again.
    /// With <paramref name="resumeOnWriter"/>, the caller's continuation may run on the thread that committed, as soon
    /// as it has (one thread hand-off less per store): the caller's code after the await must be short and must never
    /// wait for another catalog write, which that thread would then be unable to make.
    /// </summary>
    Task<CommitResult> CommitAsync(CatalogEntry entry, Task? durableFirst = null, bool recoverableFromFile = false, CancellationToken cancellationToken = default,
        bool resumeOnWriter = false);

    /// <summary>Removes an instance (and its series, study and patient when they become empty); false when absent.</summary>
    Task<bool> RemoveInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken = default);

    /// <summary>Removes everything (before a rebuild from the files).</summary>
    Task ClearAsync(CancellationToken cancellationToken = default);

    CatalogInstance? FindInstance(string sopInstanceUid);

    /// <summary>Entities matching the filter's pre-filter, in ascending key order, streamed.</summary>
    IEnumerable<CatalogEntity> Query(CatalogFilter filter, CancellationToken cancellationToken = default);

    IEnumerable<CatalogInstance> AllInstances();

    /// <summary>
    /// The files of a study's instances (or one series', or one instance), in SOP Instance UID order, without reading
    /// attribute documents: retrieval of a 2,000-instance series should not parse 2,000 of them. This default goes
    /// through <see cref="Query"/>; adapters answer from their columns.
    /// </summary>
    IEnumerable<InstanceFile> InstanceFiles(string studyUid, string? seriesUid = null, string? sopUid = null)
    {
        var keys = new List<TciaPacs.Archive.Query.QueryKey> { TciaPacs.Archive.Query.QueryKey.Create(TciaPacs.Dicom.DicomTags.StudyInstanceUID, TciaPacs.Dicom.VR.UI, studyUid) };
        if (seriesUid != null) keys.Add(TciaPacs.Archive.Query.QueryKey.Create(TciaPacs.Dicom.DicomTags.SeriesInstanceUID, TciaPacs.Dicom.VR.UI, seriesUid));
        if (sopUid != null) keys.Add(TciaPacs.Archive.Query.QueryKey.Create(TciaPacs.Dicom.DicomTags.SOPInstanceUID, TciaPacs.Dicom.VR.UI, sopUid));
        foreach (var e in Query(new CatalogFilter(TciaPacs.Archive.Query.QueryLevel.Image) { MatchingKeys = keys }))
        {
            var study = e.Study?.GetString(TciaPacs.Dicom.DicomTags.StudyInstanceUID);
            var series = e.Series?.GetString(TciaPacs.Dicom.DicomTags.SeriesInstanceUID);
            if (e.RelativePath == null || study != studyUid || (seriesUid != null && series != seriesUid) || (sopUid != null && e.Key != sopUid)) continue;
            yield return new InstanceFile(e.Key, series!, study, e.RelativePath, e.TransferSyntaxUid ?? "", e.Collection,
                e.Instance?.GetString(TciaPacs.Dicom.DicomTags.SOPClassUID)?.Trim('\0', ' ') ?? "");
        }
    }

    /// <summary>
    /// The Patient ID of a study's patient as stored (all its values, backslash-separated, if it has several), or null
    /// when the study is not in the catalog: a retrieve that names a patient and a study checks the one against the
    /// other with it. This default goes through <see cref="Query"/>; adapters answer from their columns.
    /// </summary>
    string? PatientIdOfStudy(string studyUid)
    {
        var keys = new List<TciaPacs.Archive.Query.QueryKey> { TciaPacs.Archive.Query.QueryKey.Create(TciaPacs.Dicom.DicomTags.StudyInstanceUID, TciaPacs.Dicom.VR.UI, studyUid) };
        foreach (var e in Query(new CatalogFilter(TciaPacs.Archive.Query.QueryLevel.Study) { MatchingKeys = keys }))
            if (e.Key == studyUid) return string.Join('\\', e.Patient.GetStrings(TciaPacs.Dicom.DicomTags.PatientID));
        return null;
    }

    long CountInstances();

    /// <summary>
    /// Up to <paramref name="count"/> instance files, with their sizes, in SOP Instance UID order after
    /// <paramref name="afterSopInstanceUid"/> (null: from the first). Each page is one short read, so a walk over a
    /// large archive holds one page in memory and never keeps a read open across the writes made meanwhile.
    /// </summary>
    IReadOnlyList<InstanceFile> InstanceFilesPage(string? afterSopInstanceUid, int count);

    /// <summary>The collection a study is in, or null when the catalog has no such study.</summary>
    string? CollectionOfStudy(string studyUid);

    /// <summary>Every collection that holds a study.</summary>
    IReadOnlyList<string> CollectionNames();

    /// <summary>What each collection holds (patients, studies, series, instances, bytes), in name order.</summary>
    IReadOnlyList<CollectionSummary> CollectionSummaries();

    /// <summary>
    /// Puts a study (with its series and instances) into another collection: one write, serialized with the stores
    /// (a store into the study's old collection committed after it is refused as any store into another collection
    /// is). False when the catalog has no such study.
    /// </summary>
    Task<bool> MoveStudyAsync(string studyUid, string collection, CancellationToken cancellationToken = default);
}

/// <summary>The counts of one collection.</summary>
public sealed record CollectionSummary(string Collection, long Patients, long Studies, long Series, long Instances, long Size);
