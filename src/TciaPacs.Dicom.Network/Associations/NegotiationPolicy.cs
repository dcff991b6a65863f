using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// How an acceptor answers proposed presentation contexts (PS3.8 9.3.3.2, PS3.7 D.3.3): which abstract syntaxes it
/// supports with which transfer syntaxes, in what order of preference; SCP/SCU role selection; extended negotiation.
/// </summary>
public sealed record NegotiationPolicy
{
    /// <summary>The transfer syntaxes accepted for an abstract syntax, or null when it is not supported.</summary>
    public required Func<string, IReadOnlySet<string>?> TransferSyntaxesFor { get; init; }

    /// <summary>Preferred transfer syntaxes, first best; among proposed syntaxes not listed, the requestor's order decides.</summary>
    public IReadOnlyList<string> TransferSyntaxPreference { get; init; } = [];

    /// <summary>
    /// The compressed syntaxes a calling AE is to get native images in (a known peer's compression, by its AE title):
    /// on the contexts we send on, taken before a native syntax when proposed, since native instances are encoded for it.
    /// </summary>
    public Func<string, IReadOnlyList<string>> SendingPreference { get; init; } = _ => [];

    /// <summary>Query/retrieve flags we support (PS3.4 C.3.4 extended negotiation): byte 2 of C-FIND's is fuzzy semantic matching of person names.</summary>
    public bool FuzzyMatching { get; init; } = true;

    /// <summary>
    /// Relational queries and retrieval (byte 0 of C-FIND's and of C-MOVE's and C-GET's, PS3.4 C.4.1.2.2, C.4.2.2.2):
    /// keys of any level at or above the query level, without the unique keys of the levels above.
    /// </summary>
    public bool Relational { get; init; } = true;

    /// <summary>Combined date and time range matching (byte 1 of C-FIND's, PS3.4 C.2.2.2.5).</summary>
    public bool CombinedDateTime { get; init; } = true;

    /// <summary>Timezone query adjustment (byte 3 of C-FIND's, PS3.4 C.2.2.2): responses in the query's timezone.</summary>
    public bool TimezoneQueryAdjustment { get; init; } = true;

    /// <summary>The A-ASSOCIATE-AC answering <paramref name="request"/>, starting from <paramref name="template"/> (AE titles, our user information).</summary>
    public AssociateRequest Answer(AssociateRequest request, AssociateRequest template)
    {
        var contexts = new List<PresentationContext>(request.PresentationContexts.Count);
        // Classes the requestor offers to be SCP of (a C-GET's storage sub-operations): we send on those contexts.
        var weSend = request.UserInformation.RoleSelections.Where(r => r.ScpRole).Select(r => r.SopClassUid).ToHashSet(StringComparer.Ordinal);
        var sendingPreference = weSend.Count > 0 ? SendingPreference(request.CallingAe.Trim()) : [];
        foreach (var pc in request.PresentationContexts)
        {
            var supported = TransferSyntaxesFor(pc.AbstractSyntax);
            if (supported == null)
            {
                contexts.Add(pc with { TransferSyntaxes = [], Result = PresentationContextResult.AbstractSyntaxNotSupported });
                continue;
            }
            var chosen = weSend.Contains(pc.AbstractSyntax) ? ChooseForSending(pc.TransferSyntaxes, supported, sendingPreference) : Choose(pc.TransferSyntaxes, supported);
            contexts.Add(chosen == null
                ? pc with { TransferSyntaxes = [], Result = PresentationContextResult.TransferSyntaxesNotSupported }
                : pc with { TransferSyntaxes = [chosen], Result = PresentationContextResult.Acceptance });
        }
        var accepted = contexts.Where(c => c.IsAccepted).Select(c => c.AbstractSyntax).ToHashSet(StringComparer.Ordinal);
        var proposed = request.UserInformation;
        var user = template.UserInformation with
        {
            // PS3.7 D.3.3.4: the acceptor answers each role proposal it agrees to; we agree to every role proposed for a class we accepted.
            RoleSelections = proposed.RoleSelections.Where(r => accepted.Contains(r.SopClassUid)).ToList(),
            ExtendedNegotiations = proposed.ExtendedNegotiations.Where(e => accepted.Contains(e.SopClassUid)).Select(AnswerExtended).OfType<ExtendedNegotiation>().ToList(),
            // PS3.7 D.3.3.7.2: a positive response, when asked for, carries an empty server response for username/passcode.
            UserIdentityResponse = proposed.UserIdentity is { PositiveResponseRequested: true } ? [] : null,
            AsyncOperationsWindow = proposed.AsyncOperationsWindow != null ? ((ushort)1, (ushort)1) : null,
        };
        return template with { PresentationContexts = contexts, UserInformation = user };
    }

    /// <summary>
    /// A context we send on (C-GET): the caller's configured compression when it proposed it (native instances are
    /// encoded for it), else as any context. The requestor's first choice is kept even when it is compressed and native
    /// syntaxes follow it (getscu's +xs, +xy, ...): an instance stored in it then goes as stored, and a native one is
    /// encoded for it when we encode that syntax losslessly (StoreSender); in a lossy one (JPEG Baseline) it cannot go.
    /// </summary>
    private string? ChooseForSending(IReadOnlyList<string> proposed, IReadOnlySet<string> supported, IReadOnlyList<string> preference)
    {
        foreach (var ts in preference)
            if (supported.Contains(ts) && proposed.Contains(ts)) return ts;
        return Choose(proposed, supported);
    }

    private string? Choose(IReadOnlyList<string> proposed, IReadOnlySet<string> supported)
    {
        foreach (var preferred in TransferSyntaxPreference)
            if (supported.Contains(preferred) && proposed.Contains(preferred)) return preferred;
        foreach (var ts in proposed)
            if (supported.Contains(ts)) return ts;
        return null;
    }

    /// <summary>
    /// C-FIND (PS3.4 C.3.4, Table C.3-1): byte 0 relational queries (when enabled), 1 combined date-time matching (when enabled),
    /// 2 fuzzy semantic matching of person names (when enabled), 3 timezone query adjustment (when enabled). C-MOVE/C-GET (Table
    /// C.3-2): byte 0 relational retrieval (when enabled). Other classes: no answer (the sub-item is omitted).
    /// </summary>
    private ExtendedNegotiation? AnswerExtended(ExtendedNegotiation proposed)
    {
        var info = proposed.ServiceClassApplicationInformation;
        if (SopClasses.IsFind(proposed.SopClassUid))
        {
            var answer = new byte[Math.Min(info.Length, 4)];
            if (answer.Length > 0 && Relational && info[0] == 1) answer[0] = 1;
            if (answer.Length > 1 && CombinedDateTime && info[1] == 1) answer[1] = 1;
            if (answer.Length > 2 && FuzzyMatching && info[2] == 1) answer[2] = 1;
            if (answer.Length > 3 && TimezoneQueryAdjustment && info[3] == 1) answer[3] = 1;
            return new ExtendedNegotiation(proposed.SopClassUid, answer);
        }
        if (SopClasses.IsMove(proposed.SopClassUid) || SopClasses.IsGet(proposed.SopClassUid))
        {
            var answer = new byte[Math.Min(info.Length, 1)];
            if (answer.Length > 0 && Relational && info[0] == 1) answer[0] = 1;
            return new ExtendedNegotiation(proposed.SopClassUid, answer);
        }
        return null;
    }
}
