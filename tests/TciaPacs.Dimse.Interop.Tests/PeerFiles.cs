using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>The corpus files the peer tests (Orthanc, CTN, Odil, PixelMed) send, each for what it exercises.</summary>
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
}
