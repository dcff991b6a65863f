namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>A tag tree (T.800 B.10.2) over a grid of code-blocks, decoded from a packet header's bits.</summary>
internal sealed class TagTree
{
    private readonly int[] _value, _low, _parent;
    private readonly int _leafWidth;

    public TagTree(int width, int height)
    {
        _leafWidth = width;
        _parent = Parents(width, height);
        _value = new int[_parent.Length];
        _low = new int[_parent.Length];
        Array.Fill(_value, int.MaxValue);
    }

    /// <summary>
    /// The nodes of a tree over <paramref name="width"/> x <paramref name="height"/> leaves, level by level from the
    /// leaves (row by row) to the root: each node's parent (-1 for the root), always at a higher index than the node.
    /// </summary>
    internal static int[] Parents(int width, int height)
    {
        var levels = new List<(int Start, int W, int H)>();
        var count = 0;
        int w = width, h = height;
        while (true)
        {
            levels.Add((count, w, h));
            count += w * h;
            if (w == 1 && h == 1) break;
            w = (w + 1) / 2;
            h = (h + 1) / 2;
        }
        var parent = new int[count];
        for (var l = 0; l < levels.Count; l++)
        {
            var (start, lw, lh) = levels[l];
            for (var y = 0; y < lh; y++)
                for (var x = 0; x < lw; x++)
                    parent[start + y * lw + x] = l + 1 < levels.Count ? levels[l + 1].Start + (y / 2) * levels[l + 1].W + x / 2 : -1;
        }
        return parent;
    }

    /// <summary>Reads bits until it is known whether the leaf's value is below <paramref name="threshold"/>; returns whether it is.</summary>
    public bool Decode(ref PacketBitReader bits, int x, int y, int threshold)
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
            while (low < threshold && low < _value[node])
            {
                if (bits.Read(1) != 0) _value[node] = low;
                else low++;
            }
            _low[node] = low;
        }
        return _value[path[0]] < threshold;
    }

    /// <summary>The leaf's value, reading bits until it is known (at most <paramref name="limit"/>).</summary>
    public int DecodeValue(ref PacketBitReader bits, int x, int y, int limit)
    {
        var threshold = 1;
        while (!Decode(ref bits, x, y, threshold))
            if (++threshold > limit) throw new DicomCodecException(Jpeg2000Decoder.Corrupt + $"a tag tree value exceeds {limit}.");
        return threshold - 1;
    }
}

/// <summary>
/// The bits of a packet header (T.800 B.10.1): most significant first; after a 0xFF byte the next byte carries 7 bits.
/// Reading past the tile's data is an error, not a source of invented bits.
/// </summary>
internal struct PacketBitReader(byte[] data, int position, int end)
{
    private int _position = position;
    private int _bits;
    private int _byte;

    public readonly int Position => _position;

    public int Read(int count)
    {
        var value = 0;
        for (var i = 0; i < count; i++)
        {
            if (_bits == 0)
            {
                if (_position >= end) throw new DicomCodecException(Jpeg2000Decoder.Truncated + "a packet header runs past the tile's data.");
                _bits = _byte == 0xFF ? 7 : 8;
                _byte = data[_position++];
            }
            _bits--;
            value = value << 1 | (_byte >> _bits & 1);
        }
        return value;
    }

    /// <summary>Ends the header on a byte boundary; a header ending in 0xFF is followed by a stuffed byte.</summary>
    public void Align()
    {
        if (_byte == 0xFF && _position < end) _position++;
        _bits = 0;
        _byte = 0;
    }
}
