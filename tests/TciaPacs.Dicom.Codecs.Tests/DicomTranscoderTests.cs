using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

[TestFixture]
public sealed class DicomTranscoderTests : TempFolderTests
{
    private static readonly DicomTranscoder Transcoder = new();

    [Test]
    public void NativeToNativeOnlyChangesTheSyntax()
    {
        var info = TestImages.Info(3, 5, 16);
        var pixels = GeneratedImage.Make(info.TotalSize, "random", 7);
        var file = TestImages.NativeFile(info, pixels);
        var big = Transcoder.Transcode(file, TransferSyntax.ExplicitVRBigEndian);
        Assert.That(big.TransferSyntax, Is.EqualTo(TransferSyntax.ExplicitVRBigEndian));
        Assert.That(big.Meta.GetString(DicomTags.TransferSyntaxUID), Is.EqualTo(TransferSyntax.ExplicitVRBigEndian.Uid));
        Assert.That(big.Dataset.Get(DicomTags.PixelData)!.Buffer, Is.SameAs(file.Dataset.Get(DicomTags.PixelData)!.Buffer), "values are shared, not copied");
        Assert.That(TestImages.NativePixels(TestImages.SaveAndReopen(big)), Is.EqualTo(pixels));
    }

    [Test]
    public void SameEncapsulatedSyntaxPassesThrough()
    {
        var file = DicomFile.Open(Corpus.PathOf("encapsulated/sm_image_jpegls.dcm"));
        var same = Transcoder.Transcode(file, file.TransferSyntax);
        var a = (DicomFragmentSequence)file.Dataset.Get(DicomTags.PixelData)!;
        var b = (DicomFragmentSequence)same.Dataset.Get(DicomTags.PixelData)!;
        Assert.That(b.Fragments, Is.EqualTo(a.Fragments));
    }

    [Test]
    public void NoCodecIsANotSupportedExceptionNamingTheSyntax()
    {
        // JPEG 2000 Part 2 Multi-component has no codec here: the JPEG XL file's frames labelled so.
        var part2 = TransferSyntax.Lookup("1.2.840.10008.1.2.4.92");
        var jxl = DicomFile.Open(Corpus.PathOf("transfer-syntax/jpeg-xl/will-jxl.dcm"));
        var file = new DicomFile(DicomWriter.BuildMeta(jxl.Meta, jxl.Dataset, part2), jxl.Dataset, part2);
        var e = Assert.Throws<NotSupportedException>(() => Transcoder.Transcode(file, TransferSyntax.ExplicitVRLittleEndian))!;
        Assert.That(e.Message, Does.Contain(part2.Uid));
        var native = TestImages.NativeFile(TestImages.Info(2, 2, 8), new byte[4]);
        Assert.That(Assert.Throws<NotSupportedException>(() => Transcoder.Transcode(native, part2))!.Message, Does.Contain(part2.Uid));
        // JPEG XL decodes (with libjxl) but is not written: asking for it is a clear error.
        Assert.That(Assert.Throws<NotSupportedException>(() => Transcoder.Transcode(native, jxl.TransferSyntax))!.Message, Does.Contain("cannot encode"));
        // Lossy HTJ2K decodes but is not written: asking for it is the same clear error.
        Assert.That(Assert.Throws<NotSupportedException>(() => Transcoder.Transcode(native, TransferSyntax.HTJ2K))!.Message, Does.Contain("cannot encode"));
    }

    [Test]
    public void AnEmptyRegistryHasNoCodecs()
    {
        var native = TestImages.NativeFile(TestImages.Info(2, 2, 8), new byte[4]);
        Assert.Throws<NotSupportedException>(() => new DicomTranscoder(new CodecRegistry([])).Transcode(native, TransferSyntax.RLELossless));
        Assert.That(CodecRegistry.Default.TryGet(TransferSyntax.RLELossless, out var rle), Is.True);
        Assert.That(new CodecRegistry([]).With(rle).Codecs, Has.Count.EqualTo(1));
    }

    [Test]
    public void EncodedFilesHaveOneFragmentPerFrameAndABasicOffsetTable()
    {
        var info = TestImages.Info(4, 4, 8, frames: 3);
        var file = TestImages.NativeFile(info, GeneratedImage.Make(info.TotalSize, "runs", 3));
        var rle = Transcoder.Transcode(file, TransferSyntax.RLELossless);
        var pixelData = (DicomFragmentSequence)rle.Dataset.Get(DicomTags.PixelData)!;
        Assert.That(pixelData.Fragments, Has.Count.EqualTo(3));
        Assert.That(pixelData.Fragments.All(f => f.Length % 2 == 0), Is.True);
        var offsets = pixelData.GetBasicOffsets();
        Assert.That(offsets[0], Is.Zero);
        Assert.That(offsets[1], Is.EqualTo(8 + pixelData.Fragments[0].Length));
        Assert.That(offsets[2], Is.EqualTo(16 + pixelData.Fragments[0].Length + pixelData.Fragments[1].Length));
    }

    [Test]
    public void DecodedColourKeepsPhotometricAndPlanarConfiguration()
    {
        var file = DicomFile.Open(Corpus.PathOf("transfer-syntax/rle/YBR_FULL-RLE.dcm"));
        var native = Transcoder.Transcode(file, TransferSyntax.ExplicitVRLittleEndian);
        Assert.That(native.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("YBR_FULL"));
        Assert.That(native.Dataset.GetInt(DicomTags.PlanarConfiguration), Is.EqualTo(file.Dataset.GetInt(DicomTags.PlanarConfiguration) ?? 0));
        Assert.That(native.Dataset.Get(DicomTags.PixelData), Is.Not.InstanceOf<DicomFragmentSequence>());
    }

