using System.Buffers.Binary;

namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Decodes a JPEG-LS stream (ITU-T T.87 / ISO 14495-1), lossless and near-lossless, the coding of DICOM's JPEG-LS
/// transfer syntaxes (PS3.5 A.4.3): context modelling with the median edge predictor, bias correction and adaptive
/// Golomb codes in regular mode, run mode with run interruption samples; components in separate scans or interleaved
/// by line or by sample; preset coding parameters (LSE) and restart intervals. Not supported (refused with an error):
/// mapping tables, oversize dimensions, subsampled components, HP colour transforms. Samples come out per component.
/// </summary>
internal sealed class JpegLsDecoder
{
    private readonly byte[] _data;
    private readonly int _length;
    private int _at;
    private byte[] _ids = [];
    private int[][] _samples = [];
    private bool[] _scanned = [];
    private int _restartInterval;
    // Preset coding parameters (LSE, T.87 C.2.4.1.1); 0: the default.
    private int _maxVal, _t1, _t2, _t3, _reset;

    private JpegLsDecoder(byte[] data, int length)
    {
        _data = data;
        _length = length;
    }

    public int Precision { get; private set; }
    public int Width { get; private set; }
    public int Height { get; private set; }
    public int Components => _ids.Length;

    /// <summary>Component <paramref name="index"/>'s samples, row by row; empty when no scan coded it.</summary>
    public int[] Samples(int index) => _scanned.Length > index && _scanned[index] ? _samples[index] : [];

    /// <summary>Decodes <paramref name="data"/>[0..<paramref name="length"/>); <paramref name="accept"/> sees the frame header before anything is allocated.</summary>
    public static JpegLsDecoder Decode(byte[] data, int length, Action<JpegLsDecoder> accept)
    {
        var d = new JpegLsDecoder(data, length);
        d.Run(accept);
        return d;
    }

    private static DicomCodecException Corrupt(string what) => new($"The JPEG-LS stream is corrupt: {what}.");

    private void Run(Action<JpegLsDecoder> accept)
    {
        if (_length < 4 || _data[0] != 0xFF || _data[1] != 0xD8) throw Corrupt("it does not start with an SOI marker");
        _at = 2;
        var frameSeen = false;
        while (true)
        {
            if (_at + 2 > _length) throw Corrupt("it ends without an EOI marker");
            if (_data[_at] != 0xFF) { _at++; continue; }
            var marker = _data[_at + 1];
            _at += 2;
            switch (marker)
            {
                case 0xFF: _at--; break; // fill byte
                case 0xD9:
                    if (!frameSeen) throw Corrupt("it ends before any frame");
                    return;
                case 0xF7:
                    if (frameSeen) throw Corrupt("it has two frame headers");
                    ReadFrameHeader(Segment());
                    frameSeen = true;
                    accept(this);
                    _samples = new int[_ids.Length][];
                    for (var i = 0; i < _ids.Length; i++) _samples[i] = new int[checked(Width * Height)];
                    _scanned = new bool[_ids.Length];
                    break;
                case 0xF8: ReadPresetParameters(Segment()); break;
                case 0xDD:
                    var dri = Segment();
                    if (dri.Length < 2) throw Corrupt("its DRI segment is too short");
                    _restartInterval = dri.Length >= 4 ? (int)BinaryPrimitives.ReadUInt32BigEndian(dri) : BinaryPrimitives.ReadUInt16BigEndian(dri);
                    break;
                case 0xDA:
                    if (!frameSeen) throw Corrupt("a scan comes before the frame header");
                    ReadScan(Segment());
                    break;
                case 0xE8:
                    var app8 = Segment();
                    // HP's colour transform marker ("mrfx"): not part of T.87, and not allowed in DICOM.
                    if (app8.Length >= 5 && app8[..4].SequenceEqual("mrfx"u8) && app8[4] != 0)
                        throw new DicomCodecException($"The JPEG-LS stream uses HP colour transform {app8[4]}, which is not supported.");
                    break;
                case >= 0xC0 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    throw new DicomCodecException($"The stream is not JPEG-LS: its frame marker is FF{marker:X2}.");
                default:
                    if (marker is >= 0xD0 and <= 0xD7 or 0xD8 or 0x01) break; // no length
                    Segment();
                    break;
            }
        }
    }

