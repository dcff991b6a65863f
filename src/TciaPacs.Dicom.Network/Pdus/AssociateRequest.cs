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
