namespace TciaPacs.Deidentification.Phi;

public enum PhiSeverity
{
    Low,
    Medium,
    High,
}

/// <summary>
/// One thing the scanner found: where (tag path), which rule, how bad, and a description that never contains the
/// value itself (findings are listed and logged; the value may be an identifier).
/// </summary>
public sealed record PhiFinding(string Path, string Rule, PhiSeverity Severity, string Description)
{
    public override string ToString() => $"{Path} {Rule} {Severity}: {Description}";
}