    private ReadOnlySpan<byte> Segment() => JpegFamilyCodec.Segment(_data, ref _at, _length, "JPEG-LS");

    private void ReadFrameHeader(ReadOnlySpan<byte> s)
    {
        (Precision, Height, Width, _ids) = JpegFamilyCodec.FrameHeader(s, "JPEG-LS");
        if (Width == 0 || Height == 0) throw new DicomCodecException("The JPEG-LS stream gives its size in an LSE oversize segment, which is not supported.");
    }

    private void ReadPresetParameters(ReadOnlySpan<byte> s)
    {
        if (s.Length < 1) throw Corrupt("an LSE segment is empty");
        if (s[0] != 1) throw new DicomCodecException($"The JPEG-LS stream has an LSE segment of type {s[0]} (mapping table or oversize image), which is not supported.");
        if (s.Length < 11) throw Corrupt("its preset coding parameters are cut off");
        _maxVal = BinaryPrimitives.ReadUInt16BigEndian(s[1..]);
        _t1 = BinaryPrimitives.ReadUInt16BigEndian(s[3..]);
        _t2 = BinaryPrimitives.ReadUInt16BigEndian(s[5..]);
        _t3 = BinaryPrimitives.ReadUInt16BigEndian(s[7..]);
        _reset = BinaryPrimitives.ReadUInt16BigEndian(s[9..]);
    }

    private void ReadScan(ReadOnlySpan<byte> s)
    {
        if (s.Length < 1) throw Corrupt("its scan header is cut off");
        int ns = s[0];
        if (ns == 0 || s.Length < 1 + 2 * ns + 3) throw Corrupt("its scan header is invalid");
        var components = new int[ns];
        for (var j = 0; j < ns; j++)
        {
            var index = Array.IndexOf(_ids, s[1 + 2 * j]);
            if (index < 0) throw Corrupt($"a scan names component {s[1 + 2 * j]}, which the frame does not have");
            if (s[2 + 2 * j] != 0) throw new DicomCodecException("The JPEG-LS stream uses a mapping table, which is not supported.");
            components[j] = index;
            _scanned[index] = true;
        }
        int near = s[1 + 2 * ns];
        int ilv = s[2 + 2 * ns];
        if (ilv > 2 || (ilv == 0 && ns != 1)) throw Corrupt($"a scan of {ns} components has interleave mode {ilv}");
        var scan = new ScanDecoder(this, components, near, ilv);
        _at = scan.Decode(_at);
    }

    /// <summary>One scan's coding parameters, contexts and line buffers (T.87 A.2 to A.7).</summary>
    private sealed class ScanDecoder
    {
        private readonly JpegLsDecoder _frame;
        private readonly int[] _components;
        private readonly int _near, _ilv, _maxVal, _t1, _t2, _t3, _reset, _range, _qbpp, _limit;
        private readonly int _width;
        // Regular contexts 0..364, shared by the scan's components (T.87 B.3), and the two run interruption contexts.
        private readonly JpegLsContexts _contexts;
        private readonly int[] _runIndex;
        // Quantize(d) for every gradient -range*(2 NEAR+1)..: read per sample three times.
        private readonly sbyte[] _quantized;
        private readonly int _quantizedOffset;
        private BitReader _bits;

        public ScanDecoder(JpegLsDecoder frame, int[] components, int near, int ilv)
        {
            _frame = frame;
            _components = components;
            _near = near;
            _ilv = ilv;
            _width = frame.Width;
            _maxVal = frame._maxVal != 0 ? frame._maxVal : (1 << frame.Precision) - 1;
            if (_maxVal >= 1 << frame.Precision && frame.Precision < 16 || near > Math.Min(255, _maxVal / 2))
                throw Corrupt($"its coding parameters are inconsistent (MAXVAL {_maxVal}, NEAR {near}, precision {frame.Precision})");
            (_t1, _t2, _t3) = JpegLsCoding.DefaultThresholds(_maxVal, near);
            if (frame._t1 != 0) _t1 = frame._t1;
            if (frame._t2 != 0) _t2 = frame._t2;
            if (frame._t3 != 0) _t3 = frame._t3;
            _reset = frame._reset != 0 ? frame._reset : 64;
            _range = (_maxVal + 2 * near) / (2 * near + 1) + 1;
            _qbpp = JpegLsCoding.Log2Ceiling(_range);
            _limit = JpegLsCoding.Limit(_maxVal);
            _runIndex = new int[components.Length];
            _quantizedOffset = _maxVal + 1;
            _quantized = JpegLsCoding.QuantizationTable(_maxVal, near, _t1, _t2, _t3);
            _contexts = new JpegLsContexts(near, _reset);
            ResetContexts();
        }

