using System.Runtime.CompilerServices;
using TciaPacs.Deidentification;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Deidentification;

/// <summary>
/// Hands the original's identifiers from the de-identification filter to the PHI scanner, which runs after it on the
/// de-identified data set and must know what to look for. Keyed weakly by the data set the de-identifier produced, so
/// nothing outlives the store and nothing is written anywhere.
/// </summary>
public sealed class DeidentificationJournal
{
    public sealed record Entry(OriginalIdentifiers Original, string? Pseudonym);

    private readonly ConditionalWeakTable<DicomDataset, Entry> _entries = new();

    public void Record(DicomDataset deidentified, OriginalIdentifiers original, string? pseudonym) => _entries.AddOrUpdate(deidentified, new Entry(original, pseudonym));

    public Entry? Find(DicomDataset dataset) => _entries.TryGetValue(dataset, out var e) ? e : null;
}
