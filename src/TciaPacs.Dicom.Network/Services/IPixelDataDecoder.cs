namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// Decodes an instance's compressed pixel data for a peer that accepted none of its stored transfer syntax (a C-MOVE
/// destination or C-GET requestor that takes only native syntaxes, as dcmtk's storescp does by default). The network
/// layer knows no codec: the application supplies this through <see cref="Associations.AssociationOptions.PixelDataDecoder"/>.
/// </summary>
public interface IPixelDataDecoder
{
    /// <summary>Whether pixel data stored in <paramref name="transferSyntaxUid"/> can be decoded.</summary>
    bool CanDecode(string transferSyntaxUid);

    /// <summary>
    /// Writes the Part 10 file at <paramref name="sourcePath"/> to <paramref name="destinationPath"/> (a new file) as a
    /// Part 10 file in the native <paramref name="targetTransferSyntaxUid"/>, its pixel data decoded. Throws when the
    /// pixel data cannot be decoded (corrupt, or a form the codec does not handle).
    /// </summary>
    void Decode(string sourcePath, string targetTransferSyntaxUid, string destinationPath);
}
