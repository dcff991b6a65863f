using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>Fragments map to frames through the Extended or Basic Offset Table, or without one as pydicom guesses (PS3.5 A.4).</summary>
[TestFixture]
public sealed class EncapsulatedFramesTests
{
    private static DicomBuffer B(params byte[] bytes) => new MemoryBuffer(bytes);

    private static byte[] Bot(params uint[] offsets) => offsets.SelectMany(BitConverter.GetBytes).ToArray();

    private static DicomFragmentSequence Pixels(byte[] bot, params DicomBuffer[] fragments) =>
        new(DicomTags.PixelData, VR.OB, new MemoryBuffer(bot), fragments);

    [Test]
    public void Fragments_left_in_the_file_map_to_frames_by_their_end_of_image_markers()
    {
        // 1,000 frames of two 100-byte fragments each, no offset table: the frame boundaries come from the FFD9 at the
        // end of each frame's second fragment, read from the file (the fragments add up to more than the parser keeps
        // in memory).
        var fragments = new List<DicomBuffer>();
        for (var f = 0; f < 1000; f++)
        {
            var head = Enumerable.Range(0, 100).Select(i => (byte)(f + i)).ToArray();
            var tail = Enumerable.Range(0, 100).Select(i => (byte)(f * 3 + i)).ToArray();
            head[^2] = 0; tail[^2] = 0xFF; tail[^1] = 0xD9;
            fragments.Add(new MemoryBuffer(head));
            fragments.Add(new MemoryBuffer(tail));
        }
        var path = EncapsulatedFiles.WriteTemporary(fragments);
        try
        {
            var read = (DicomFragmentSequence)DicomFile.Open(path).Dataset.Get(DicomTags.PixelData)!;
            Assert.That(read.Fragments.Count(x => x is FileBuffer), Is.GreaterThan(1000), "most fragments stay in the file");
            var frames = new EncapsulatedFrames(read, 1000);
            Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.EndOfImageMarkers));
            Assert.That(frames.Count, Is.EqualTo(1000));
            foreach (var f in new[] { 0, 499, 999 })
                Assert.That(frames.GetFrame(f).ToArray(), Is.EqualTo(fragments[2 * f].GetBytes().ToArray().Concat(fragments[2 * f + 1].GetBytes().ToArray()).ToArray()), $"frame {f}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void BasicOffsetTableGroupsFragments()
    {
        // Frame 1: two fragments of 2 bytes (items of 10 bytes each), frame 2 from byte 20.
        var frames = new EncapsulatedFrames(Pixels(Bot(0, 20), B(1, 2), B(3, 4), B(5, 6)), 2);
        Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.BasicOffsetTable));
        Assert.That(frames.GetFrame(0).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        Assert.That(frames.GetFrame(1).ToArray(), Is.EqualTo(new byte[] { 5, 6 }));
    }

