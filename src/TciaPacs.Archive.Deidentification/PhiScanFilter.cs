using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Storing;
using TciaPacs.Deidentification;
using TciaPacs.Deidentification.Phi;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Deidentification;

/// <summary>
/// Store filter 2 of 2: the PHI scanner, after de-identification. It only judges: findings at or above the collection's
/// minimum severity quarantine (default), reject or are logged. The reason lists each finding as
/// "PATH RULE SEVERITY: description", separated by " | "; values are never quoted.
/// </summary>
public sealed class PhiScanFilter(Func<string, CollectionPolicy> policies, DeidentificationJournal journal, ILogger<PhiScanFilter>? logger = null) : IStoreFilter
{
    public const string FindingSeparator = " | ";

    public string Name => "phi-scan";

    public FilterDecision Decide(StoreContext context)
    {
        var policy = policies(context.Collection);
        if (policy.PhiScan == PhiScanMode.Off || context.Request.Reviewed) return FilterDecision.AcceptInstance;
        var ds = context.Dataset;
        // Not de-identified here (a collection that scans only): the patient's own ID and name are its pseudonyms.
        var entry = journal.Find(ds);
        List<PhiFinding> findings;
        try
        {
            findings = PhiScanner.Scan(ds, entry?.Original ?? OriginalIdentifiers.None, entry?.Pseudonym ?? ds.GetString(DicomTags.PatientID))
                .Where(f => f.Severity >= policy.MinimumSeverity).ToList();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // What could not be scanned is not known to be clean.
            return new FilterDecision.Quarantine($"the PHI scan failed ({ex.GetType().Name})");
        }
        if (findings.Count == 0) return FilterDecision.AcceptInstance;
        var reason = Describe(findings);
        switch (policy.PhiScan)
        {
            case PhiScanMode.Reject:
                return new FilterDecision.Reject(reason);
            case PhiScanMode.Log:
                logger?.LogWarning("PHI scan of an instance in collection {Collection}: {Findings}", context.Collection, reason);
                return FilterDecision.AcceptInstance;
            default:
                return new FilterDecision.Quarantine(reason);
        }
    }

    public static string Describe(IReadOnlyList<PhiFinding> findings) =>
        $"{findings.Count} PHI finding(s): " + string.Join(FindingSeparator, findings.Select(f => f.ToString()));
}
