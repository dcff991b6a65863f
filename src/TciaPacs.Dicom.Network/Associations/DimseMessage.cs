using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// A received DIMSE message: its command, the presentation context it came on and its data set, if any: in memory
/// (identifiers) or spooled to a Part 10 file (C-STORE), which disposing the message deletes.
/// </summary>
public sealed class DimseMessage(DimseCommand command, PresentationContext context) : IDisposable
{
    public DimseCommand Command { get; } = command;
    public PresentationContext Context { get; } = context;
    public string TransferSyntaxUid => Context.AcceptedTransferSyntax ?? TransferSyntax.ImplicitVRLittleEndian.Uid;

    public byte[]? DataSetBytes { get; internal set; }

    /// <summary>A C-STORE data set: a Part 10 file in the association's temp folder, whose meta names the context's transfer syntax.</summary>
    public string? DataSetFile { get; internal set; }

    public long DataSetLength { get; internal set; }

    /// <summary>The hash of the spooled data set's bytes, when the association was set up to compute it (<see cref="AssociationOptions.DataSetHash"/>).</summary>
    public byte[]? DataSetHash { get; internal set; }

    /// <summary>Parses the data set (identifiers; for a spooled C-STORE data set, open <see cref="DataSetFile"/>).</summary>
    public DicomDataset? ReadDataSet()
    {
        if (DataSetBytes != null) return Part10.ReadDataSet(DataSetBytes, TransferSyntaxUid);
        if (DataSetFile != null) return DicomFile.Open(DataSetFile).Dataset;
        return null;
    }

    public void Dispose()
    {
        if (DataSetFile != null)
        {
            try { File.Delete(DataSetFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            DataSetFile = null;
        }
    }

    public override string ToString() => $"{Command} on {Context.Id}";
}
