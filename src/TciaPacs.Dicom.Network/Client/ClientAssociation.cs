using TciaPacs.Dicom.Network.Associations;

namespace TciaPacs.Dicom.Network.Client;

/// <summary>An association we requested (the SCU side), with its reading task running in the background.</summary>
public sealed class ClientAssociation : IAsyncDisposable
{
    private readonly Task _run;

    internal ClientAssociation(DicomAssociation association, IDimseRequestHandler? handler, CancellationToken cancellationToken)
    {
        Association = association;
        _run = Task.Run(() => association.RunAsync(handler ?? RefuseRequests.Instance, cancellationToken), CancellationToken.None);
    }

    public DicomAssociation Association { get; }

    /// <summary>A-RELEASE (PS3.8 7.2), then waits for the reader to finish.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        await Association.ReleaseAsync(cancellationToken).ConfigureAwait(false);
        await _run.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await Association.DisposeAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
    }

    private sealed class RefuseRequests : IDimseRequestHandler
    {
        public static readonly RefuseRequests Instance = new();

        public Task HandleAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken) =>
            association.SendAsync(request.Context.Id, Dimse.DimseCommand.ResponseTo(request.Command, Dimse.DimseStatus.UnrecognizedOperation), (byte[]?)null, cancellationToken);
    }
}
