using System.Globalization;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>The corpus files the peer tests (Orthanc, CTN, Odil, PixelMed) send, each for what it exercises, and how what a peer received is compared with what we hold.</summary>
internal static class PeerFiles
{
    public const string Knee = "large/MOVEKNEE.dcm";                 // Enhanced MR, 2.5 MB
    public const string Mr = "modality/MR/emri_small.dcm";
    public const string Ct = "modality/CT/ct_image.dcm";             // its study also holds Sr
    public const string French = "charset/chrFren.dcm";              // ISO_IR 100 name
    public const string BigEndian = "transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm";
    public const string OddLength = "modality/DX/dx_image.dcm";      // Pixel Data of odd length
    public const string DeflatedOdd = "transfer-syntax/deflated/image_dfl.dcm"; // deflated data set of odd length
    public const string JpegLs = "transfer-syntax/jpeg-ls-near-lossless/CT1_JLSN.dcm";
    public const string Rle = "transfer-syntax/rle/YBR_FULL-RLE.dcm";
    public const string Sr = "modality/SR/sr_document.dcm";          // Comprehensive 3D SR (2016)

    /// <summary>A UID or other string of a corpus file, trimmed.</summary>
    public static string Uid(string file, DicomTag tag) =>
        DicomFile.Open(Corpus.PathOf(file), DicomReadOptions.HeaderOnly).Dataset.GetString(tag)?.Trim('\0', ' ') ?? "";

    /// <summary>The files of a folder (and its subfolders) by SOP Instance UID.</summary>
    public static Dictionary<string, string> BySopInstanceUid(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => DicomFile.Open(f, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' '), StringComparer.Ordinal);

    /// <summary>
    /// What was received (by a peer, or by us) is what was sent: the same instances, each data set equal by value
    /// (<see cref="Tree"/>). An instance decoded on the way (compressed at the source, native on arrival) has a native
    /// frame of the right size, and is compared without its pixel data and what decoding rewrites
    /// (RetrieveDecodingTests compares decoded pixels with dcmtk's).
    /// </summary>
    public static void AssertReceivedAsStored(IReadOnlyDictionary<string, string> received, IReadOnlyDictionary<string, string> source)
    {
        Assert.That(received.Keys, Is.EquivalentTo(source.Keys));
        foreach (var (uid, path) in received)
        {
            var (theirs, ours) = (DicomFile.Open(path), DicomFile.Open(source[uid]));
            if (ours.TransferSyntax.IsEncapsulated && !theirs.TransferSyntax.IsEncapsulated)
            {
                var ds = ours.Dataset;
                var length = ds.GetInt(DicomTags.Rows)!.Value * ds.GetInt(DicomTags.Columns)!.Value * ds.GetInt(DicomTags.SamplesPerPixel)!.Value
                    * (ds.GetInt(DicomTags.BitsAllocated)!.Value / 8) * (ds.GetInt(DicomTags.NumberOfFrames) ?? 1);
                Assert.That(theirs.Dataset.Get(DicomTags.PixelData)!.Buffer.Length, Is.EqualTo(length + (length & 1)), uid);
                foreach (var tag in new[] { DicomTags.PixelData, DicomTags.PhotometricInterpretation, DicomTags.PlanarConfiguration })
                {
                    theirs.Dataset.Remove(tag);
                    ours.Dataset.Remove(tag);
                }
            }
            var (a, e) = (Tree(theirs), Tree(ours));
            Assert.That(JsonNode.DeepEquals(a, e), Is.True, $"{uid}: {CorpusRoundTripTests.FirstDifference(a, e)}");
        }
    }

    /// <summary>What a peer sent of <paramref name="corpusFiles"/> is what we stored, each by value.</summary>
    public static void AssertStoredAsSent(IReadOnlyDictionary<string, string> stored, IEnumerable<string> corpusFiles) =>
        AssertReceivedAsStored(stored, corpusFiles.ToDictionary(f => Uid(f, DicomTags.SOPInstanceUID), Corpus.PathOf, StringComparer.Ordinal));

    /// <summary>
    /// The data set compared by value: without VRs (a peer may re-encode in implicit VR), odd values padded, DS and IS as
    /// numbers. Private elements are left out: re-encoded in implicit VR they become UN, whose bytes cannot be set beside
    /// an LO's values.
    /// </summary>
    public static JsonArray Tree(DicomFile file) =>
        CorpusRoundTripTests.Normalize(WithoutPrivate(Numbers(CanonicalTree.FromDataset(file.Dataset, padOdd: true))), withoutVR: true);

    /// <summary>DS and IS values as numbers to 12 digits: Odil writes the files it receives with its own formatting ("0.000000" as "0", "0.7" as "0.6999999999999998").</summary>
    private static JsonArray Numbers(JsonArray tree)
    {
        foreach (var node in tree.OfType<JsonObject>())
        {
            if (node["vr"]?.GetValue<string>() is "DS" or "IS" && node["values"] is JsonArray values)
            {
                node["values"] = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(
                    double.TryParse(v!.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d.ToString("G12", CultureInfo.InvariantCulture) : v.GetValue<string>())!).ToArray());
                node.Remove("sha");
                node.Remove("len");
            }
            if (node["items"] is JsonArray items)
                foreach (var item in items.OfType<JsonArray>()) Numbers(item);
        }
        return tree;
    }

    private static JsonArray WithoutPrivate(JsonArray tree)
    {
        foreach (var node in tree.OfType<JsonObject>().Where(n => (Convert.ToUInt32(n["tag"]!.GetValue<string>(), 16) >> 16 & 1) == 1).ToList())
            tree.Remove(node);
        foreach (var items in tree.OfType<JsonObject>().Select(n => n["items"]).OfType<JsonArray>())
            foreach (var item in items.OfType<JsonArray>()) WithoutPrivate(item);
        return tree;
    }
}
