using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// Ingest compression as configured (<c>Storage.Compression</c>, <c>Storage.CollectionCompression</c>): native pixel data
/// re-encoded losslessly with our codecs before the file is written, as dcm4chee's compression rules and Orthanc's
/// IngestTranscoding do. Only lossless syntaxes with an encoder may be named, one or several separated by commas and
/// tried in order (e.g. <c>JPEGLSLossless, DeflatedImageFrameCompression</c>: images in JPEG-LS, binary segmentations,
/// which JPEG-LS cannot hold, deflated); data already encapsulated is stored as received (never decoded and
/// re-encoded), and so is an image none of them holds, with the reason logged.
/// </summary>
internal sealed class StoreCompression : IStoreCompression
{
    /// <summary>
    /// The largest native frame compressed at store time: an encoder holds a frame's samples as integers (4 bytes
    /// each) while it codes them, and stores run side by side. A larger frame (a whole slide scanned as one image) is
    /// stored as received. The frames are read one by one and the encoded ones written to a scratch file as they are
    /// made, so the instance's total size does not matter (a breast tomosynthesis volume of 1 GB compresses).
    /// </summary>
    public const long MaxFrameBytes = 64L << 20;

    private readonly IReadOnlyList<TransferSyntax> _default;
    private readonly Dictionary<string, IReadOnlyList<TransferSyntax>> _collections;
    private readonly DicomTranscoder _transcoder = DicomTranscoder.Default;

    private StoreCompression(IReadOnlyList<TransferSyntax> defaultSyntax, Dictionary<string, IReadOnlyList<TransferSyntax>> collections)
    {
        _default = defaultSyntax;
        _collections = collections;
    }

    /// <summary>The syntaxes that may be named: lossless, with an encoder, and compressing (not Encapsulated Uncompressed).</summary>
    public static IReadOnlyList<TransferSyntax> Allowed { get; } =
        CodecRegistry.Default.Codecs.Where(c => !c.TransferSyntax.IsLossy && !c.TransferSyntax.Equals(TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian)
                && c.CanEncode(new PixelDataInfo { Rows = 1, Columns = 1, BitsAllocated = 8, BitsStored = 8, HighBit = 7 }))
            .Select(c => c.TransferSyntax).OrderBy(t => t.Uid, StringComparer.Ordinal).ToList();

    /// <summary>The configured compression, or null when every collection stores as received; an unknown or lossy syntax is an error naming the allowed ones.</summary>
    public static StoreCompression? Create(ServerOptions.StorageSection storage)
    {
        var defaultSyntax = ResolveList(storage.Compression, "Storage.Compression");
        var collections = storage.CollectionCompression.ToDictionary(p => p.Key, p => ResolveList(p.Value, $"Storage.CollectionCompression.{p.Key}"), StringComparer.OrdinalIgnoreCase);
        return defaultSyntax.Count == 0 && collections.Values.All(v => v.Count == 0) ? null : new StoreCompression(defaultSyntax, collections);
    }

    /// <summary>Syntaxes separated by commas, in the order they are tried; empty for None.</summary>
    public static IReadOnlyList<TransferSyntax> ResolveList(string? names, string setting) =>
        (names ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(n => Resolve(n, setting)).OfType<TransferSyntax>().Distinct().ToList();

    /// <summary>A lossless syntax we encode, by keyword or UID; null for None or empty; an error naming the allowed ones otherwise.</summary>
    public static TransferSyntax? Resolve(string? nameOrUid, string setting)
    {
        if (string.IsNullOrWhiteSpace(nameOrUid) || string.Equals(nameOrUid, "None", StringComparison.OrdinalIgnoreCase)) return null;
        var uid = DicomUids.All.FirstOrDefault(u => u.Type == DicomUidType.TransferSyntax && (u.Value == nameOrUid || u.Keyword == nameOrUid))?.Value;
        return Allowed.FirstOrDefault(t => t.Uid == uid)
            ?? throw new InvalidDataException($"{setting}: '{nameOrUid}' is not a syntax we compress into; use None or one of " +
                string.Join(", ", Allowed.Select(t => $"{DicomUids.All.FirstOrDefault(u => u.Value == t.Uid)?.Keyword} ({t.Uid})")) + " (lossless only).");
    }

    public IReadOnlyList<TransferSyntax> TargetsFor(string collection) => _collections.TryGetValue(collection, out var syntaxes) ? syntaxes : _default;

    /// <summary>Why an instance with this header is not re-encoded in <paramref name="target"/>, or null when it can be (native image, a layout the codec holds, pixel data of its frames' length, frames within <see cref="MaxFrameBytes"/>).</summary>
    public static string? WhyNot(DicomDataset dataset, TransferSyntax syntax, TransferSyntax target)
    {
        if (syntax.IsEncapsulated) return "already compressed";
        if (dataset.Get(DicomTags.PixelData) is not { } pixelData || pixelData is DicomFragmentSequence) return "no pixel data";
        PixelDataInfo info;
        try
        {
            info = PixelDataInfo.FromDataset(dataset);
        }
        catch (DicomCodecException e)
        {
            return e.Message;
        }
        // A lossy JPEG (a C-GET requestor's first choice) takes a CT's samples once moved onto 12 bits, if they span few enough values.
        if (!DicomTranscoder.Default.Registry.Get(target).CanEncode(info) && !(target.IsLossy && DicomTranscoder.MayMapModalityRange(dataset, info)))
            return $"{target.Name} does not hold {info.SamplesPerPixel} sample(s) of {info.BitsStored} of {info.BitsAllocated} bits ({info.PhotometricInterpretation})";
        if (info.FrameSize > MaxFrameBytes)
            return $"its frames of {info.FrameSize / (1 << 20)} MiB are larger than the {MaxFrameBytes >> 20} MiB compressed at once";
        // Exactly the frames (and the pad byte of an odd total): bytes beyond them would not survive encoding.
        if (pixelData.Buffer.Length != info.TotalSize && pixelData.Buffer.Length != info.TotalSize + (info.TotalSize & 1))
            return $"its pixel data has {pixelData.Buffer.Length} bytes where its attributes give {info.TotalSize}";
        return null;
    }

    public (DicomDataset Dataset, TransferSyntax Syntax)? Compress(DicomDataset dataset, TransferSyntax syntax, string collection, string scratchPath, out string? skipped)
    {
        skipped = null;
        // Already compressed, or no image: as received, nothing to say.
        if (syntax.IsEncapsulated || dataset.Get(DicomTags.PixelData) is null or DicomFragmentSequence) return null;
        var reasons = new List<string>();
        foreach (var target in TargetsFor(collection))
        {
            if (WhyNot(dataset, syntax, target) is { } why)
            {
                reasons.Add(why);
                continue;
            }
            try
            {
                return (_transcoder.Transcode(dataset, syntax, target, scratchPath), target);
            }
            catch (Exception e) when (e is DicomCodecException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                // Never a store lost to compression: an encoder that cannot (or fails) leaves the instance as received,
                // or to the next syntax, which starts a new scratch file.
                File.Delete(scratchPath);
                reasons.Add($"{target.Name}: {e.Message}");
            }
        }
        if (reasons.Count > 0) skipped = string.Join("; ", reasons);
        return null;
    }
}