        private void ResetContexts()
        {
            _contexts.Initialize(_range);
            Array.Clear(_runIndex);
        }

        /// <summary>Decodes the scan's lines from <paramref name="start"/>; returns where its entropy-coded data ends.</summary>
        public int Decode(int start)
        {
            var data = _frame._data;
            var end = SegmentEnd(data, start, _frame._length);
            _bits = new BitReader(data, start, end);
            var lineComponents = _ilv == 1 ? _components.Length : 1;
            var tuple = _ilv == 2 ? _components.Length : 1;
            // Per component (line interleaved) or for the sample tuple: previous and current line, one sample of
            // margin each side (T.87 A.2.1: Ra = Rb and Rc = the previous line's first Ra at the start of a line,
            // Rd = Rb at its end; zeros above the first line).
            var previous = new int[lineComponents][];
            var current = new int[lineComponents][];
            for (var i = 0; i < lineComponents; i++)
            {
                previous[i] = new int[(_width + 2) * tuple];
                current[i] = new int[(_width + 2) * tuple];
            }
            for (var y = 0; y < _frame.Height; y++)
            {
                if (RestartInterval > 0 && y > 0 && y % RestartInterval == 0)
                {
                    _bits.Restart();
                    ResetContexts();
                }
                for (var i = 0; i < lineComponents; i++)
                {
                    var (p, c) = (previous[i], current[i]);
                    for (var t = 0; t < tuple; t++)
                    {
                        p[(_width + 1) * tuple + t] = p[_width * tuple + t];
                        c[t] = p[tuple + t];
                    }
                    if (tuple == 1) DecodeLine(p, c, i);
                    else DecodeTupleLine(p, c, tuple);
                    var row = y * _width;
                    if (tuple == 1)
                    {
                        var plane = _frame._samples[_components[_ilv == 1 ? i : 0]];
                        Array.Copy(c, 1, plane, row, _width);
                    }
                    else
                        for (var t = 0; t < tuple; t++)
                        {
                            var plane = _frame._samples[_components[t]];
                            for (var x = 0; x < _width; x++) plane[row + x] = c[(x + 1) * tuple + t];
                        }
                    (previous[i], current[i]) = (c, p);
                }
            }
            if (_bits.Overrun) throw Corrupt("its entropy-coded data is cut short");
            return end;
        }

        private int RestartInterval => _frame._restartInterval;

        /// <summary>The first marker after the scan's data: FF followed by a byte of 0x80 or more (T.87 A.1: 0xFF is followed by a stuffed 0 bit in the data).</summary>
        private static int SegmentEnd(byte[] data, int start, int length)
        {
            for (var i = start; i + 1 < length; i++)
                if (data[i] == 0xFF && data[i + 1] >= 0x80 && !(data[i + 1] is >= 0xD0 and <= 0xD7)) return i;
            return length;
        }

        private void DecodeLine(int[] previous, int[] current, int component)
        {
            var x = 1; // line buffers have one sample of margin
            var rb = previous[0];
            var rd = previous[1];
            while (x <= _width)
            {
                var ra = current[x - 1];
                var rc = rb;
                rb = rd;
                rd = previous[x + 1];
                var qs = Context(Quantize(rd - rb), Quantize(rb - rc), Quantize(rc - ra));
                if (qs != 0)
                {
                    current[x] = Regular(qs, Predict(ra, rb, rc));
                    x++;
                }
                else
                {
                    x += RunMode(previous, current, x, component);
                    rb = previous[x - 1];
                    rd = previous[x];
                }
            }
        }

