using TciaPacs.Deidentification;

namespace TciaPacs.Archive.Deidentification;

/// <summary>What the PHI scanner's findings do to an instance.</summary>
public enum PhiScanMode
{
    /// <summary>Hold the instance in quarantine for review (the default).</summary>
    Quarantine,
    /// <summary>Refuse the instance.</summary>
    Reject,
    /// <summary>Store it and log the findings (rule and tag path, never the value).</summary>
    Log,
    /// <summary>Do not scan.</summary>
    Off,
}

/// <summary>
/// The store-time policy of one collection: its de-identifier (null: stored as sent) and what PHI findings do.
/// </summary>
public sealed record CollectionPolicy(TciaPacs.Deidentification.IInstanceDeidentifier? Deidentifier, PhiScanMode PhiScan, TciaPacs.Deidentification.Phi.PhiSeverity MinimumSeverity = TciaPacs.Deidentification.Phi.PhiSeverity.Medium);
