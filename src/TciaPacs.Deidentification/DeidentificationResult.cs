using TciaPacs.Dicom;

namespace TciaPacs.Deidentification;

/// <summary>One change made, for the report: where (tag path, e.g. "(0040,A730)[0].(0040,A160)") and what (an E.1-1 code, or the override/script action).</summary>
public readonly record struct DeidentificationEdit(string Path, string Action);

/// <summary>The de-identified data set (a new one: the input is not changed), what was done, and what the original's identifiers were.</summary>
public sealed record DeidentificationResult(DicomDataset Dataset, OriginalIdentifiers Original, IReadOnlyList<DeidentificationEdit> Edits)
{
    /// <summary>Set when a script asked to quarantine the instance (CTP <c>@quarantine()</c>).</summary>
    public string? QuarantineReason { get; init; }

    /// <summary>The patient's pseudonym (the new Patient ID), which the PHI scanner must not mistake for a name.</summary>
    public string? Pseudonym { get; init; }
}
