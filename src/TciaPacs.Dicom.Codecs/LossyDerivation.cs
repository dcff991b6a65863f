using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// What an image compressed with a lossy algorithm becomes (PS3.3 C.7.6.1.1.5): a new image, derived from the one it
/// was made from. Lossy Image Compression 01 with the ratio and method appended to those of earlier steps; value 1 of
/// Image Type DERIVED (and of every Frame Type of an enhanced image); a new SOP Instance UID; the predecessor in Source Image Sequence (purpose DCM 121320
/// "Uncompressed predecessor", or 121330 "Lossy compressed predecessor", CID 7202), the step in Derivation Description
/// and Derivation Code Sequence (DCM 113040), as PS3.3 recommends. dcmtk's <c>dcmcjpeg</c> does the same by default
/// (<c>+ud</c>; it leaves Frame Type alone), and Orthanc when it transcodes into a lossy syntax.
/// <para>
/// The new UID is derived from the source's, the syntax and the quality (a name-based UUID under 2.25, PS3.5 B.2), so
/// that the same image asked for twice in the same way is the same instance, which a viewer that caches by UID expects.
/// </para>
/// </summary>
public static class LossyDerivation
{
    // Our name space for the name-based UUIDs (RFC 9562 5.5) of lossy derivatives; a random UUID, fixed for good.
    private static readonly Guid Namespace = new("8f0e2c3a-6d1b-4f5e-9a7c-2b4d6e8f0a1c");

    /// <summary>Value 1 of <paramref name="tag"/> (Image Type, Frame Type) made DERIVED, the others kept.</summary>
    private static void Derived(DicomDataset dataset, DicomTag tag)
    {
        var values = dataset.GetStrings(tag);
        if (values.Length == 0 || values[0].Trim() == "DERIVED") return;
        values[0] = "DERIVED";
        dataset.AddOrUpdate(tag, VR.CS, values);
    }

    /// <summary>A functional groups item (a copy when changed) whose frame type macros say DERIVED.</summary>
    private static DicomDataset WithDerivedFrameType(DicomDataset group)
    {
        var copy = group.Clone();
        foreach (var macro in copy.OfType<DicomSequence>().ToList())
        {
            if (!macro.Items.Any(i => i.Contains(DicomTags.FrameType))) continue;
            var items = macro.Items.Select(i => i.Clone()).ToList();
            foreach (var item in items) Derived(item, DicomTags.FrameType);
            copy.Add(new DicomSequence(macro.Tag, items));
        }
        return copy;
    }

    /// <summary>The label PS3.3 C.7.6.1.1.5 gives a transfer syntax's lossy method (Lossy Image Compression Method).</summary>
    public static string MethodOf(TransferSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(syntax);
        var name = syntax.Name;
        if (name.Contains("JPEG-LS", StringComparison.Ordinal)) return "ISO_14495_1";
        if (name.Contains("High-Throughput", StringComparison.Ordinal) || name.Contains("HTJ2K", StringComparison.Ordinal)) return "ISO_15444_15";
        if (name.Contains("JPEG 2000", StringComparison.Ordinal)) return "ISO_15444_1";
        if (name.Contains("JPEG XL", StringComparison.Ordinal)) return "ISO_18181_1";
        return "ISO_10918_1";
    }

