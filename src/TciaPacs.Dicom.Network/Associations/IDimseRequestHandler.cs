namespace TciaPacs.Dicom.Network.Associations;

/// <summary>What handles the requests an association receives (the SCP side of each DIMSE service, PS3.7 9.1).</summary>
public interface IDimseRequestHandler
{
    /// <summary>Handles one request; responses go out through <paramref name="association"/>. Cancelled by C-CANCEL or when the association ends.</summary>
    Task HandleAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken);
}
