using TciaPacs.Archive.Storing;

namespace TciaPacs.Archive.Deidentification;

/// <summary>
/// Store filter 1 of 2: de-identifies the header by the collection's policy and returns <see cref="FilterDecision.Modify"/>
/// with the new data set (the context's data set is never changed). A CTP script's <c>@quarantine()</c> quarantines.
/// </summary>
public sealed class DeidentificationFilter(Func<string, CollectionPolicy> policies, DeidentificationJournal journal) : IStoreFilter
{
    public string Name => "de-identification";

    public FilterDecision Decide(StoreContext context)
    {
        // Recovery adopts files that were de-identified when they were stored: never twice.
        if (context.Request.Door == StoreDoor.Recovery) return FilterDecision.AcceptInstance;
        var policy = policies(context.Collection);
        if (policy.Deidentifier == null) return FilterDecision.AcceptInstance;
        TciaPacs.Deidentification.DeidentificationResult result;
        try
        {
            result = policy.Deidentifier.Deidentify(context.Dataset);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Never store what could not be de-identified; the message names the failure, not a value.
            return new FilterDecision.Reject($"de-identification failed ({ex.GetType().Name})", StoreResult.StatusProcessingFailure);
        }
        if (result.QuarantineReason != null) return new FilterDecision.Quarantine(result.QuarantineReason);
        journal.Record(result.Dataset, result.Original, result.Pseudonym);
        return new FilterDecision.Modify(result.Dataset, $"de-identified ({result.Edits.Count} edits)");
    }
}