    [Test]
    public void CorruptFramesNameTheFrame()
    {
        var info = TestImages.Info(4, 4, 8, frames: 2);
        var rle = Transcoder.Transcode(TestImages.NativeFile(info, GeneratedImage.Make(info.TotalSize, "random", 5)), TransferSyntax.RLELossless);
        var pixelData = (DicomFragmentSequence)rle.Dataset.Get(DicomTags.PixelData)!;
        pixelData.Fragments[1] = new MemoryBuffer(pixelData.Fragments[1].GetBytes()[..70]);
        var e = Assert.Throws<DicomCodecException>(() => Transcoder.Transcode(rle, TransferSyntax.ExplicitVRLittleEndian))!;
        Assert.That(e.Message, Does.StartWith("Frame 2 of 2").And.Contain("truncated"));
    }

    [Test]
    public void NativePixelDataShorterThanItsAttributesIsRefused()
    {
        var file = TestImages.NativeFile(TestImages.Info(4, 4, 16), new byte[20]);
        Assert.That(Assert.Throws<DicomCodecException>(() => Transcoder.Transcode(file, TransferSyntax.RLELossless))!.Message, Does.Contain("need 32"));
    }

    [Test]
    public void NativeFramesLeftInTheFileAreEncoded()
    {
        var path = Corpus.PathOf("large/MOVEKNEE.dcm");
        var onDisk = DicomFile.Open(path);
        Assert.That(onDisk.Dataset.Get(DicomTags.PixelData)!.Buffer, Is.InstanceOf<FileBuffer>());
        var back = Transcoder.Transcode(Transcoder.Transcode(onDisk, TransferSyntax.RLELossless), TransferSyntax.ImplicitVRLittleEndian);
        Assert.That(TestImages.NativePixels(back), Is.EqualTo(TestImages.NativePixels(onDisk)));
    }

    [Test]
    public void TranscodeFileWritesWhatTranscodeGivesForEveryCorpusRleFile()
    {
        var files = Corpus.Entries.Where(e => e.TransferSyntax.StartsWith(TransferSyntax.RLELossless.Uid + " ", StringComparison.Ordinal)).ToList();
        Assert.That(files, Has.Count.GreaterThanOrEqualTo(8));
        var decoded = 0;
        foreach (var entry in files)
        {
            DicomFile eager;
            try { eager = Transcoder.Transcode(DicomFile.Open(entry.FullPath), TransferSyntax.ExplicitVRLittleEndian); }
            catch (Exception ex) when (ex is DicomParseException or DicomCodecException) { continue; } // unreadable or undecodable: both ways alike, below
            var path = Path.Combine(Temp, $"{decoded++}.dcm");
            Transcoder.TranscodeFile(entry.FullPath, TransferSyntax.ExplicitVRLittleEndian, path);
            var expected = new MemoryStream();
            eager.Save(expected, TransferSyntax.ExplicitVRLittleEndian);
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(expected.ToArray()), entry.Path);
        }
        Assert.That(decoded, Is.GreaterThanOrEqualTo(8));
    }

    [Test]
    public void TranscodeFileHoldsOneDecodedFrameAtATime()
    {
        // 40 frames of 512 x 512 x 16 bits: 20 MiB decoded, a few hundred KiB encoded.
        var info = TestImages.Info(512, 512, 16, frames: 40);
        var rle = Transcoder.Transcode(TestImages.NativeFile(info, GeneratedImage.Make(info.TotalSize, "runs", 11)), TransferSyntax.RLELossless);
        var source = Path.Combine(Temp, "rle.dcm");
        rle.Save(source);
        var target = Path.Combine(Temp, "native.dcm");
        var before = GC.GetAllocatedBytesForCurrentThread();
        Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, target);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.LessThan(info.TotalSize / 4), $"{allocated} bytes allocated to write {info.TotalSize} decoded bytes");
        Assert.That(TestImages.NativePixels(DicomFile.Open(target)), Is.EqualTo(TestImages.NativePixels(Transcoder.Transcode(rle, TransferSyntax.ExplicitVRLittleEndian))));
    }

    [Test]
    public void TranscodeFileThrowsForACorruptFrameWhenItReachesIt()
    {
        var info = TestImages.Info(4, 4, 8, frames: 2);
        var rle = Transcoder.Transcode(TestImages.NativeFile(info, GeneratedImage.Make(info.TotalSize, "random", 5)), TransferSyntax.RLELossless);
        var pixelData = (DicomFragmentSequence)rle.Dataset.Get(DicomTags.PixelData)!;
        pixelData.Fragments[1] = new MemoryBuffer(pixelData.Fragments[1].GetBytes()[..70]);
        var source = Path.Combine(Temp, "rle.dcm");
        rle.Save(source);
        var e = Assert.Throws<DicomCodecException>(() => Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, Path.Combine(Temp, "native.dcm")))!;
        Assert.That(e.Message, Does.StartWith("Frame 2 of 2").And.Contain("truncated"));
    }

    [Test]
    public void InfoReadsTheImagePixelModule()
    {
        var info = PixelDataInfo.FromDataset(DicomFile.Open(Corpus.PathOf("transfer-syntax/rle/SC_rgb_rle_32bit_2frame.dcm")).Dataset);
        Assert.That((info.Rows, info.Columns, info.SamplesPerPixel, info.BitsAllocated, info.NumberOfFrames, info.PhotometricInterpretation),
            Is.EqualTo((100, 100, 3, 32, 2, "RGB")));
        Assert.That(info.FrameSize, Is.EqualTo(100 * 100 * 3 * 4));
        Assert.Throws<DicomCodecException>(() => PixelDataInfo.FromDataset(new DicomDataset()));
    }
}
