using CsCheck;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Deflate;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, Supplement 244): the corpus's segmentations decode to the
/// native one they were made from, and to what Python's zlib inflates (frames joined bit by bit where 1-bit frames do
/// not end on a byte); what we encode, zlib inflates to the native frames; damaged frames give a clear error.
/// </summary>
[TestFixture]
public sealed class DeflatedFrameCodecTests : TempFolderTests
{
    private const string Aligned = "transfer-syntax/deflated-image-frame/liver_deflate.dcm";
    private const string NotAligned = "transfer-syntax/deflated-image-frame/liver_nonbyte_aligned_deflate.dcm";
    private static readonly DeflatedFrameCodec Codec = new();

    // Inflates each fragment of a file with zlib (raw deflate) and joins the frames as native 1-bit (or byte) data:
    // the pixel data a native file would hold, written to argv[2].
    private const string ZlibReference = """
        import sys, zlib, pydicom
        from pydicom.encaps import generate_pixel_data_frame
        ds = pydicom.dcmread(sys.argv[1])
        n = int(getattr(ds, "NumberOfFrames", 1) or 1)
        bits = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated
        frames = [zlib.decompress(f, -15) for f in generate_pixel_data_frame(ds.PixelData, n)]
        out = bytearray((bits * n + 7) // 8)
        for f, frame in enumerate(frames):
            assert len(frame) == (bits + 7) // 8, len(frame)
            for i in range(bits):
                if frame[i >> 3] >> (i & 7) & 1:
                    d = f * bits + i
                    out[d >> 3] |= 1 << (d & 7)
        open(sys.argv[2], "wb").write(bytes(out))
        """;

    private byte[] ZlibPixels(string path)
    {
        var output = Path.Combine(Temp, Guid.NewGuid().ToString("N") + ".raw");
        var r = ExternalTool.Run("/usr/bin/python3", ["-c", ZlibReference, path, output]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        return File.ReadAllBytes(output);
    }

    private byte[] DecodeOurs(string path)
    {
        var decoded = Path.Combine(Temp, Guid.NewGuid().ToString("N") + ".dcm");
        new DicomTranscoder().TranscodeFile(path, TransferSyntax.ExplicitVRLittleEndian, decoded);
        return TestImages.NativePixels(DicomFile.Open(decoded));
    }

    [Test]
    public void The_segmentation_decodes_to_the_native_one_it_was_made_from()
    {
        var ours = DecodeOurs(Corpus.PathOf(Aligned));
        var native = TestImages.NativePixels(DicomFile.Open(Corpus.PathOf("modality/SEG/liver.dcm")));
        Assert.That(ours, Is.EqualTo(native));
        Assert.That(ours, Is.EqualTo(ZlibPixels(Corpus.PathOf(Aligned))));
    }

    [Test]
    public void Frames_that_do_not_end_on_a_byte_are_joined_bit_by_bit()
    {
        var path = Corpus.PathOf(NotAligned);
        var info = PixelDataInfo.FromDataset(DicomFile.Open(path).Dataset);
        Assert.That(info.FramesAreBitPacked, Is.True, "510 x 510 bits: frames 2 and 3 start inside a byte");
        var ours = DecodeOurs(path);
        Assert.That(ours, Has.Length.EqualTo((510 * 510 * 3 + 7) / 8));
        Assert.That(ours, Is.EqualTo(ZlibPixels(path)));
        // And back: encoded from the packed native data, decoded again, the same bits.
        var native = new DicomTranscoder().Transcode(DicomFile.Open(path), TransferSyntax.ExplicitVRLittleEndian);
        var again = new DicomTranscoder().Transcode(TestImages.SaveAndReopen(new DicomTranscoder().Transcode(native, TransferSyntax.DeflatedImageFrameCompression)), TransferSyntax.ExplicitVRLittleEndian);
        Assert.That(TestImages.NativePixels(again), Is.EqualTo(ours));
    }

    /// <summary>1-bit images of every width (frames starting inside a byte), 8, 16 and 32 bits, colour-by-plane too.</summary>
    [Test]
    public void Native_images_survive_deflate_and_inflate() =>
        Gen.Select(Gen.Int[1, 30], Gen.Int[1, 70], Gen.OneOfConst(1, 8, 16, 32), Gen.OneOfConst(1, 3), Gen.Int[1, 4], Gen.Int[0, 1], Gen.Int).Sample((rows, columns, bits, samples, frames, planar, seed) =>
        {
            if (bits == 1) samples = 1;
            var info = TestImages.Info(rows, columns, bits, samples, frames, planar);
            var pixels = new byte[info.TotalSize];
            new Random(seed).NextBytes(pixels);
            if (info.TotalSize * 8 > info.FrameBits * frames) pixels[^1] &= (byte)((1 << (int)(info.FrameBits * frames % 8)) - 1); // bits past the last frame are 0
            var file = TestImages.NativeFile(info, pixels);
            var deflated = TestImages.SaveAndReopen(new DicomTranscoder().Transcode(file, TransferSyntax.DeflatedImageFrameCompression));
            Assert.That(EncapsulatedFrames.FromDataset(deflated.Dataset).Count, Is.EqualTo(frames));
            var back = new DicomTranscoder().Transcode(deflated, TransferSyntax.ExplicitVRLittleEndian);
            Assert.That(TestImages.NativePixels(back), Is.EqualTo(pixels), $"{rows}x{columns}x{samples} {bits}-bit, {frames} frame(s)");
        }, iter: 200);

    [Test]
    public void What_we_encode_zlib_inflates()
    {
        // 1-bit, 37 x 29: every frame after the first starts inside a byte.
        var info = TestImages.Info(37, 29, 1, frames: 3);
        var pixels = new byte[info.TotalSize];
        new Random(7).NextBytes(pixels);
        pixels[^1] &= (byte)((1 << (int)(info.FrameBits * 3 % 8)) - 1);
        var path = Path.Combine(Temp, "ours.dcm");
        new DicomTranscoder().Transcode(TestImages.NativeFile(info, pixels), TransferSyntax.DeflatedImageFrameCompression).Save(path);
        Assert.That(ZlibPixels(path), Is.EqualTo(pixels));
    }

    [Test]
    public void Damaged_frames_decode_or_throw_DicomCodecException()
    {
        DamagedFrames.CheckCorpusFile(Aligned);
        DamagedFrames.CheckCorpusFile(NotAligned);
        var info = PixelDataInfo.FromDataset(DicomFile.Open(Corpus.PathOf(Aligned)).Dataset);
        var frame = EncapsulatedFrames.FromDataset(DicomFile.Open(Corpus.PathOf(Aligned)).Dataset).GetFrame(0).ToArray();
        var destination = new byte[info.FrameSize];
        Assert.That(() => Codec.DecodeFrame(frame[..(frame.Length / 2)], info, destination), Throws.TypeOf<DicomCodecException>().With.Message.Contain("inflates to"));
        var smaller = info with { Rows = info.Rows - 1 };
        Assert.That(() => Codec.DecodeFrame(frame, smaller, new byte[smaller.FrameSize]), Throws.TypeOf<DicomCodecException>().With.Message.Contain("more than"));
    }
}
