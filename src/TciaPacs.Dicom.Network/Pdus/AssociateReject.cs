namespace TciaPacs.Dicom.Network.Pdus;

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
