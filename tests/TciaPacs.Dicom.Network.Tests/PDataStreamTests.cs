using System.Buffers.Binary;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>
/// How a value is cut into P-DATA-TF PDUs (PS3.8 9.3.5): one PDV per PDU, at most the data size given, the last marked
/// last; a deflated data set of odd length gets one zero byte, since dcmtk refuses any fragment of odd length.
/// </summary>
public sealed class PDataStreamTests
{
    [TestCase(5, 16, false)]
    [TestCase(5, 16, true)]
    [TestCase(33, 16, true)]
    [TestCase(33, 16, false)]
    [TestCase(32, 16, true)]
    [TestCase(300_001, 16_378, true)]
    public async Task A_value_is_cut_into_even_fragments_and_padded_only_when_asked(int length, int maxData, bool pad)
    {
        var value = Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 1)).ToArray();
        var wire = new MemoryStream();
        var stream = new PDataStream(wire, contextId: 3, isCommand: false, maxData);
        await stream.WriteAsync(value.AsMemory(0, length / 3));
        await stream.WriteAsync(value.AsMemory(length / 3));
        await stream.FinishAsync(CancellationToken.None, padOddLength: pad);

        var fragments = Fragments(wire.ToArray());
        Assert.That(fragments.Take(fragments.Count - 1).Select(f => f.Data.Length), Has.All.EqualTo(maxData), "full PDUs but the last");
        Assert.That(fragments.Select(f => f.Last), Is.EqualTo(fragments.Select((_, i) => i == fragments.Count - 1)), "only the last is marked last");
        Assert.That(fragments.Select(f => f.ContextId), Has.All.EqualTo(3));
        var data = fragments.SelectMany(f => f.Data).ToArray();
        var expected = pad && length % 2 == 1 ? [.. value, 0] : value;
        Assert.That(data, Is.EqualTo(expected));
        if (pad) Assert.That(fragments.Select(f => f.Data.Length % 2), Has.All.Zero);
    }

    /// <summary>Each P-DATA-TF PDU's one PDV: its context, whether it is the last fragment, its data.</summary>
    private static List<(byte ContextId, bool Last, byte[] Data)> Fragments(byte[] wire)
    {
        var result = new List<(byte, bool, byte[])>();
        for (var at = 0; at < wire.Length;)
        {
            Assert.That(wire[at], Is.EqualTo(0x04), "P-DATA-TF");
            var pduLength = BinaryPrimitives.ReadInt32BigEndian(wire.AsSpan(at + 2));
            var itemLength = BinaryPrimitives.ReadInt32BigEndian(wire.AsSpan(at + 6));
            Assert.That(itemLength, Is.EqualTo(pduLength - 4), "one PDV per PDU");
            var header = wire[at + 11];
            Assert.That(header & 1, Is.Zero, "a data set fragment, not a command");
            result.Add((wire[at + 10], (header & 2) != 0, wire.AsSpan(at + 12, itemLength - 2).ToArray()));
            at += 6 + pduLength;
        }
        return result;
    }
}
