namespace TciaPacs.Archive.Storing;

/// <summary>The outcome class of a store, which DIMSE (PS3.7 C) and STOW-RS (PS3.18 10.5.3) each map to their own terms.</summary>
public enum StoreStatus
{
    /// <summary>Stored and durable.</summary>
    Success,
    /// <summary>The same SOP Instance with identical content was already stored: nothing was done.</summary>
    SuccessDuplicate,
    /// <summary>Stored, with a warning (e.g. elements coerced by a filter, PS3.4 B.2.3 status B000).</summary>
    Warning,
    /// <summary>Accepted but held in quarantine by a filter, not visible to queries.</summary>
    Quarantined,
    /// <summary>Not stored because of a policy, with a warning (e.g. same SOP Instance UID, other content).</summary>
    Refused,
    /// <summary>Not stored: an error.</summary>
    Failure,
}