    [Test]
    public void ABasicOffsetTableThatPointsBetweenItemsIsNotTrusted()
    {
        var frames = new EncapsulatedFrames(Pixels(Bot(0, 12), B(1, 2), B(3, 4)), 2);
        Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.OneFragmentPerFrame));
    }

    [Test]
    public void ExtendedOffsetTableWithLengths()
    {
        var offsets = new ulong[] { 0, 12 }.SelectMany(BitConverter.GetBytes).ToArray();
        var lengths = new ulong[] { 3, 4 }.SelectMany(BitConverter.GetBytes).ToArray();
        var frames = new EncapsulatedFrames(Pixels([], B(1, 2, 3, 0), B(5, 6, 7, 8)), 2, offsets, lengths);
        Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.ExtendedOffsetTable));
        Assert.That(frames.GetFrame(0).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }), "cut to the length, dropping the pad byte");
        Assert.That(frames.GetFrame(1).ToArray(), Is.EqualTo(new byte[] { 5, 6, 7, 8 }));
    }

    [Test]
    public void WithoutTableOneFragmentPerFrame()
    {
        var frames = new EncapsulatedFrames(Pixels([], B(1, 2), B(3, 4), B(5, 6)), 3);
        Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.OneFragmentPerFrame));
        Assert.That(frames.Count, Is.EqualTo(3));
        Assert.That(frames.GetFrame(2).ToArray(), Is.EqualTo(new byte[] { 5, 6 }));
    }

    [Test]
    public void WithoutTableASingleFrameTakesEveryFragment()
    {
        var frames = new EncapsulatedFrames(Pixels([], B(1, 2), B(3, 4), B(5, 6)), 1);
        Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.SingleFrame));
        Assert.That(frames.GetFrame(0).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void WithoutTableFramesEndAtEndOfImageMarkers()
    {
        // Two JPEG-like frames in 3 + 2 fragments; the first EOI is followed by a pad byte.
        var frames = new EncapsulatedFrames(Pixels([], B(0xFF, 0xD8, 1, 2), B(3, 4), B(5, 0xFF, 0xD9, 0), B(0xFF, 0xD8), B(6, 0xFF, 0xD9, 0)), 2);
        Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.EndOfImageMarkers));
        Assert.That(frames.Count, Is.EqualTo(2));
        Assert.That(frames.GetFragments(0), Has.Count.EqualTo(3));
        Assert.That(frames.GetFrame(1).ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xD8, 6, 0xFF, 0xD9, 0 }));
    }

    [Test]
    public void FewerFragmentsThanFramesCannotBeSplit() =>
        Assert.That(Assert.Throws<DicomCodecException>(() => new EncapsulatedFrames(Pixels([], B(1, 2)), 2))!.Message, Does.Contain("1 fragments for 2 frames"));

    [Test]
    public void NoFragments() =>
        Assert.Throws<DicomCodecException>(() => new EncapsulatedFrames(Pixels([]), 1));

    [TestCase("encapsulated/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm", 2, FrameMapping.EndOfImageMarkers)]
    [TestCase("encapsulated/CT0012.fragmented_no_bot_jpeg_ls.80.dcm", 2, FrameMapping.EndOfImageMarkers)]
    [TestCase("encapsulated/CT0012.not_fragmented_bot_rle.dcm", 2, FrameMapping.BasicOffsetTable)]
    [TestCase("encapsulated/CT0012.not_fragmented_no_bot_rle.dcm", 2, FrameMapping.OneFragmentPerFrame)]
    [TestCase("encapsulated/D_CLUNIE_CT1_RLE_FRAGS.dcm", 1, FrameMapping.SingleFrame)]
    [TestCase("encapsulated/sm_image_jpegls.dcm", 25, FrameMapping.BasicOffsetTable)]
    [TestCase("encapsulated/HasFragmentSequence.dcm", 96, FrameMapping.BasicOffsetTable)]
    [TestCase("encapsulated/CT0012.not_fragmented_no_bot_jpeg_ls.80.dcm", 2, FrameMapping.OneFragmentPerFrame)]
    public void CorpusFramesAreFound(string relative, int count, FrameMapping mapping)
    {
        var frames = EncapsulatedFrames.FromDataset(DicomFile.Open(Corpus.PathOf(relative)).Dataset);
        Assert.That(frames.Mapping, Is.EqualTo(mapping));
        Assert.That(frames.Count, Is.EqualTo(count));
        for (var f = 0; f < frames.Count; f++)
        {
            var frame = frames.GetFrame(f).Span;
            if (relative.Contains("jpeg", StringComparison.Ordinal))
                Assert.That(frame[..2].ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xD8 }), $"frame {f + 1} starts with SOI");
        }
    }

    [Test]
    public void FramesWithAndWithoutOffsetTableAreTheSame()
    {
        var withBot = EncapsulatedFrames.FromDataset(DicomFile.Open(Corpus.PathOf("encapsulated/sm_image_jpegls.dcm")).Dataset);
        var without = EncapsulatedFrames.FromDataset(DicomFile.Open(Corpus.PathOf("encapsulated/sm_image_jpegls_nobot.dcm")).Dataset);
        Assert.That(without.Count, Is.EqualTo(withBot.Count));
        for (var f = 0; f < withBot.Count; f++)
            Assert.That(without.GetFrame(f).ToArray(), Is.EqualTo(withBot.GetFrame(f).ToArray()), $"frame {f + 1}");
    }

    [Test]
    public void FragmentsLeftInTheFileAreReadPerFrame()
    {
        // A small threshold leaves every fragment in the file: frames are read from it one at a time.
        var path = Corpus.PathOf("encapsulated/CT0012.fragmented_no_bot_jpeg_ls.80.dcm");
        var onDisk = DicomFile.Open(path, new DicomReadOptions { LargeValueThreshold = 16 });
        var inMemory = DicomFile.Read(File.OpenRead(path));
        var a = EncapsulatedFrames.FromDataset(onDisk.Dataset);
        var b = EncapsulatedFrames.FromDataset(inMemory.Dataset);
        Assert.That(a.GetFragments(0).All(f => f is FileBuffer), Is.True);
        Assert.That(a.Count, Is.EqualTo(b.Count));
        for (var f = 0; f < a.Count; f++) Assert.That(a.GetFrame(f).ToArray(), Is.EqualTo(b.GetFrame(f).ToArray()));
    }
}
