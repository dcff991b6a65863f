using CsCheck;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Rle;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>Corrupt RLE frames give a <see cref="DicomCodecException"/> that says what is wrong, and nothing is written outside the frame.</summary>
[TestFixture]
public sealed class RleCorruptDataTests
{
    private static readonly RleCodec Codec = new();
    private static readonly PixelDataInfo Gray8 = TestImages.Info(4, 4, 8);
    private static readonly PixelDataInfo Gray16 = TestImages.Info(4, 4, 16);

    private static string DecodeError(byte[] frame, PixelDataInfo info) =>
        Assert.Throws<DicomCodecException>(() => Codec.DecodeFrame(frame, info, new byte[info.FrameSize]))!.Message;

    [Test]
    public void FrameShorterThanTheHeader() =>
        Assert.That(DecodeError(new byte[40], Gray8), Does.Contain("64-byte header"));

    [Test]
    public void MoreThanFifteenSegments()
    {
        var frame = RleRoundTripTests.Header(16, 64);
        Assert.That(DecodeError([.. frame, 0xF1, 0], Gray8), Does.Contain("16 segments").And.Contain("1 to 15"));
    }

    [Test]
    public void ZeroSegments() =>
        Assert.That(DecodeError(RleRoundTripTests.Header(0), Gray8), Does.Contain("0 segments"));

    [Test]
    public void SegmentCountThatDoesNotMatchTheImage()
    {
        var encoded = Codec.EncodeFrame(new byte[16], Gray8);
        Assert.That(DecodeError(encoded, Gray16), Does.Contain("declares 1 segments but the image needs 2"));
    }

    [TestCase(0u, TestName = "Offset inside the header")]
    [TestCase(63u, TestName = "Offset one byte inside the header")]
    [TestCase(100000u, TestName = "Offset past the end of the frame")]
    public void BadSegmentOffset(uint offset)
    {
        var encoded = Codec.EncodeFrame(new byte[32], Gray16);
        BitConverter.TryWriteBytes(encoded.AsSpan(8), offset);
        Assert.That(DecodeError(encoded, Gray16), Does.Contain("segment 2 starts at byte " + offset));
    }

    [Test]
    public void OffsetsOutOfOrder()
    {
        var encoded = Codec.EncodeFrame(new byte[32], Gray16);
        BitConverter.TryWriteBytes(encoded.AsSpan(4), 70u);
        BitConverter.TryWriteBytes(encoded.AsSpan(8), 66u);
        Assert.That(DecodeError(encoded, Gray16), Does.Contain("before segment 1"));
    }

    [Test]
    public void TruncatedSegment()
    {
        var pixels = GeneratedImage.Make(16, "random", 1);
        var encoded = Codec.EncodeFrame(pixels, Gray8);
        Assert.That(DecodeError(encoded[..^4], Gray8), Does.Contain("truncated"));
    }

    [Test]
    public void SegmentThatDecodesToTooFewBytes()
    {
        // A replicate run of 4 where a 4x4 segment needs 16 bytes.
        Assert.That(DecodeError([.. RleRoundTripTests.Header(1, 64), 0xFD, 0x07], Gray8), Does.Contain("decodes to 4 of the 16 bytes"));
    }

    [Test]
    public void RunPastTheEndOfTheSegment()
    {
        // One literal byte, then a replicate run of 16 where 15 bytes are left.
        Assert.That(DecodeError([.. RleRoundTripTests.Header(1, 64), 0x00, 0x01, 0xF1, 0x02], Gray8), Does.Contain("overruns"));
    }

    [Test]
    public void BytesAfterAFullSegmentAreIgnored()
    {
        // Padding or garbage after the segment is complete is tolerated, as dcmtk does.
        var decoded = new byte[16];
        Codec.DecodeFrame([.. RleRoundTripTests.Header(1, 64), 0xF1, 0x01, 0x9D, 0x02], Gray8, decoded);
        Assert.That(decoded, Is.All.EqualTo((byte)1));
    }

    [Test]
    public void DestinationTooSmallIsAnArgumentError() =>
        Assert.Throws<ArgumentException>(() => Codec.DecodeFrame(Codec.EncodeFrame(new byte[16], Gray8), Gray8, new byte[15]));

    [Test]
    public void UnsupportedLayoutsAreRefused()
    {
        Assert.That(Codec.CanDecode(TestImages.Info(4, 4, 32, samples: 4)), Is.False, "16 segments");
        Assert.That(Codec.CanEncode(TestImages.Info(4, 4, 1)), Is.False, "1-bit");
        Assert.That(Codec.CanEncode(TestImages.Info(4, 4, 32, samples: 3)), Is.True, "12 segments");
        Assert.Throws<DicomCodecException>(() => Codec.EncodeFrame(new byte[4], TestImages.Info(4, 4, 1)));
    }

    /// <summary>Any damage to a valid frame (bytes changed, cut short) decodes or throws DicomCodecException; the bytes around the frame stay untouched.</summary>
    [Test]
    public void DamagedFramesNeverWriteOutsideTheFrame()
    {
        var gen = CsCheck.Gen.Select(GeneratedImage.Gen, CsCheck.Gen.Int[0, 20], CsCheck.Gen.Int, CsCheck.Gen.Bool);
        gen.Sample((image, changes, seed, cut) =>
        {
            var info = image.Info with { NumberOfFrames = 1 };
            var frameSize = (int)info.FrameSize;
            var encoded = Codec.EncodeFrame(image.Pixels.AsSpan(0, frameSize), info);
            var random = new Random(seed);
            for (var i = 0; i < changes; i++) encoded[random.Next(encoded.Length)] = (byte)random.Next(256);
            if (cut) encoded = encoded[..random.Next(encoded.Length)];
            var guarded = new byte[frameSize + 64];
            Array.Fill(guarded, (byte)0xA5);
            try
            {
                Codec.DecodeFrame(encoded, info, guarded.AsSpan(32, frameSize));
            }
            catch (DicomCodecException)
            {
            }
            Assert.That(guarded.AsSpan(0, 32).ToArray(), Is.All.EqualTo((byte)0xA5));
            Assert.That(guarded.AsSpan(32 + frameSize).ToArray(), Is.All.EqualTo((byte)0xA5));
        }, iter: 500);
    }
}