        private void DecodeTupleLine(int[] previous, int[] current, int n)
        {
            Span<int> qs = stackalloc int[n];
            var x = 1;
            while (x <= _width)
            {
                var zero = true;
                for (var t = 0; t < n; t++)
                {
                    int ra = current[(x - 1) * n + t], rc = previous[(x - 1) * n + t], rb = previous[x * n + t], rd = previous[(x + 1) * n + t];
                    qs[t] = Context(Quantize(rd - rb), Quantize(rb - rc), Quantize(rc - ra));
                    zero &= qs[t] == 0;
                }
                if (zero)
                {
                    x += TupleRunMode(previous, current, x, n);
                    continue;
                }
                for (var t = 0; t < n; t++)
                    current[x * n + t] = Regular(qs[t], Predict(current[(x - 1) * n + t], previous[x * n + t], previous[(x - 1) * n + t]));
                x++;
            }
        }

        private static int Context(int q1, int q2, int q3) => JpegLsCoding.Context(q1, q2, q3);

        private int Quantize(int d) => _quantized[d + _quantizedOffset];

        private static int Predict(int ra, int rb, int rc) => JpegLsCoding.Predict(ra, rb, rc);

        /// <summary>One sample in regular mode (T.87 A.4 to A.6).</summary>
        private int Regular(int qs, int prediction)
        {
            var sign = qs < 0 ? -1 : 1;
            var q = qs * sign;
            var contexts = _contexts;
            prediction = Math.Clamp(prediction + sign * contexts.Regular[q].C, 0, _maxVal);
            var k = contexts.K(q);
            var mapped = DecodeValue(k, _limit);
            var error = (mapped >> 1) ^ -(mapped & 1);
            // A.5.2: with k = 0 in lossless coding, the mapping is inverted when the context's bias is negative.
            if (k == 0 && _near == 0 && 2 * contexts.Regular[q].B + contexts.Regular[q].N - 1 < 0) error = ~error;
            contexts.Update(q, error);
            return Reconstruct(prediction, sign * error);
        }

        private int Reconstruct(int prediction, int error)
        {
            var value = prediction + error * (2 * _near + 1);
            if (value < -_near) value += _range * (2 * _near + 1);
            else if (value > _maxVal + _near) value -= _range * (2 * _near + 1);
            return Math.Clamp(value, 0, _maxVal);
        }

        /// <summary>A Golomb-coded value limited to <paramref name="limit"/> bits (T.87 A.5.3).</summary>
        private int DecodeValue(int k, int limit)
        {
            var high = _bits.Zeros(limit);
            if (high >= limit - (_qbpp + 1)) return _bits.Bits(_qbpp) + 1;
            return k == 0 ? high : (high << k) + _bits.Bits(k);
        }

        /// <summary>Run mode from <paramref name="x"/> (T.87 A.7): the run, then the sample that ends it unless the line did. Returns the samples decoded.</summary>
        private int RunMode(int[] previous, int[] current, int x, int component)
        {
            var ra = current[x - 1];
            var count = RunLength(_width - x + 1, ref _runIndex[component]);
            for (var i = 0; i < count; i++) current[x + i] = ra;
            var end = x + count;
            if (end > _width) return count;
            var rb = previous[end];
            if (Math.Abs(ra - rb) <= _near) current[end] = Reconstruct(ra, Interruption(1, _runIndex[component]));
            else current[end] = Reconstruct(rb, Interruption(0, _runIndex[component]) * (rb - ra < 0 ? -1 : 1));
            if (_runIndex[component] > 0) _runIndex[component]--;
            return count + 1;
        }

        private int TupleRunMode(int[] previous, int[] current, int x, int n)
        {
            var count = RunLength(_width - x + 1, ref _runIndex[0]);
            for (var i = 0; i < count; i++)
                for (var t = 0; t < n; t++) current[(x + i) * n + t] = current[(x - 1) * n + t];
            var end = x + count;
            if (end > _width) return count;
            for (var t = 0; t < n; t++)
            {
                int ra = current[(x - 1) * n + t], rb = previous[end * n + t];
                current[end * n + t] = Reconstruct(rb, Interruption(0, _runIndex[0]) * (rb - ra < 0 ? -1 : 1));
            }
            if (_runIndex[0] > 0) _runIndex[0]--;
            return count + 1;
        }

