namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// The MQ arithmetic encoder of ITU-T T.800 Annex C (C.2), the inverse of <see cref="MqDecoder"/>, whose state table
/// it shares: a context is a byte holding its state index times two plus its MPS. One codeword segment, ended by
/// FLUSH (C.2.9); bytes go to a growing buffer, with the carry into the byte before and the bit stuffed after 0xFF.
/// </summary>
internal sealed class MqEncoder
{
    private byte[] _buffer = new byte[4096];
    private int _last; // index of byte B, the last one written; 0 is a dummy that precedes the segment
    private uint _c, _a;
    private int _ct;

    /// <summary>The segment's length in bytes, after <see cref="Flush"/>.</summary>
    public int Length { get; private set; }

    /// <summary>The segment's bytes, after <see cref="Flush"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(1, Length);

    /// <summary>INITENC (C.2.8).</summary>
    public void Start()
    {
        _buffer[0] = 0;
        _last = 0;
        _a = 0x8000;
        _c = 0;
        _ct = 12;
        Length = 0;
    }

    /// <summary>ENCODE (C.2.2) of decision <paramref name="d"/> in context <paramref name="cx"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Encode(ref byte cx, int d)
    {
        var state = MqDecoder.States[cx];
        var qe = state & 0xFFFF;
        var mps = cx & 1;
        _a -= qe;
        if (d == mps)
        {
            // CODEMPS (C.2.6)
            if ((_a & 0x8000) != 0) { _c += qe; return; }
            if (_a < qe) _a = qe;
            else _c += qe;
            cx = (byte)(state >> 16);
        }
        else
        {
            // CODELPS (C.2.5), with the conditional exchange
            if (_a < qe) _c += qe;
            else _a = qe;
            cx = (byte)(state >> 24);
        }
        // RENORME (C.2.7)
        do
        {
            _a <<= 1;
            _c <<= 1;
            if (--_ct == 0) ByteOut();
        }
        while ((_a & 0x8000) == 0);
    }

    // BYTEOUT (C.2.4): a carry goes into the last byte; after a 0xFF only seven bits go out.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ByteOut()
    {
        if (_buffer[_last] == 0xFF)
        {
            Put(_c >> 20);
            _c &= 0xFFFFF;
            _ct = 7;
            return;
        }
        if ((_c & 0x8000000) != 0)
        {
            _buffer[_last]++;
            if (_buffer[_last] == 0xFF)
            {
                _c &= 0x7FFFFFF;
                Put(_c >> 20);
                _c &= 0xFFFFF;
                _ct = 7;
                return;
            }
        }
        Put(_c >> 19);
        _c &= 0x7FFFF;
        _ct = 8;
    }

    private void Put(uint value)
    {
        if (++_last == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        _buffer[_last] = (byte)value;
    }

    /// <summary>FLUSH (C.2.9): SETBITS, two byte-outs, and a final 0xFF dropped (a decoder reads 0xFF past the end).</summary>
    public void Flush()
    {
        var top = _c + _a;
        _c |= 0xFFFF;
        if (_c >= top) _c -= 0x8000;
        _c <<= _ct;
        ByteOut();
        _c <<= _ct;
        ByteOut();
        Length = _buffer[_last] == 0xFF ? _last - 1 : _last;
    }
}