    /// <summary>The SOP Instance UID of the image <paramref name="sourceUid"/> compressed in <paramref name="syntax"/> at <paramref name="quality"/>.</summary>
    public static string DerivedUid(string sourceUid, TransferSyntax syntax, int quality)
    {
        ArgumentNullException.ThrowIfNull(sourceUid);
        ArgumentNullException.ThrowIfNull(syntax);
        var name = Encoding.ASCII.GetBytes($"{sourceUid}|{syntax.Uid}|{quality.ToString(CultureInfo.InvariantCulture)}");
        Span<byte> input = stackalloc byte[16 + name.Length];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input[16..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input, hash); // version 5 is SHA-1 by definition; not used for security
        var uuid = hash[..16];
        uuid[6] = (byte)(uuid[6] & 0x0F | 0x50);
        uuid[8] = (byte)(uuid[8] & 0x3F | 0x80);
        return "2.25." + new System.Numerics.BigInteger(uuid, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Makes <paramref name="dataset"/> (just encoded in <paramref name="syntax"/> at <paramref name="quality"/>, from
    /// <paramref name="nativeBytes"/> of native frames into <paramref name="encodedBytes"/>) the derived image;
    /// <paramref name="predecessorLossy"/>: the image it was made from had been lossy compressed already (its syntax
    /// was lossy, or it said so).
    /// </summary>
    public static void Apply(DicomDataset dataset, TransferSyntax syntax, int quality, long nativeBytes, long encodedBytes, bool predecessorLossy)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(syntax);
        predecessorLossy |= dataset.GetString(DicomTags.LossyImageCompression)?.Trim() == "01";
        var ratio = encodedBytes > 0 ? (double)nativeBytes / encodedBytes : 1;
        var ratioText = ratio.ToString(ratio >= 1000 ? "0" : "0.##", CultureInfo.InvariantCulture);
        var method = MethodOf(syntax);
        dataset.AddOrUpdate(DicomTags.LossyImageCompression, VR.CS, "01");
        // Earlier lossy steps keep their values; a step recorded without them (01 alone) gets none invented.
        var ratios = dataset.GetStrings(DicomTags.LossyImageCompressionRatio).Where(v => v.Trim().Length > 0).ToList();
        var methods = dataset.GetStrings(DicomTags.LossyImageCompressionMethod).Where(v => v.Trim().Length > 0).ToList();
        dataset.AddOrUpdate(DicomTags.LossyImageCompressionRatio, VR.DS, [.. ratios, ratioText]);
        dataset.AddOrUpdate(DicomTags.LossyImageCompressionMethod, VR.CS, [.. methods, method]);

        Derived(dataset, DicomTags.ImageType);
        // An enhanced image says it per frame too (Frame Type in the functional groups' image frame type macro, PS3.3
        // C.8.13.5.1 and its kind): value 1 of Image Type must agree with the frames' (C.8.16.1).
        foreach (var groups in new[] { DicomTags.SharedFunctionalGroupsSequence, DicomTags.PerFrameFunctionalGroupsSequence })
            if (dataset.GetSequence(groups) is { } sequence)
                dataset.Add(new DicomSequence(groups, sequence.Items.Select(WithDerivedFrameType)));

        var step = $"Lossy compression with {syntax.Name} ({method}), quality {quality.ToString(CultureInfo.InvariantCulture)}, ratio {ratioText}:1";
        var description = dataset.GetString(DicomTags.DerivationDescription)?.Trim();
        description = string.IsNullOrEmpty(description) ? step : $"{description}; {step}";
        dataset.AddOrUpdate(DicomTags.DerivationDescription, VR.ST, description.Length <= 1024 ? description : description[^1024..]);

        // Derivation Code Sequence (General Image, Type 3): DCM 113040 "Lossy Compression" (CID 7203), as dcmcjpeg adds it.
        var derivation = new DicomDataset();
        derivation.AddOrUpdate(DicomTags.CodeValue, VR.SH, "113040");
        derivation.AddOrUpdate(DicomTags.CodingSchemeDesignator, VR.SH, "DCM");
        derivation.AddOrUpdate(DicomTags.CodeMeaning, VR.LO, "Lossy Compression");
        dataset.Add(new DicomSequence(DicomTags.DerivationCodeSequence, (dataset.GetSequence(DicomTags.DerivationCodeSequence)?.Items ?? []).Append(derivation)));

        var sourceUid = dataset.GetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ');
        if (string.IsNullOrEmpty(sourceUid)) return;
        var predecessor = new DicomDataset();
        if (dataset.GetString(DicomTags.SOPClassUID)?.Trim('\0', ' ') is { Length: > 0 } sopClass)
            predecessor.AddOrUpdate(DicomTags.ReferencedSOPClassUID, VR.UI, sopClass);
        predecessor.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, VR.UI, sourceUid);
        var purpose = new DicomDataset();
        purpose.AddOrUpdate(DicomTags.CodeValue, VR.SH, predecessorLossy ? "121330" : "121320");
        purpose.AddOrUpdate(DicomTags.CodingSchemeDesignator, VR.SH, "DCM");
        purpose.AddOrUpdate(DicomTags.CodeMeaning, VR.LO, predecessorLossy ? "Lossy compressed predecessor" : "Uncompressed predecessor");
        predecessor.AddOrUpdate(DicomTags.PurposeOfReferenceCodeSequence, purpose);
        dataset.Add(new DicomSequence(DicomTags.SourceImageSequence, (dataset.GetSequence(DicomTags.SourceImageSequence)?.Items ?? []).Append(predecessor)));
        dataset.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, DerivedUid(sourceUid, syntax, quality));
    }
}
