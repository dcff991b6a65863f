namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// Encodes an instance's native pixel data in a compressed transfer syntax for a peer configured to receive it so (a
/// C-MOVE destination or C-GET requestor over a slow link) that accepted that syntax. The network layer knows no codec:
/// the application supplies this through <see cref="Associations.AssociationOptions.PixelDataEncoder"/>.
/// </summary>
public interface IPixelDataEncoder
{
    /// <summary>
    /// Writes the Part 10 file at <paramref name="sourcePath"/> to <paramref name="destinationPath"/> (a new file) with
    /// its pixel data encoded in <paramref name="targetTransferSyntaxUid"/>. False, writing nothing, when that syntax
    /// cannot hold its image (or it has none): the instance then goes as it is.
    /// </summary>
    bool TryEncode(string sourcePath, string targetTransferSyntaxUid, string destinationPath);
}
