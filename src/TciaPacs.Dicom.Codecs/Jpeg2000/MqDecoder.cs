namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// The MQ arithmetic decoder of ITU-T T.800 Annex C (C.3), over one codeword segment. Past the segment's end it reads
/// 0xFF bytes, as C.3.4 asks of a decoder that meets a marker, so a truncated segment decodes without reading outside it.
/// </summary>
internal struct MqDecoder
{
    // Table C.2: Qe, next index after an MPS, next index after an LPS, and whether an LPS swaps the MPS sense.
    private static ReadOnlySpan<ushort> Qe =>
    [
        0x5601, 0x3401, 0x1801, 0x0AC1, 0x0521, 0x0221, 0x5601, 0x5401, 0x4801, 0x3801, 0x3001, 0x2401, 0x1C01, 0x1601,
        0x5601, 0x5401, 0x5101, 0x4801, 0x3801, 0x3401, 0x3001, 0x2801, 0x2401, 0x2201, 0x1C01, 0x1801, 0x1601, 0x1401,
        0x1201, 0x1101, 0x0AC1, 0x09C1, 0x08A1, 0x0521, 0x0441, 0x02A1, 0x0221, 0x0141, 0x0111, 0x0085, 0x0049, 0x0025,
        0x0015, 0x0009, 0x0005, 0x0001, 0x5601,
    ];

    private static ReadOnlySpan<byte> NextMps =>
    [
        1, 2, 3, 4, 5, 38, 7, 8, 9, 10, 11, 12, 13, 29, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
        31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 45, 46,
    ];

    private static ReadOnlySpan<byte> NextLps =>
    [
        1, 6, 9, 12, 29, 33, 6, 14, 14, 14, 17, 18, 20, 21, 14, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 23, 24, 25, 26,
        27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 46,
    ];

    private static ReadOnlySpan<byte> Switch => [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private byte[] _data;
    private int _position, _end;
    private uint _c, _a;
    private int _ct;

    /// <summary>INITDEC (C.3.5) over <paramref name="data"/>[start..end).</summary>
    public void Start(byte[] data, int start, int end)
    {
        _data = data;
        _position = start;
        _end = end;
        _c = (uint)ByteAt(start) << 16;
        ByteIn();
        _c <<= 7;
        _ct -= 7;
        _a = 0x8000;
    }

    private readonly int ByteAt(int i) => i < _end ? _data[i] : 0xFF;

    // BYTEIN (C.3.4): a 0xFF followed by a byte above 0x8F is a marker, which the decoder does not pass.
    private void ByteIn()
    {
        if (ByteAt(_position) == 0xFF)
        {
            if (ByteAt(_position + 1) > 0x8F) { _c += 0xFF00; _ct = 8; }
            else { _position++; _c += (uint)ByteAt(_position) << 9; _ct = 7; }
        }
        else
        {
            _position++;
            _c += (uint)ByteAt(_position) << 8;
            _ct = 8;
        }
    }

    // The table by context value (state index times two plus the MPS): Qe in the low 16 bits, the context value after
    // an MPS in the next 8, after an LPS (its swap of the MPS included) in the top 8. One load per decision.
    internal static readonly uint[] States = BuildStates();

    private static uint[] BuildStates()
    {
        var states = new uint[2 * Qe.Length];
        for (var i = 0; i < Qe.Length; i++)
            for (var mps = 0; mps < 2; mps++)
            {
                var afterMps = (uint)(NextMps[i] << 1 | mps);
                var afterLps = (uint)(NextLps[i] << 1 | (Switch[i] == 1 ? 1 - mps : mps));
                states[i << 1 | mps] = Qe[i] | afterMps << 16 | afterLps << 24;
            }
        return states;
    }

    /// <summary>DECODE (C.3.2) of one decision in context <paramref name="cx"/>: state index in bits 1.., MPS in bit 0.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Decode(ref byte cx)
    {
        var state = States[cx];
        var qe = state & 0xFFFF;
        var mps = cx & 1;
        _a -= qe;
        int d;
        if ((_c >> 16) < qe)
        {
            // The LPS sub-interval, with the conditional exchange.
            if (_a < qe) { d = mps; cx = (byte)(state >> 16); }
            else { d = 1 - mps; cx = (byte)(state >> 24); }
            _a = qe;
        }
        else
        {
            _c -= qe << 16;
            if ((_a & 0x8000) != 0) return mps;
            if (_a < qe) { d = 1 - mps; cx = (byte)(state >> 24); }
            else { d = mps; cx = (byte)(state >> 16); }
        }
        Renormalize();
        return d;
    }

    // RENORMD (C.3.3)
    private void Renormalize()
    {
        do
        {
            if (_ct == 0) ByteIn();
            _a <<= 1;
            _c <<= 1;
            _ct--;
        }
        while ((_a & 0x8000) == 0);
    }
}

/// <summary>
/// The raw bits of a bypassed coding pass (T.800 D.6): most significant bit first, and a byte after 0xFF carries
/// only 7 bits. Past the segment's end it reads ones, as the MQ decoder reads 0xFF.
/// </summary>
internal struct RawBitReader
{
    private byte[] _data;
    private int _position, _end, _bits;
    private uint _byte;

    public void Start(byte[] data, int start, int end)
    {
        _data = data;
        _position = start;
        _end = end;
        _bits = 0;
        _byte = 0;
    }

    public int Read()
    {
        if (_bits == 0)
        {
            var stuffed = _byte == 0xFF;
            _byte = _position < _end ? _data[_position] : 0xFFu;
            _position++;
            _bits = stuffed ? 7 : 8;
        }
        _bits--;
        return (int)(_byte >> _bits) & 1;
    }
}
