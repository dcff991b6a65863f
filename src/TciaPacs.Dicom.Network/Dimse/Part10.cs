using System.Buffers.Binary;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Network.Dimse;

/// <summary>
/// The Part 10 wrapper (PS3.10 7.1) around a data set received or sent on the network: a received data set is spooled
/// behind a preamble and file meta naming its transfer syntax, so that it is a file like any other; a stored file is
/// sent from the first byte after its meta.
/// </summary>
public static class Part10
{
    /// <summary>Preamble, "DICM" and the file meta group (with its group length) for a data set of this SOP instance in <paramref name="transferSyntaxUid"/>.</summary>
    public static byte[] Header(string sopClassUid, string sopInstanceUid, string transferSyntaxUid, string? sourceAe = null)
    {
        var meta = new DicomDataset();
        meta.AddOrUpdate(DicomTags.FileMetaInformationVersion, VR.OB, new byte[] { 0, 1 });
        meta.AddOrUpdate(DicomTags.MediaStorageSOPClassUID, VR.UI, sopClassUid);
        meta.AddOrUpdate(DicomTags.MediaStorageSOPInstanceUID, VR.UI, sopInstanceUid);
        meta.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, transferSyntaxUid);
        meta.AddOrUpdate(DicomTags.ImplementationClassUID, VR.UI, DicomUids.ImplementationClassUid);
        meta.AddOrUpdate(DicomTags.ImplementationVersionName, VR.SH, DicomUids.ImplementationVersionName);
        if (!string.IsNullOrEmpty(sourceAe)) meta.AddOrUpdate(DicomTags.SourceApplicationEntityTitle, VR.AE, sourceAe);
        var body = new MemoryStream();
        DicomWriter.WriteDataset(body, meta, TransferSyntax.ExplicitVRLittleEndian);
        var header = new byte[132 + 12 + body.Length];
        "DICM"u8.CopyTo(header.AsSpan(128));
        // (0002,0000) UL, explicit VR little endian: tag, "UL", 2-byte length 4, value.
        ReadOnlySpan<byte> groupLength = [0x02, 0x00, 0x00, 0x00, (byte)'U', (byte)'L', 4, 0];
        groupLength.CopyTo(header.AsSpan(132));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(140), (uint)body.Length);
        body.GetBuffer().AsSpan(0, (int)body.Length).CopyTo(header.AsSpan(144));
        return header;
    }

    /// <summary>Reads a bare data set in a known transfer syntax (a C-FIND identifier, a C-STORE data set held in memory).</summary>
    public static DicomDataset ReadDataSet(ReadOnlySpan<byte> bytes, string transferSyntaxUid)
    {
        var header = Header("1.2.3", "1.2.3", transferSyntaxUid);
        var all = new byte[header.Length + bytes.Length];
        header.CopyTo(all, 0);
        bytes.CopyTo(all.AsSpan(header.Length));
        return DicomFile.Read(new MemoryStream(all, writable: false)).Dataset;
    }

    /// <summary>Encodes a data set for a P-DATA-TF in <paramref name="transferSyntaxUid"/>.</summary>
    public static byte[] WriteDataSet(DicomDataset dataset, string transferSyntaxUid)
    {
        var ms = new MemoryStream();
        DicomWriter.WriteDataset(ms, dataset, TransferSyntax.Lookup(transferSyntaxUid));
        return ms.ToArray();
    }

    /// <summary>
    /// Where the data set of a Part 10 file starts, and its transfer syntax: after the preamble (when there is one) and
    /// every group 0002 element, walked element by element (explicit VR little endian, PS3.10 7.1) rather than trusting
    /// the group length. Null when the file has no file meta.
    /// </summary>
    public static (long Offset, string TransferSyntaxUid)? LocateDataSet(Stream file)
    {
        Span<byte> head = stackalloc byte[132];
        file.Position = 0;
        var n = file.ReadAtLeast(head, 132, throwOnEndOfStream: false);
        long pos = n == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M' ? 132 : 0;
        string? ts = null;
        Span<byte> h = stackalloc byte[12];
        while (true)
        {
            file.Position = pos;
            if (file.ReadAtLeast(h[..8], 8, throwOnEndOfStream: false) < 8) break;
            if (BinaryPrimitives.ReadUInt16LittleEndian(h) != 0x0002) break;
            var element = BinaryPrimitives.ReadUInt16LittleEndian(h[2..]);
            var vr = VR.TryFromBytes(h[4], h[5], out var v) ? v : VR.UN;
            long length, headerLength;
            if (vr.HasLongLength)
            {
                if (file.ReadAtLeast(h[8..], 4, throwOnEndOfStream: false) < 4) break;
                length = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
                headerLength = 12;
            }
            else
            {
                length = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
                headerLength = 8;
            }
            if (element == 0x0010)
            {
                var value = new byte[length];
                file.Position = pos + headerLength;
                file.ReadExactly(value);
                ts = System.Text.Encoding.ASCII.GetString(value).TrimEnd('\0', ' ');
            }
            pos += headerLength + length;
        }
        return ts == null ? null : (pos, ts);
    }
}
