namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// A C-MOVE destination (PS3.4 C.4.2.1.4.1 Move Destination): where its AE title listens, and the compressed transfer
/// syntaxes (UIDs, in order of preference) its native images should go in when it accepts one (a site over a slow link).
/// </summary>
public sealed record MoveDestination(string AeTitle, string Host, int Port)
{
    public IReadOnlyList<string> Compression { get; init; } = [];
}
