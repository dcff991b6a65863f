using System.IO.Hashing;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>Limits and timeouts of one association (PS3.8 9.1.5 ARTIM; PS3.8 D.1 maximum PDU length).</summary>
public sealed record AssociationOptions
{
    /// <summary>Largest P-DATA-TF we receive (advertised in the Maximum Length sub-item, PS3.8 D.1).</summary>
    public uint MaxPduLength { get; init; } = 256 * 1024;

    /// <summary>Largest P-DATA-TF we send, whatever the peer accepts (0: the peer's limit, capped at 1 MiB).</summary>
    public uint MaxSendPduLength { get; init; }

    /// <summary>The ARTIM timer (PS3.8 9.1.5): waiting for A-ASSOCIATE-RQ, -AC/RJ, A-RELEASE-RP or the close after it.</summary>
    public TimeSpan ArtimTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An established association with no PDU either way and no operation in progress for this long is aborted.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// After a request of ours goes out (a C-STORE sub-operation, say), the reader polls the socket this long for the
    /// response before it blocks (<see cref="ReplyPoll"/>): a blocked thread's wake-up costs more than the poll on a
    /// virtual machine. Plain TCP only; one poller per process; off for an association whose responses miss it 16
    /// times in a row. Zero turns it off.
    /// </summary>
    public TimeSpan ReplyPollWindow { get; init; } = TimeSpan.FromMicroseconds(500);

    /// <summary>Where C-STORE data sets are spooled as they arrive (never held whole in memory).</summary>
    public string TempDirectory { get; init; } = Path.GetTempPath();

    /// <summary>Largest data set other than a C-STORE's (identifiers) kept in memory; beyond, the association is aborted.</summary>
    public int MaxInMemoryDataSet { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest A-ASSOCIATE-RQ/AC accepted.</summary>
    public int MaxAssociatePduLength { get; init; } = 1024 * 1024;

    /// <summary>
    /// When set, each C-STORE data set is hashed as it is spooled by the hasher this returns for its association (the
    /// data set's bytes as received, not the Part 10 header in front of them), into <see cref="DimseMessage.DataSetHash"/>:
    /// a store that names or compares files by content then need not read the spool again. Null for an association
    /// whose data sets the receiver will rewrite anyway (de-identification): no hash, no cost.
    /// </summary>
    public Func<DicomAssociation, NonCryptographicHashAlgorithm?>? DataSetHash { get; init; }

    /// <summary>
    /// When set and true for an association, each C-STORE spool's pages are sent to the disk as they are written
    /// (<see cref="TciaPacs.Dicom.IO.Writeback"/>): for a receiver that keeps the spool as the stored file and makes it
    /// durable before answering, the disk then works during the receive instead of after it. False for an association
    /// whose spools are rewritten and deleted (writing them back would be disk work for nothing).
    /// </summary>
    public Func<DicomAssociation, bool>? SpoolWriteback { get; init; }

    /// <summary>
    /// Decodes compressed pixel data when a peer we send to (C-MOVE, C-GET, an SCU's C-STORE) accepted none of an
    /// instance's stored transfer syntax but a native one; null: such an instance's sub-operation fails.
    /// </summary>
    public Services.IPixelDataDecoder? PixelDataDecoder { get; init; }

    /// <summary>
    /// Encodes native pixel data in a compressed syntax for a peer that should receive it so (see
    /// <see cref="Services.StoreSender.SendEachAsync"/>'s compression); null: instances go as stored.
    /// </summary>
    public Services.IPixelDataEncoder? PixelDataEncoder { get; init; }
}
