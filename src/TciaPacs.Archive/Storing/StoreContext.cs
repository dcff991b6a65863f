using TciaPacs.Dicom;

namespace TciaPacs.Archive.Storing;

/// <summary>What a store filter sees: the request and the header (everything before Pixel Data) as it stands so far.</summary>
public sealed record StoreContext(StoreRequest Request, DicomDataset Dataset, TransferSyntax TransferSyntax)
{
    public string Collection => Request.Collection;
}
