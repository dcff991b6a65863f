using NUnit.Framework;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// Damaged copies of an encoded frame (cut short, or a few bytes overwritten): each must decode or throw
/// <see cref="DicomCodecException"/>, and nothing may be written past the frame.
/// </summary>
internal static class DamagedFrames
{
    public static void Check(IPixelCodec codec, PixelDataInfo info, byte[] frame, int count, int seed = 20261207)
    {
        var destination = new byte[codec.GetDecodedInfo(info).FrameSize + 16];
        var random = new Random(seed);
        var others = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var damaged = (byte[])frame.Clone();
            if (i % 3 == 0) damaged = damaged[..random.Next(2, damaged.Length)]; // cut short
            else
                for (var k = 0; k < 1 + i % 5; k++) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            destination.AsSpan(destination.Length - 16).Fill(0xA5);
            try { codec.DecodeFrame(damaged, info, destination); }
            catch (DicomCodecException) { }
            catch (Exception e) { others.Add($"{i}: {e.GetType().Name}: {e.Message}"); }
            Assert.That(destination[^16..], Is.All.EqualTo(0xA5), "nothing written past the frame");
        }
        Assert.That(others, Is.Empty);
    }

    /// <summary>The first frame of a corpus file and its codec, for <see cref="Check"/>.</summary>
    public static void CheckCorpusFile(string path, int count = 300)
    {
        var file = DicomFile.Open(TciaPacs.Testing.Corpus.PathOf(path));
        var info = PixelDataInfo.FromDataset(file.Dataset);
        Assert.That(CodecRegistry.Default.TryGet(file.TransferSyntax, out var codec), Is.True);
        Check(codec, info, EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray(), count);
    }
}
