using System.Buffers.Binary;

namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Decodes a lossless JPEG stream (ITU-T T.81 Annex H, process 14: Huffman coding, predictors 1 to 7, point
/// transform), the coding of DICOM's JPEG Lossless transfer syntaxes (PS3.5 A.4.1). Written for this toolkit because
/// the managed package used for the DCT processes applies the selected predictor on the first line and ignores the
/// point transform. Samples are returned per component as their full-precision values.
/// </summary>
internal sealed class LosslessJpegDecoder
{
    private readonly byte[] _data;
    private int _at;
    private readonly HuffmanTable?[] _tables = new HuffmanTable?[4];
    private int _restartInterval;

    private LosslessJpegDecoder(byte[] data, int length)
    {
        _data = data;
        Length = length;
    }

    private int Length { get; }
    public int Precision { get; private set; }
    public int Width { get; private set; }
    public int Height { get; private set; }
    public int Components => _ids.Length;
    private byte[] _ids = [];
    private int[][] _samples = [];
    private bool[] _scanned = [];

    /// <summary>Reads the frame header and every scan of <paramref name="data"/>[0..<paramref name="length"/>).</summary>
    public static LosslessJpegDecoder Decode(byte[] data, int length, Action<LosslessJpegDecoder> accept)
    {
        var d = new LosslessJpegDecoder(data, length);
        d.Run(accept);
        return d;
    }

    /// <summary>
    /// The decoded samples of component <paramref name="index"/> (in frame order), row by row; the caller keeps the
    /// precision's low bits.
    /// </summary>
    public int[] Samples(int index) => _scanned.Length > index && _scanned[index] ? _samples[index] : [];

    private void Run(Action<LosslessJpegDecoder> accept)
    {
        if (Length < 4 || _data[0] != 0xFF || _data[1] != 0xD8) throw Corrupt("it does not start with an SOI marker");
        _at = 2;
        var frameSeen = false;
        while (true)
        {
            var marker = NextMarker();
            switch (marker)
            {
                case 0xD9: // EOI
                    if (!frameSeen) throw Corrupt("it ends before any frame");
                    return;
                case 0xC4: ReadHuffmanTables(); break;
                case 0xDD:
                    var dri = Segment();
                    if (dri.Length < 2) throw Corrupt("its DRI segment is too short");
                    _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(dri);
                    break;
                case 0xC3:
                    if (frameSeen) throw Corrupt("it has two frame headers");
                    ReadFrameHeader(Segment());
                    frameSeen = true;
                    accept(this);
                    break;
                case 0xDA:
                    if (!frameSeen) throw Corrupt("a scan comes before the frame header");
                    ReadScan(Segment());
                    break;
                case >= 0xC0 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    throw new DicomCodecException($"The JPEG stream is not lossless Huffman (process 14): its frame marker is FF{marker:X2}.");
                case 0xDC: throw new DicomCodecException("The lossless JPEG stream defines its number of lines by a DNL marker, which is not supported.");
                default: Segment(); break; // APPn, COM, DQT, DAC, ...: not needed
            }
        }
    }

    private int NextMarker()
    {
        // Fill bytes (FF) may precede a marker (T.81 B.1.1.2).
        while (_at < Length && _data[_at] != 0xFF) _at++;
        while (_at < Length && _data[_at] == 0xFF) _at++;
        if (_at >= Length) throw Corrupt("it ends without an EOI marker");
        return _data[_at++];
    }

    private ReadOnlySpan<byte> Segment() => JpegFamilyCodec.Segment(_data, ref _at, Length, "lossless JPEG");

    private void ReadHuffmanTables()
    {
        var s = Segment();
        while (s.Length > 0)
        {
            if (s.Length < 17) throw Corrupt("a DHT segment is cut off");
            var cls = s[0] >> 4;
            var id = s[0] & 15;
            if (id > 3) throw Corrupt($"a Huffman table has identifier {id}");
            var counts = s.Slice(1, 16);
            var total = 0;
            foreach (var c in counts) total += c;
            if (s.Length < 17 + total) throw Corrupt("a DHT segment is cut off");
            if (cls == 0) _tables[id] = new HuffmanTable(counts, s.Slice(17, total));
            s = s[(17 + total)..];
        }
    }

    private void ReadFrameHeader(ReadOnlySpan<byte> s)
    {
        (Precision, Height, Width, _ids) = JpegFamilyCodec.FrameHeader(s, "lossless JPEG");
        if (Height == 0) throw new DicomCodecException("The lossless JPEG stream defines its number of lines by a DNL marker, which is not supported.");
        if (Width == 0) throw Corrupt("its frame header gives 0 samples per line");
    }

    /// <summary>Allocates the sample planes, once the caller has accepted the frame's size.</summary>
    private void Allocate()
    {
        if (_samples.Length == _ids.Length) return;
        _samples = new int[_ids.Length][];
        _scanned = new bool[_ids.Length];
        for (var i = 0; i < _ids.Length; i++) _samples[i] = new int[checked(Width * Height)];
    }

    private void ReadScan(ReadOnlySpan<byte> s)
    {
        Allocate();
        if (s.Length < 1) throw Corrupt("its scan header is cut off");
        int ns = s[0];
        if (ns == 0 || s.Length < 1 + 2 * ns + 3) throw Corrupt("its scan header is invalid");
        var components = new int[ns];
        var tables = new HuffmanTable[ns];
        for (var j = 0; j < ns; j++)
        {
            var index = Array.IndexOf(_ids, s[1 + 2 * j]);
            if (index < 0) throw Corrupt($"a scan names component {s[1 + 2 * j]}, which the frame does not have");
            components[j] = index;
            _scanned[index] = true;
            tables[j] = _tables[s[2 + 2 * j] >> 4] ?? throw Corrupt($"a scan uses Huffman table {s[2 + 2 * j] >> 4}, which is not defined");
        }
        int predictor = s[1 + 2 * ns];
        var pointTransform = s[3 + 2 * ns] & 15;
        if (predictor > 7) throw Corrupt($"its predictor selection value is {predictor}");
        if (pointTransform >= Precision) throw Corrupt($"its point transform ({pointTransform}) is not below the precision ({Precision})");

        var bits = new BitReader(_data, _at, Length);
        var initial = 1 << (Precision - pointTransform - 1);
        var total = (long)Width * Height;
        long intervalStart = 0;
        var intervalRow = 0;
        var left = _restartInterval;
        var (x, y) = (0, 0);
        for (long p = 0; p < total; p++, x++)
        {
            if (x == Width) (x, y) = (0, y + 1);
            if (_restartInterval > 0 && left == 0)
            {
                bits.Restart();
                left = _restartInterval;
                intervalStart = p;
                intervalRow = y;
            }
            // H.1.2.1: 2^(P-Pt-1) for the first sample of the scan and of each restart interval; Ra on the first line of
            // either; Rb at the start of every other line; the selected predictor elsewhere.
            var firstLine = y == intervalRow;
            for (var j = 0; j < ns; j++)
            {
                var plane = _samples[components[j]];
                var at = (int)p;
                int prediction;
                if (p == intervalStart) prediction = initial;
                else if (firstLine && x > 0) prediction = plane[at - 1];
                else if (x == 0) prediction = plane[at - Width];
                else
                {
                    int ra = plane[at - 1], rb = plane[at - Width], rc = plane[at - Width - 1];
                    prediction = predictor switch
                    {
                        1 => ra,
                        2 => rb,
                        3 => rc,
                        4 => ra + rb - rc,
                        5 => ra + ((rb - rc) >> 1),
                        6 => rb + ((ra - rc) >> 1),
                        7 => (ra + rb) >> 1,
                        _ => 0,
                    };
                }
                // Modulo 2^16 (H.1.2.2). Predictions use the value so reconstructed, as libjpeg's lossless decoder does;
                // a value outside the precision (a faulty encoder's) is cut to it only on output.
                plane[at] = (prediction + bits.Difference(tables[j])) & 0xFFFF;
            }
            if (_restartInterval > 0) left--;
        }
        if (bits.Overrun) throw Corrupt("its entropy-coded data is cut short");
        _at = bits.Position;
        if (pointTransform > 0)
            foreach (var j in components)
            {
                var plane = _samples[j];
                for (var i = 0; i < plane.Length; i++) plane[i] <<= pointTransform;
            }
    }

    private static DicomCodecException Corrupt(string what) => new($"The lossless JPEG stream is corrupt: {what}.");

    /// <summary>A Huffman table in the decoding form of T.81 F.2.2.3 (MINCODE, MAXCODE, VALPTR per code length).</summary>
    private sealed class HuffmanTable
    {
        private readonly int[] _maxCode = new int[18];
        private readonly int[] _valPtr = new int[17];
        private readonly int[] _minCode = new int[17];
        private readonly byte[] _values;
        // Codes of up to 8 bits by their first 8 bits: length << 8 | value, or 0 for a longer code.
        private readonly ushort[] _fast = new ushort[256];

        public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            _values = values.ToArray();
            int code = 0, k = 0;
            for (var l = 1; l <= 16; l++)
            {
                _valPtr[l] = k;
                _minCode[l] = code;
                code += counts[l - 1];
                k += counts[l - 1];
                _maxCode[l] = counts[l - 1] == 0 ? -1 : code - 1;
                code <<= 1;
            }
            _maxCode[17] = int.MaxValue;
            for (int l = 1, c = 0, v = 0; l <= 8; l++, c <<= 1)
                for (var n = 0; n < counts[l - 1] && v < _values.Length; n++, c++, v++)
                    for (var fill = 0; fill < 1 << (8 - l); fill++)
                        if ((c << (8 - l) | fill) < 256) _fast[c << (8 - l) | fill] = (ushort)(l << 8 | _values[v]);
        }

        public int Decode(ref BitReader bits)
        {
            var entry = _fast[bits.Peek8()];
            if (entry != 0)
            {
                bits.Skip(entry >> 8);
                return entry & 0xFF;
            }
            var code = bits.Bit();
            for (var l = 1; l <= 16; l++)
            {
                if (code <= _maxCode[l]) return _values[_valPtr[l] + code - _minCode[l]];
                code = code << 1 | bits.Bit();
            }
            throw Corrupt("a Huffman code is longer than 16 bits");
        }
    }

    /// <summary>Reads the entropy-coded bits of a scan: stuffed zero bytes removed, stopping at a marker.</summary>
    private struct BitReader(byte[] data, int start, int end)
    {
        private ulong _buffer;
        private int _count;   // bits in _buffer
        private int _padding; // of those, zero bits added past a marker or the end
        public int Position { get; private set; } = start;
        public bool Overrun { get; private set; }

        private void Fill()
        {
            while (_count <= 56)
            {
                byte b = 0;
                if (Position < end && data[Position] != 0xFF) b = data[Position++];
                else if (Position + 1 < end && data[Position + 1] == 0x00) { b = 0xFF; Position += 2; }
                else { _padding += 8; } // a marker (or the end): zeros from here
                _buffer = _buffer << 8 | b;
                _count += 8;
            }
        }

        public int Peek8()
        {
            if (_count < 8) Fill();
            return (int)(_buffer >> (_count - 8)) & 0xFF;
        }

        public void Skip(int n)
        {
            _count -= n;
            if (_count < _padding) Overrun = true;
        }

        public int Bit()
        {
            if (_count == 0) Fill();
            _count--;
            if (_count < _padding) Overrun = true;
            return (int)(_buffer >> _count) & 1;
        }

        private int Bits(int n)
        {
            if (n == 0) return 0;
            if (_count < n) Fill();
            _count -= n;
            if (_count < _padding) Overrun = true;
            return (int)(_buffer >> _count) & ((1 << n) - 1);
        }

        /// <summary>One difference (T.81 H.1.2.2, F.2.2.1): its magnitude category, then that many bits; 16 means 32768.</summary>
        public int Difference(HuffmanTable table)
        {
            var t = table.Decode(ref this);
            if (t == 0) return 0;
            if (t == 16) return 32768;
            if (t > 16) throw Corrupt($"a difference has magnitude category {t}");
            var v = Bits(t);
            return v < 1 << (t - 1) ? v - (1 << t) + 1 : v;
        }

        /// <summary>Skips to and past the RSTm marker that ends a restart interval, and starts on a byte boundary.</summary>
        public void Restart()
        {
            _buffer = 0;
            _count = 0;
            _padding = 0;
            while (Position + 1 < end && !(data[Position] == 0xFF && data[Position + 1] is >= 0xD0 and <= 0xD7)) Position++;
            if (Position + 1 >= end) throw Corrupt("a restart marker is missing");
            Position += 2;
        }
    }
}
