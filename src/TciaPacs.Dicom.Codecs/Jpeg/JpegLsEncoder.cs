using System.Buffers;

namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Encodes a JPEG-LS stream (ITU-T T.87 / ISO 14495-1), lossless (NEAR = 0), as DICOM's JPEG-LS Lossless transfer
/// syntax holds it (PS3.5 A.4.3): one scan, a single component or the components interleaved by line (ILV = 1, as
/// dcmtk's dcmcjpls writes by default), the default coding parameters (no LSE segment), no restart intervals.
/// The decoder, <see cref="JpegLsDecoder"/>, is its inverse step for step; both follow T.87 Annex A.
/// </summary>
internal sealed class JpegLsEncoder
{
    private const int Reset = 64;
    private readonly int _width, _height, _maxVal, _range, _qbpp, _limit;
    private readonly (int T1, int T2, int T3) _thresholds;
    private readonly JpegLsContexts _contexts = new(near: 0, Reset);
    private readonly int[] _runIndex;
    private readonly sbyte[] _quantized;
    private readonly BitWriter _bits;

    private JpegLsEncoder(int width, int height, int precision, int components, int capacity)
    {
        _width = width;
        _height = height;
        _maxVal = (1 << precision) - 1;
        _range = _maxVal + 1; // NEAR = 0 (T.87 A.2.1)
        _qbpp = precision;
        _limit = JpegLsCoding.Limit(_maxVal);
        _thresholds = JpegLsCoding.DefaultThresholds(_maxVal, 0);
        _quantized = JpegLsCoding.QuantizationTable(_maxVal, 0, _thresholds.T1, _thresholds.T2, _thresholds.T3);
        _runIndex = new int[components];
        _contexts.Initialize(_range);
        _bits = new BitWriter(capacity);
    }

    /// <summary>
    /// The JPEG-LS stream of an image given as one plane per component (<paramref name="width"/> x
    /// <paramref name="height"/> samples each, row by row, every sample within 0..2^<paramref name="precision"/> - 1).
    /// </summary>
    public static byte[] Encode(int[][] planes, int width, int height, int precision)
    {
        ArgumentNullException.ThrowIfNull(planes);
        if (planes.Length is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(planes), "JPEG-LS codes 1 to 255 components.");
        if (width is < 1 or > 65535 || height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(width), "JPEG-LS frame headers hold sizes of 1 to 65535 without an LSE oversize segment.");
        if (precision is < 2 or > 16) throw new ArgumentOutOfRangeException(nameof(precision), "JPEG-LS samples have 2 to 16 bits.");
        // Room for a typical result; the writer grows when noise needs more.
        var capacity = (int)Math.Min(Array.MaxLength, 64 + (long)width * height * planes.Length * (precision + 7) / 8 / 2);
        var encoder = new JpegLsEncoder(width, height, precision, planes.Length, capacity);
        return encoder.Run(planes, precision);
    }

    private byte[] Run(int[][] planes, int precision)
    {
        var n = planes.Length;
        _bits.WriteMarker(0xD8); // SOI
        _bits.WriteFrameHeader(0xF7, precision, _height, _width, n); // SOF55 (T.87 C.2.2)
        // Below 8 bits, the default thresholds follow another formula (T.87 C.2.4.1.1.1, MAXVAL < 128) that the
        // CharLS in dcmtk 3.6.7 and GDCM gets wrong (T3 4 instead of 5 at 6 bits): the values are written out (LSE,
        // C.2.4.1.1), so that every decoder uses the same ones.
        if (_maxVal < 128)
        {
            _bits.WriteMarker(0xF8);
            _bits.WriteUInt16(13);
            _bits.WriteByte(1); // preset coding parameters
            _bits.WriteUInt16(_maxVal);
            _bits.WriteUInt16(_thresholds.T1);
            _bits.WriteUInt16(_thresholds.T2);
            _bits.WriteUInt16(_thresholds.T3);
            _bits.WriteUInt16(Reset);
        }
        // SOS (T.87 C.2.3): every component in one scan, NEAR 0, ILV 0 for one component and 1 (by line) for more.
        _bits.WriteMarker(0xDA);
        _bits.WriteUInt16(6 + 2 * n);
        _bits.WriteByte((byte)n);
        for (var c = 0; c < n; c++)
        {
            _bits.WriteByte((byte)(c + 1));
            _bits.WriteByte(0); // no mapping table
        }
        _bits.WriteByte(0); // NEAR
        _bits.WriteByte((byte)(n == 1 ? 0 : 1));
        _bits.WriteByte(0); // point transform
        EncodeScan(planes);
        _bits.EndEntropyCodedData();
        _bits.WriteMarker(0xD9); // EOI
        return _bits.ToArray();
    }

