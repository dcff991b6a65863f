using CsCheck;
using NUnit.Framework;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98, PS3.5 A.4.11): each fragment is one
/// native frame (1-bit frames on a byte boundary), and native data survives the trip both ways.
/// </summary>
[TestFixture]
public sealed class EncapsulatedUncompressedCodecTests
{
    [Test]
    public void Each_fragment_is_a_native_frame_and_the_data_comes_back() =>
        Gen.Select(Gen.Int[1, 30], Gen.Int[1, 70], Gen.OneOfConst(1, 8, 16, 32), Gen.OneOfConst(1, 3), Gen.Int[1, 4], Gen.Int).Sample((rows, columns, bits, samples, frames, seed) =>
        {
            if (bits == 1) samples = 1;
            var info = TestImages.Info(rows, columns, bits, samples, frames);
            var pixels = new byte[info.TotalSize];
            new Random(seed).NextBytes(pixels);
            if (info.TotalSize * 8 > info.FrameBits * frames) pixels[^1] &= (byte)((1 << (int)(info.FrameBits * frames % 8)) - 1);
            var encapsulated = TestImages.SaveAndReopen(new DicomTranscoder().Transcode(TestImages.NativeFile(info, pixels), TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian));
            var fragments = EncapsulatedFrames.FromDataset(encapsulated.Dataset);
            Assert.That(fragments.Count, Is.EqualTo(frames));
            if (!info.FramesAreBitPacked)
                for (var f = 0; f < frames; f++)
                    Assert.That(fragments.GetFrame(f).Span[..(int)info.FrameSize].ToArray(), Is.EqualTo(pixels[(f * (int)info.FrameSize)..((f + 1) * (int)info.FrameSize)]), $"fragment {f + 1}");
            var back = new DicomTranscoder().Transcode(encapsulated, TransferSyntax.ExplicitVRLittleEndian);
            Assert.That(TestImages.NativePixels(back), Is.EqualTo(pixels), $"{rows}x{columns}x{samples} {bits}-bit, {frames} frame(s)");
        }, iter: 150);

    [Test]
    public void A_fragment_of_the_wrong_size_is_an_error()
    {
        var codec = new EncapsulatedUncompressedCodec();
        var info = TestImages.Info(4, 4, 16);
        Assert.That(() => codec.DecodeFrame(new byte[31], info, new byte[32]), Throws.TypeOf<DicomCodecException>().With.Message.Contain("need 32"));
        Assert.That(() => codec.DecodeFrame(new byte[40], info, new byte[32]), Throws.TypeOf<DicomCodecException>().With.Message.Contain("more than"));
        var frame = new byte[33];
        frame[5] = 7;
        var destination = new byte[32];
        codec.DecodeFrame(frame, info, destination); // the pad byte of an odd fragment
        Assert.That(destination[5], Is.EqualTo(7));
    }
}
