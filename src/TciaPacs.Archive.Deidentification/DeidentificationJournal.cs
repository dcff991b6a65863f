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
    private readonly ConditionalWeakTable<DicomDataset, OriginalIdentifiers> _originals = new();

    public void Record(DicomDataset deidentified, OriginalIdentifiers original) => _originals.AddOrUpdate(deidentified, original);

    public OriginalIdentifiers? Find(DicomDataset dataset) => _originals.TryGetValue(dataset, out var o) ? o : null;
}