        private int RunLength(int remaining, ref int runIndex)
        {
            var index = 0;
            while (_bits.Bit() == 1)
            {
                var count = Math.Min(1 << JpegLsCoding.J[runIndex], remaining - index);
                index += count;
                if (count == 1 << JpegLsCoding.J[runIndex]) runIndex = Math.Min(31, runIndex + 1);
                if (index == remaining) return index;
                if (_bits.Overrun) throw Corrupt("its entropy-coded data is cut short");
            }
            if (JpegLsCoding.J[runIndex] > 0) index += _bits.Bits(JpegLsCoding.J[runIndex]);
            if (index > remaining) throw Corrupt("a run goes past the end of its line");
            return index;
        }

        /// <summary>The error of a run interruption sample (T.87 A.7.2) in context <paramref name="type"/> (RItype).</summary>
        private int Interruption(int type, int runIndex)
        {
            var contexts = _contexts;
            var k = contexts.InterruptionK(type);
            var mapped = DecodeValue(k, _limit - JpegLsCoding.J[runIndex] - 1);
            var t = mapped + type;
            var map = (t & 1) != 0;
            var magnitude = (t + (map ? 1 : 0)) / 2;
            // The inverse of A.7.2.2's map: a set map bit means a negative error unless k = 0 and 2 Nn < N.
            var error = (k != 0 || 2 * contexts.RunNn[type] >= contexts.RunN[type]) == map ? -magnitude : magnitude;
            contexts.UpdateInterruption(type, error, mapped);
            return error;
        }
    }

    /// <summary>JPEG-LS entropy-coded bits: after a 0xFF byte the next byte carries 7 bits (T.87 A.1); zeros past the end.</summary>
    private struct BitReader(byte[] data, int start, int end)
    {
        private ulong _buffer;
        private int _count;
        private int _padding;
        private int _position = start;
        private bool _afterFF;
        public bool Overrun { get; private set; }

        private void Fill()
        {
            while (_count <= 48)
            {
                // A marker (FF, then a byte of 0x80 or more) ends the data: RSTm at a restart, else the scan's end.
                if (_position < end && !(data[_position] == 0xFF && _position + 1 < data.Length && data[_position + 1] >= 0x80))
                {
                    var b = data[_position++];
                    if (_afterFF)
                    {
                        _buffer = _buffer << 7 | (uint)(b & 0x7F);
                        _count += 7;
                    }
                    else
                    {
                        _buffer = _buffer << 8 | b;
                        _count += 8;
                    }
                    _afterFF = b == 0xFF;
                }
                else
                {
                    _buffer <<= 8;
                    _count += 8;
                    _padding += 8;
                }
            }
        }

        private void Consume(int n)
        {
            _count -= n;
            if (_count < _padding) Overrun = true;
        }

        public int Bit()
        {
            if (_count < 1) Fill();
            Consume(1);
            return (int)(_buffer >> _count) & 1;
        }

        public int Bits(int n)
        {
            if (n == 0) return 0;
            if (_count < n) Fill();
            Consume(n);
            return (int)(_buffer >> _count) & (int)((1u << n) - 1);
        }

        /// <summary>Counts zero bits up to the next 1, which it consumes (the unary part of a Golomb code).</summary>
        public int Zeros(int limit)
        {
            var zeros = 0;
            while (true)
            {
                if (_count < 32) Fill();
                // The buffer's unread bits, first one at the top: their leading zeros are the code's.
                var window = _buffer << (64 - _count);
                var lead = System.Numerics.BitOperations.LeadingZeroCount(window);
                if (lead < _count)
                {
                    zeros += lead;
                    Consume(lead + 1);
                    if (zeros > limit || Overrun) throw Corrupt("a Golomb code is longer than its limit");
                    return zeros;
                }
                zeros += _count;
                Consume(_count);
                if (zeros > limit || Overrun) throw Corrupt("a Golomb code is longer than its limit");
            }
        }

        /// <summary>Skips to and past the RSTm marker that ends a restart interval.</summary>
        public void Restart()
        {
            while (_position + 1 < data.Length && !(data[_position] == 0xFF && data[_position + 1] is >= 0xD0 and <= 0xD7)) _position++;
            if (_position + 1 >= data.Length) throw Corrupt("a restart marker is missing");
            _position += 2;
            _buffer = 0;
            _count = 0;
            _padding = 0;
            _afterFF = false;
        }
    }
}
