using CsCheck;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Rle;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>Encode then decode gives the pixels back, for generated images of every supported layout (PS3.5 Annex G).</summary>
[TestFixture]
public sealed class RleRoundTripTests
{
    private static readonly RleCodec Codec = new();

    [Test]
    public void EveryFrameRoundTrips() =>
        GeneratedImage.Gen.Sample(image =>
        {
            var info = image.Info;
            var frameSize = (int)info.FrameSize;
            for (var f = 0; f < info.NumberOfFrames; f++)
            {
                var native = image.Pixels.AsSpan(f * frameSize, frameSize);
                var encoded = Codec.EncodeFrame(native, info);
                Assert.That(encoded.Length % 2, Is.Zero, "encoded frames have even length (PS3.5 G.5)");
                Assert.That(encoded.Length, Is.LessThanOrEqualTo(RleCodec.GetMaxEncodedLength(info)));
                var decoded = new byte[frameSize];
                Codec.DecodeFrame(encoded, info, decoded);
                Assert.That(decoded.AsSpan().SequenceEqual(native), Is.True, $"frame {f + 1} of {image}");
            }
        }, iter: 300, print: i => i.ToString());

    [Test]
    public void SegmentsAreMostSignificantByteFirstAndEven() =>
        GeneratedImage.Gen.Sample(image =>
        {
            var info = image.Info;
            var encoded = Codec.EncodeFrame(image.Pixels.AsSpan(0, (int)info.FrameSize), info);
            var segments = BitConverter.ToUInt32(encoded, 0);
            Assert.That(segments, Is.EqualTo(info.BytesAllocated * info.SamplesPerPixel));
            for (var s = 0; s < segments; s++)
                Assert.That(BitConverter.ToUInt32(encoded, 4 + 4 * s) % 2, Is.Zero, $"segment {s + 1} starts on an even offset");
            for (var s = (int)segments; s < 15; s++)
                Assert.That(BitConverter.ToUInt32(encoded, 4 + 4 * s), Is.Zero, "unused offsets are zero (PS3.5 G.5)");
        }, iter: 100, print: i => i.ToString());

    [Test]
    public void SixteenBitSegmentsHoldHighThenLowBytes()
    {
        var info = TestImages.Info(1, 4, 16);
        byte[] native = [0x34, 0x12, 0x34, 0x12, 0x34, 0x12, 0x34, 0x12]; // four pixels of 0x1234, little endian
        var encoded = Codec.EncodeFrame(native, info);
        var first = BitConverter.ToInt32(encoded, 4);
        var second = BitConverter.ToInt32(encoded, 8);
        // A replicate run of four: header 1 - 4 = -3, then the byte (PS3.5 G.3.1).
        Assert.That(encoded[first..(first + 2)], Is.EqualTo(new byte[] { 0xFD, 0x12 }));
        Assert.That(encoded[second..(second + 2)], Is.EqualTo(new byte[] { 0xFD, 0x34 }));
    }

    [Test]
    public void RgbIsDecodedInTheDataSetsPlanarConfiguration()
    {
        // Two RGB pixels: (1,2,3) and (4,5,6).
        var interleaved = TestImages.Info(1, 2, 8, samples: 3, planar: 0);
        var planar = interleaved with { PlanarConfiguration = 1 };
        var encoded = Codec.EncodeFrame(new byte[] { 1, 2, 3, 4, 5, 6 }, interleaved);
        var a = new byte[6];
        var b = new byte[6];
        Codec.DecodeFrame(encoded, interleaved, a);
        Codec.DecodeFrame(encoded, planar, b);
        Assert.That(a, Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(b, Is.EqualTo(new byte[] { 1, 4, 2, 5, 3, 6 }), "the segments are colour-by-plane whatever the layout (PS3.5 G.2)");
    }

    [Test]
    public void DecodesOddSegmentsAndPadBytes()
    {
        // One 8-bit segment of 3 bytes (literal of 2: 0x01 a b), padded with 0x00 to even length; a no-op (-128) first.
        byte[] frame = [.. Header(1, 64), 0x80, 0x01, 0xAA, 0xBB, 0x00, 0x00];
        var decoded = new byte[2];
        Codec.DecodeFrame(frame, TestImages.Info(1, 2, 8), decoded);
        Assert.That(decoded, Is.EqualTo(new byte[] { 0xAA, 0xBB }));
    }

    [Test]
    public void TranscodesMultiFrameFilesBothWays() =>
        GeneratedImage.Gen.Sample(image =>
        {
            var transcoder = new DicomTranscoder();
            var file = TestImages.NativeFile(image.Info, image.Pixels);
            var rle = TestImages.SaveAndReopen(transcoder.Transcode(file, TransferSyntax.RLELossless));
            var frames = EncapsulatedFrames.FromDataset(rle.Dataset);
            Assert.That(frames.Count, Is.EqualTo(image.Info.NumberOfFrames));
            Assert.That(frames.Mapping, Is.EqualTo(FrameMapping.BasicOffsetTable));
            var back = TestImages.SaveAndReopen(transcoder.Transcode(rle, TransferSyntax.ExplicitVRBigEndian));
            Assert.That(TestImages.NativePixels(back), Is.EqualTo(image.Pixels), image.ToString());
            Assert.That(back.Dataset.Get(DicomTags.PixelData)!.VR, Is.EqualTo(image.Info.BitsAllocated > 8 ? VR.OW : VR.OB));
        }, iter: 60, print: i => i.ToString());

    internal static byte[] Header(int segments, params int[] offsets)
    {
        var header = new byte[64];
        BitConverter.TryWriteBytes(header.AsSpan(0), (uint)segments);
        for (var i = 0; i < offsets.Length; i++) BitConverter.TryWriteBytes(header.AsSpan(4 + 4 * i), (uint)offsets[i]);
        return header;
    }
}
