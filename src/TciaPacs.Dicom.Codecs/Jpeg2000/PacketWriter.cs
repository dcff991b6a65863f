namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>A tag tree (T.800 B.10.2) over a grid of code-blocks, written into a packet header: the inverse of <see cref="TagTree"/>.</summary>
internal sealed class TagTreeEncoder
{
    private readonly int[] _value, _low, _parent;
    private readonly bool[] _known;
    private readonly int _leafWidth;

    /// <summary>A tree whose leaves hold <paramref name="values"/> (row by row, <paramref name="width"/> across); each node holds its children's least.</summary>
    public TagTreeEncoder(int width, int height, ReadOnlySpan<int> values)
    {
        _leafWidth = width;
        _parent = TagTree.Parents(width, height);
        _value = new int[_parent.Length];
        _low = new int[_parent.Length];
        _known = new bool[_parent.Length];
        Array.Fill(_value, int.MaxValue);
        values[..(width * height)].CopyTo(_value);
        // A node comes before its parent: one pass carries each least value up.
        for (var node = 0; node < _parent.Length; node++)
            if (_parent[node] >= 0) _value[_parent[node]] = Math.Min(_value[_parent[node]], _value[node]);
    }

    public int Value(int x, int y) => _value[y * _leafWidth + x];

    /// <summary>Writes the bits that tell a decoder whether the leaf's value is below <paramref name="threshold"/>.</summary>
    public void Encode(PacketBitWriter bits, int x, int y, int threshold)
    {
        Span<int> path = stackalloc int[32];
        var depth = 0;
        for (var node = y * _leafWidth + x; node >= 0; node = _parent[node]) path[depth++] = node;
        var low = 0;
        for (var i = depth - 1; i >= 0; i--)
        {
            var node = path[i];
            if (low > _low[node]) _low[node] = low;
            else low = _low[node];
            while (low < threshold)
            {
                if (low >= _value[node])
                {
                    if (!_known[node]) { bits.Write(1, 1); _known[node] = true; }
                    break;
                }
                bits.Write(0, 1);
                low++;
            }
            _low[node] = low;
        }
    }

    /// <summary>Writes the leaf's value whole (thresholds 1, 2, … until it is below one), as <see cref="TagTree.DecodeValue"/> reads it.</summary>
    public void EncodeValue(PacketBitWriter bits, int x, int y)
    {
        var value = Value(x, y);
        for (var threshold = 1; threshold <= value + 1; threshold++) Encode(bits, x, y, threshold);
    }
}

/// <summary>
/// The bits of a packet header (T.800 B.10.1), most significant first; after a 0xFF byte the next carries 7 bits, so
/// that no marker can appear. The inverse of <see cref="PacketBitReader"/>.
/// </summary>
internal sealed class PacketBitWriter(Stream output)
{
    private int _byte, _free = 8;
    private bool _afterFf;

    public void Write(int value, int count)
    {
        for (var i = count - 1; i >= 0; i--)
        {
            _byte = _byte << 1 | (value >> i & 1);
            if (--_free == 0) EmitByte();
        }
    }

    private void EmitByte()
    {
        output.WriteByte((byte)_byte);
        _afterFf = _byte == 0xFF;
        _free = _afterFf ? 7 : 8;
        _byte = 0;
    }

    /// <summary>Ends the header on a byte boundary, with a 0 byte after a last 0xFF (which <see cref="PacketBitReader.Align"/> skips).</summary>
    public void Align()
    {
        if (_free != (_afterFf ? 7 : 8))
        {
            _byte <<= _free;
            EmitByte();
        }
        if (_afterFf) output.WriteByte(0);
        _afterFf = false;
        _free = 8;
        _byte = 0;
    }
}
