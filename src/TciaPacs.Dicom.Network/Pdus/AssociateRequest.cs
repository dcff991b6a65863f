namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>
/// The parameters of an A-ASSOCIATE-RQ or -AC PDU (PS3.8 9.3.2, 9.3.3): AE titles, application context, presentation
/// contexts and user information. In an AC the AE titles echo the request's (PS3.8 9.3.3: "not tested").
/// </summary>
public sealed record AssociateRequest
{
    /// <summary>The DICOM Application Context Name (PS3.7 A.2.1).</summary>
    public const string DicomApplicationContext = "1.2.840.10008.3.1.1.1";

    public ushort ProtocolVersion { get; init; } = 1;
    public required string CalledAe { get; init; }
    public required string CallingAe { get; init; }
    public string ApplicationContext { get; init; } = DicomApplicationContext;
    public IReadOnlyList<PresentationContext> PresentationContexts { get; init; } = [];
    public UserInformation UserInformation { get; init; } = new();

    public PresentationContext? FindContext(byte id)
    {
        foreach (var pc in PresentationContexts) if (pc.Id == id) return pc;
        return null;
    }
}

/// <summary>A-ASSOCIATE-RJ (PS3.8 9.3.4, Table 9-21).</summary>
public sealed record AssociateReject(byte Result, byte Source, byte Reason)
{
    public const byte Permanent = 1, Transient = 2;
    public const byte SourceUser = 1, SourceProviderAcse = 2, SourceProviderPresentation = 3;

    // Source 1 (service user)
    public const byte NoReasonGiven = 1, ApplicationContextNotSupported = 2, CallingAeNotRecognized = 3, CalledAeNotRecognized = 7;
    // Source 2 (ACSE): 1 no reason, 2 protocol version not supported. Source 3 (presentation): 1 temporary congestion, 2 local limit exceeded.
    public const byte ProtocolVersionNotSupported = 2, TemporaryCongestion = 1, LocalLimitExceeded = 2;

    public override string ToString() => $"result {Result} source {Source} reason {Reason} ({Describe()})";

    public string Describe() => (Source, Reason) switch
    {
        (SourceUser, CallingAeNotRecognized) => "calling AE title not recognized",
        (SourceUser, CalledAeNotRecognized) => "called AE title not recognized",
        (SourceUser, ApplicationContextNotSupported) => "application context name not supported",
        (SourceUser, _) => "rejected by the service user",
        (SourceProviderAcse, ProtocolVersionNotSupported) => "protocol version not supported",
        (SourceProviderAcse, _) => "rejected by the ACSE service provider",
        (SourceProviderPresentation, TemporaryCongestion) => "temporary congestion",
        (SourceProviderPresentation, LocalLimitExceeded) => "local limit exceeded",
        _ => "rejected",
    };
}

/// <summary>A-ABORT (PS3.8 9.3.8, Table 9-26): source 0 service user, 2 service provider; reason when from the provider.</summary>
public sealed record AbortPdu(byte Source, byte Reason)
{
    public const byte SourceUser = 0, SourceProvider = 2;
    public const byte NotSpecified = 0, UnrecognizedPdu = 1, UnexpectedPdu = 2, UnrecognizedPduParameter = 4, UnexpectedPduParameter = 5, InvalidPduParameterValue = 6;

    public override string ToString() => $"source {Source} reason {Reason}";
}

/// <summary>One Presentation Data Value item of a P-DATA-TF (PS3.8 9.3.5.1, Annex E.2).</summary>
public readonly record struct Pdv(byte PresentationContextId, bool IsCommand, bool IsLast, ReadOnlyMemory<byte> Data);