    private void EncodeScan(int[][] planes)
    {
        // As the decoder does: per component, the previous and current line with one sample of margin each side
        // (T.87 A.2.1: Ra = Rb and Rc = the previous line's first Ra at a line's start, Rd = Rb at its end; zeros
        // above the first line).
        var n = planes.Length;
        var previous = new int[n][];
        var current = new int[n][];
        for (var i = 0; i < n; i++)
        {
            previous[i] = new int[_width + 2];
            current[i] = new int[_width + 2];
        }
        for (var y = 0; y < _height; y++)
            for (var i = 0; i < n; i++)
            {
                var (p, c) = (previous[i], current[i]);
                p[_width + 1] = p[_width];
                c[0] = p[1];
                Array.Copy(planes[i], y * _width, c, 1, _width);
                EncodeLine(p, c, i);
                (previous[i], current[i]) = (c, p);
            }
    }

    private void EncodeLine(int[] previous, int[] current, int component)
    {
        var x = 1;
        var rb = previous[0];
        var rd = previous[1];
        while (x <= _width)
        {
            var ra = current[x - 1];
            var rc = rb;
            rb = rd;
            rd = previous[x + 1];
            var qs = JpegLsCoding.Context(Quantize(rd - rb), Quantize(rb - rc), Quantize(rc - ra));
            if (qs != 0)
            {
                Regular(qs, JpegLsCoding.Predict(ra, rb, rc), current[x]);
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

    private int Quantize(int d) => _quantized[d + _maxVal + 1];

    /// <summary>One sample in regular mode (T.87 A.4 to A.6).</summary>
    private void Regular(int qs, int prediction, int sample)
    {
        var sign = qs < 0 ? -1 : 1;
        var q = qs * sign;
        var contexts = _contexts;
        prediction = Math.Clamp(prediction + sign * contexts.Regular[q].C, 0, _maxVal);
        var error = ModRange((sample - prediction) * sign);
        var k = contexts.K(q);
        // A.5.2: with k = 0 in lossless coding, the mapping is inverted when the context's bias is negative.
        var mapped = k == 0 && 2 * contexts.Regular[q].B <= -contexts.Regular[q].N
            ? (error >= 0 ? 2 * error + 1 : -2 * (error + 1))
            : (error >= 0 ? 2 * error : -2 * error - 1);
        EncodeValue(mapped, k, _limit);
        contexts.Update(q, error);
    }

    /// <summary>T.87 A.4.5: the error reduced into -RANGE/2 .. RANGE/2.</summary>
    private int ModRange(int error)
    {
        if (error < 0) error += _range;
        if (error >= (_range + 1) / 2) error -= _range;
        return error;
    }

    /// <summary>A Golomb code of parameter <paramref name="k"/> limited to <paramref name="limit"/> bits (T.87 A.5.3).</summary>
    private void EncodeValue(int mapped, int k, int limit)
    {
        var high = mapped >> k;
        if (high < limit - (_qbpp + 1))
        {
            // high zeros, a 1, then the k low bits: one write when it fits (almost always).
            if (high + 1 + k <= 32) _bits.Write(1 << k | (mapped & ((1 << k) - 1)), high + 1 + k);
            else
            {
                _bits.WriteZeros(high);
                _bits.Write(1, 1);
                if (k > 0) _bits.Write(mapped & ((1 << k) - 1), k);
            }
        }
        else
        {
            _bits.WriteZeros(limit - (_qbpp + 1));
            _bits.Write(1, 1);
            _bits.Write(mapped - 1, _qbpp);
        }
    }

    /// <summary>Run mode from <paramref name="x"/> (T.87 A.7): the run, then the sample that ends it unless the line did. Returns the samples coded.</summary>
    private int RunMode(int[] previous, int[] current, int x, int component)
    {
        var ra = current[x - 1];
        var count = 0;
        while (x + count <= _width && current[x + count] == ra) count++;
        ref var runIndex = ref _runIndex[component];
        // A.7.1.2: full runs of 2^J[RUNindex] as 1 bits, then the rest of the run after a 0 in J bits, unless the
        // line ended it (a last 1 bit for a partial run).
        var left = count;
        while (left >= 1 << JpegLsCoding.J[runIndex])
        {
            _bits.Write(1, 1);
            left -= 1 << JpegLsCoding.J[runIndex];
            if (runIndex < 31) runIndex++;
        }
        var end = x + count;
        if (end > _width)
        {
            if (left > 0) _bits.Write(1, 1);
            return count;
        }
        _bits.Write(0, 1);
        if (JpegLsCoding.J[runIndex] > 0) _bits.Write(left, JpegLsCoding.J[runIndex]);
        // A.7.2: the run interruption sample.
        var rb = previous[end];
        var sample = current[end];
        if (ra == rb) Interruption(1, ModRange(sample - ra), runIndex);
        else Interruption(0, ModRange((sample - rb) * (rb - ra < 0 ? -1 : 1)), runIndex);
        if (runIndex > 0) runIndex--;
        return count + 1;
    }

    /// <summary>The error of a run interruption sample (T.87 A.7.2) in context <paramref name="type"/> (RItype).</summary>
    private void Interruption(int type, int error, int runIndex)
    {
        var contexts = _contexts;
        var k = contexts.InterruptionK(type);
        var map = k == 0 && error > 0 && 2 * contexts.RunNn[type] < contexts.RunN[type]
            || error < 0 && 2 * contexts.RunNn[type] >= contexts.RunN[type]
            || error < 0 && k != 0;
        var mapped = 2 * Math.Abs(error) - type - (map ? 1 : 0);
        EncodeValue(mapped, k, _limit - JpegLsCoding.J[runIndex] - 1);
        contexts.UpdateInterruption(type, error, mapped);
    }

    /// <summary>
    /// The stream being written; in entropy-coded data a 0xFF byte is followed by a byte carrying only 7 bits, its
    /// first bit a stuffed 0 (T.87 A.1), so that no marker can appear.
    /// </summary>
    private sealed class BitWriter(int capacity) : JpegStreamWriter(capacity)
    {
        private ulong _pending; // bits not yet in a byte, the latest in the low bits
        private int _count;
        private bool _afterFF;

        /// <summary>Writes the low <paramref name="n"/> bits (at most 32) of <paramref name="value"/>, the first one highest.</summary>
        public void Write(int value, int n)
        {
            _pending = _pending << n | ((uint)value & (n == 32 ? uint.MaxValue : (1u << n) - 1));
            _count += n;
            while (_count >= 8 || (_afterFF && _count >= 7)) Emit();
        }

        public void WriteZeros(int n)
        {
            for (; n > 24; n -= 24) Write(0, 24);
            if (n > 0) Write(0, n);
        }

        private void Emit()
        {
            var bits = _afterFF ? 7 : 8;
            _count -= bits;
            var b = (byte)(_pending >> _count & (bits == 8 ? 0xFFu : 0x7Fu));
            WriteByte(b);
            _afterFF = b == 0xFF;
        }

        /// <summary>
        /// Pads the last byte with zero bits; after a final 0xFF, a zero byte follows, so that the marker after the
        /// data is not read as its stuffed byte.
        /// </summary>
        public void EndEntropyCodedData()
        {
            if (_count > 0) Write(0, (_afterFF ? 7 : 8) - _count);
            if (_afterFF) Write(0, 7);
            _afterFF = false;
        }
    }
}
