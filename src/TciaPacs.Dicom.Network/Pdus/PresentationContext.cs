namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>
/// A presentation context: as proposed (one abstract syntax, several transfer syntaxes, PS3.8 9.3.2.2) or as answered
/// (a result and, when accepted, the one transfer syntax, PS3.8 9.3.3.2). The ID is odd, 1-255.
/// </summary>
public sealed record PresentationContext(byte Id, string AbstractSyntax, IReadOnlyList<string> TransferSyntaxes)
{
    public PresentationContextResult Result { get; init; } = PresentationContextResult.Acceptance;

    /// <summary>The accepted transfer syntax (an answered, accepted context), else null.</summary>
    public string? AcceptedTransferSyntax => Result == PresentationContextResult.Acceptance && TransferSyntaxes.Count > 0 ? TransferSyntaxes[0] : null;

    public bool IsAccepted => AcceptedTransferSyntax != null;

    public override string ToString() => $"#{Id} {DicomUids.Lookup(AbstractSyntax)} [{string.Join(", ", TransferSyntaxes)}] {Result}";
}
