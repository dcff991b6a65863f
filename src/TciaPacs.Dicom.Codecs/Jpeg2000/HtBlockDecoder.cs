using System.Numerics;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// The HT block decoder of ITU-T T.814 | ISO/IEC 15444-15 (HTJ2K): one code-block's HT cleanup pass, then, when
/// present, its significance propagation and magnitude refinement passes one bit-plane below. The cleanup segment
/// holds three streams: MagSgn growing forward from its start, MEL growing forward from the start of its last Scup
/// bytes and VLC growing backward from its end; the refinement segment holds SigProp forward and MagRef backward.
/// Magnitudes are kept as <see cref="CodeBlockDecoder"/> keeps them, with one fractional bit, so that a truncated
/// coefficient is reconstructed in the middle of what is known.
/// </summary>
internal sealed class HtBlockDecoder : IDecodedCodeBlock
{
    private const string Corrupt = Jpeg2000Decoder.Corrupt;

    // The MEL coder's exponent per state.
    private static readonly int[] MelExponents = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5];

    private int[] _samples = []; // signed magnitude with one fractional bit
    private byte[] _state = [];  // 1: significant in the cleanup pass, 2: in the significance propagation pass
    private int[] _quadInfo = [], _quadU = [], _aboveInfo = [], _aboveV = [], _rowV = [];
    private int _width, _height;

    public int Magnitude(int x, int y) => Math.Abs(_samples[y * _width + x]);

    public bool IsNegative(int x, int y) => _samples[y * _width + x] < 0;

    public void ReadRow(int y, Span<int> values) => _samples.AsSpan(y * _width, _width).CopyTo(values);

    /// <summary>
    /// Decodes <paramref name="passes"/> (1 to 3) passes of a <paramref name="width"/> x <paramref name="height"/>
    /// code-block whose cleanup pass lies at bit-plane <paramref name="plane"/>, with <paramref name="missingMsbs"/>
    /// missing most significant bit-planes signalled. The cleanup segment is data[0..cleanupLength), the refinement
    /// segment the <paramref name="refinementLength"/> bytes after it.
    /// </summary>
    public void Decode(int width, int height, int plane, int missingMsbs, bool stripeCausal, byte[] data, int cleanupLength,
        int refinementLength, int passes)
    {
        _width = width;
        _height = height;
        var size = width * height;
        if (_samples.Length < size)
        {
            _samples = new int[size];
            _state = new byte[size];
        }
        else
        {
            Array.Clear(_samples, 0, size);
            Array.Clear(_state, 0, size);
        }
        if (cleanupLength < 2) throw new DicomCodecException(Corrupt + $"an HT cleanup segment of {cleanupLength} bytes (at least 2).");
        var scup = data[cleanupLength - 1] << 4 | data[cleanupLength - 2] & 15;
        if (scup < 2 || scup > cleanupLength || scup > 4079)
            throw new DicomCodecException(Corrupt + $"an HT cleanup segment's MEL and VLC length ({scup}) does not fit its {cleanupLength} bytes.");
        Cleanup(data, cleanupLength, scup, plane, missingMsbs);
        // A cleanup pass at bit-plane 0 leaves nothing to refine, and refinement passes without a byte of their own
        // are malformed: OpenJPEG and OpenJPH then decode the cleanup pass alone, and so do we.
        if (passes < 2 || plane == 0 || refinementLength == 0) return;
        SignificancePropagation(new ForwardBits(data, cleanupLength, cleanupLength + refinementLength, 0), plane - 1, stripeCausal);
        if (passes > 2) MagnitudeRefinement(new ReverseBits(data, cleanupLength + refinementLength - 1, cleanupLength, true), plane - 1);
    }

    // ---- Cleanup pass ----

    private void Cleanup(byte[] data, int lcup, int scup, int plane, int missingMsbs)
    {
        var pcup = lcup - scup;
        var magSgn = new ForwardBits(data, 0, pcup, 0xFF);
        var mel = new MelDecoder(data, pcup, lcup - 1);
        // The VLC stream starts with the upper half of the byte before Scup's last byte.
        var vlc = new ReverseBits(data, lcup - 3, pcup, false);
        vlc.StartWithNibble(data[lcup - 2]);

        var quads = (_width + 1) / 2;
        if (_quadInfo.Length < quads + 1)
        {
            _quadInfo = new int[quads + 1];
            _quadU = new int[quads + 1];
            _aboveInfo = new int[quads + 1];
        }
        if (_rowV.Length < _width)
        {
            _aboveV = new int[_width];
            _rowV = new int[_width];
        }
        for (var qy = 0; qy < (_height + 1) / 2; qy++)
        {
            var initial = qy == 0;
            DecodeQuadRow(ref vlc, ref mel, quads, initial);
            DecodeMagSgnRow(ref magSgn, quads, qy, initial, plane, missingMsbs);
            (_aboveInfo, _quadInfo) = (_quadInfo, _aboveInfo);
            (_aboveV, _rowV) = (_rowV, _aboveV);
        }
    }

    /// <summary>Each quad's significance, u offset and EMB patterns (VLC with MEL), then each pair's u (U-VLC).</summary>
    private void DecodeQuadRow(ref ReverseBits vlc, ref MelDecoder mel, int quads, bool initial)
    {
        var table = initial ? HtVlcTable.Initial : HtVlcTable.Following;
        for (var q = 0; q < quads; q += 2)
        {
            for (var j = q; j < Math.Min(q + 2, quads); j++)
            {
                var context = initial ? InitialContext(j) : FollowingContext(j, quads);
                var info = 0;
                // In the zero context, one MEL event says whether the quad is significant at all.
                if (context != 0 || mel.Event() != 0)
                {
                    info = table[context << 7 | (int)vlc.Peek(7)];
                    if (info == 0) throw new DicomCodecException(Corrupt + "an HT code-block's VLC stream has no codeword here.");
                    vlc.Skip(info & 7);
                }
                _quadInfo[j] = info;
            }
            int off0 = _quadInfo[q] >> 3 & 1, off1 = q + 1 < quads ? _quadInfo[q + 1] >> 3 & 1 : 0;
            int u0 = 0, u1 = 0;
            switch (off0 | off1 << 1)
            {
                case 1:
                    u0 = UValue(ref vlc, Prefix(ref vlc));
                    break;
                case 2:
                    u1 = UValue(ref vlc, Prefix(ref vlc));
                    break;
                case 3 when initial && mel.Event() == 1:
                {
                    // Both quads of an initial pair have large u: each is at least 3.
                    int p0 = Prefix(ref vlc), p1 = Prefix(ref vlc);
                    u0 = 2 + UValue(ref vlc, p0);
                    u1 = 2 + UValue(ref vlc, p1);
                    break;
                }
                case 3 when initial:
                {
                    var p0 = Prefix(ref vlc);
                    if (p0 > 2)
                    {
                        // A long first prefix leaves the second quad's u at 1 or 2, in one bit.
                        u1 = (int)vlc.Read(1) + 1;
                        u0 = UValue(ref vlc, p0);
                    }
                    else
                    {
                        var p1 = Prefix(ref vlc);
                        u0 = UValue(ref vlc, p0);
                        u1 = UValue(ref vlc, p1);
                    }
                    break;
                }
                case 3:
                {
                    int p0 = Prefix(ref vlc), p1 = Prefix(ref vlc);
                    u0 = UValue(ref vlc, p0);
                    u1 = UValue(ref vlc, p1);
                    break;
                }
            }
            _quadU[q] = u0;
            _quadU[q + 1] = u1;
        }
    }

    // The first quad row's context: the significance of the quad to the left (T.814 eq. 1).
    private int InitialContext(int q)
    {
        if (q == 0) return 0;
        var rho = _quadInfo[q - 1] >> 4 & 15;
        return (rho & 1 | rho >> 1 & 1) | (rho >> 2 & 1) << 1 | (rho >> 3 & 1) << 2;
    }

    // Other rows: the quad to the left, and the bottom samples of the quads above, above-left and above-right (T.814 eq. 2).
    private int FollowingContext(int q, int quads)
    {
        var n = _aboveInfo[q] >> 4;
        var nw = q > 0 ? _aboveInfo[q - 1] >> 4 : 0;
        var ne = q + 1 < quads ? _aboveInfo[q + 1] >> 4 : 0;
        var w = q > 0 ? _quadInfo[q - 1] >> 4 : 0;
        return (nw >> 3 & 1 | n >> 1 & 1) | (w >> 2 & 1 | w >> 3 & 1) << 1 | (n >> 3 & 1 | ne >> 1 & 1) << 2;
    }

    // U-VLC prefixes "1", "01", "001" and "000" (first bit read lowest) give 1, 2, 3 and 5.
    private static int Prefix(ref ReverseBits vlc)
    {
        if (vlc.Read(1) != 0) return 1;
        if (vlc.Read(1) != 0) return 2;
        return vlc.Read(1) != 0 ? 3 : 5;
    }

    private static int UValue(ref ReverseBits vlc, int prefix) => prefix switch
    {
        3 => 3 + (int)vlc.Read(1),
        5 => 5 + (int)vlc.Read(5),
        _ => prefix,
    };

    /// <summary>The row's magnitudes and signs from the MagSgn stream, with the exponent bound U of each quad.</summary>
    private void DecodeMagSgnRow(ref ForwardBits magSgn, int quads, int qy, bool initial, int plane, int missingMsbs)
    {
        var y = qy * 2;
        var width = _width;
        var samples = _samples;
        var state = _state;
        var rowV = _rowV;
        Array.Clear(rowV, 0, width);
        // The reader's state in locals for the row, so that it stays in registers.
        var (bits, count) = magSgn.Take();
        for (var q = 0; q < quads; q++)
        {
            var info = _quadInfo[q];
            var rho = info >> 4 & 15;
            if (rho == 0) continue;
            int kappa = 1;
            // Beyond the first row, a quad with more than one significant sample takes its exponent bound from the
            // largest magnitude exponent among the samples above it.
            if (!initial && (rho & (rho - 1)) != 0)
            {
                var above = 0;
                for (var x = Math.Max(0, 2 * q - 1); x <= Math.Min(width - 1, 2 * q + 2); x++) above |= _aboveV[x];
                kappa = 31 - BitOperations.LeadingZeroCount((uint)(above | 2));
            }
            var bound = _quadU[q] + kappa;
            if (bound > missingMsbs + 2)
                throw new DicomCodecException(Corrupt + $"an HT quad's magnitude bound ({bound} bits) exceeds the code-block's {missingMsbs} missing bit-planes + 2.");
            for (var n = 0; n < 4; n++)
            {
                if ((rho >> n & 1) == 0) continue;
                if (count < 32) (bits, count) = magSgn.Refill(bits, count);
                var m = bound - (info >> 12 + n & 1);
                // v = 2(mu - 1) + sign, its top bit given by e_1 when the exponent is known (e_k). With at most 28
                // bit-planes (checked per band) and bound <= missing MSBs + 2, (v + 2) << plane stays below 2^31.
                var v = (int)(bits & ((1UL << m) - 1)) | (info >> 8 + n & 1) << m | 1;
                var negative = (bits & 1) != 0;
                bits >>= m;
                count -= m;
                int sx = 2 * q + (n >> 1), sy = y + (n & 1);
                if (sx >= width || sy >= _height) continue; // a significant sample outside the block: ignored
                var magnitude = (v + 2) << plane; // (2mu + 1) * 2^plane: mu and half an interval
                samples[sy * width + sx] = negative ? -magnitude : magnitude;
                state[sy * width + sx] = 1;
                if ((n & 1) == 1) rowV[sx] = v;
            }
        }
        magSgn.Give(bits, count);
    }

    // ---- Significance propagation pass ----

    private void SignificancePropagation(ForwardBits bits, int plane, bool stripeCausal)
    {
        var newlySignificant = 3 << plane; // 1.5 * 2^plane, with one fractional bit
        Span<int> found = stackalloc int[16];
        for (var y0 = 0; y0 < _height; y0 += 4)
        {
            var y1 = Math.Min(y0 + 4, _height);
            var lastNeighbourRow = stripeCausal ? y1 - 1 : Math.Min(y1, _height - 1);
            for (var x0 = 0; x0 < _width; x0 += 4)
            {
                var count = 0;
                // Significance bits, column by column, then the group's signs.
                for (var x = x0; x < Math.Min(x0 + 4, _width); x++)
                    for (var y = y0; y < y1; y++)
                    {
                        var at = y * _width + x;
                        if (_state[at] != 0 || !HasSignificantNeighbour(x, y, lastNeighbourRow)) continue;
                        if (bits.Read(1) == 0) continue;
                        _state[at] = 2;
                        found[count++] = at;
                    }
                for (var i = 0; i < count; i++)
                    _samples[found[i]] = bits.Read(1) != 0 ? -newlySignificant : newlySignificant;
            }
        }
    }

    private bool HasSignificantNeighbour(int x, int y, int lastRow)
    {
        for (var ny = Math.Max(0, y - 1); ny <= Math.Min(lastRow, y + 1); ny++)
            for (var nx = Math.Max(0, x - 1); nx <= Math.Min(_width - 1, x + 1); nx++)
                if (_state[ny * _width + nx] != 0 && (nx != x || ny != y)) return true;
        return false;
    }

    // ---- Magnitude refinement pass: one bit for each sample significant in the cleanup pass ----

    private void MagnitudeRefinement(ReverseBits bits, int plane)
    {
        for (var y0 = 0; y0 < _height; y0 += 4)
            for (var x = 0; x < _width; x++)
                for (var y = y0; y < Math.Min(y0 + 4, _height); y++)
                {
                    var at = y * _width + x;
                    if (_state[at] != 1) continue;
                    var value = _samples[at];
                    var magnitude = Math.Abs(value);
                    // (2mu + 1) at plane p + 1 becomes (4mu + 2b + 1) at plane p.
                    magnitude = (2 * (magnitude >> plane + 1) - 1 + 2 * (int)bits.Read(1)) << plane;
                    _samples[at] = value < 0 ? -magnitude : magnitude;
                }
    }

    // ---- Bit streams (bit-stuffing: after 0xFF going forward, after a byte above 0x8F going backward) ----

    /// <summary>A forward stream read low bit first; the byte after an 0xFF gives 7 bits. Past its end, <c>fill</c>.</summary>
    private struct ForwardBits(byte[] data, int position, int end, byte fill)
    {
        private ulong _bits;
        private int _count;
        private bool _unstuff;

        public ulong Peek(int n)
        {
            while (_count <= 56)
            {
                var b = position < end ? data[position++] : fill;
                var take = _unstuff ? 7 : 8;
                _bits |= (ulong)(b & (_unstuff ? 0x7F : 0xFF)) << _count;
                _count += take;
                _unstuff = b == 0xFF;
            }
            return _bits & ((1UL << n) - 1);
        }

        /// <summary>The buffered bits and their count, for a caller that reads them in its own locals.</summary>
        public readonly (ulong Bits, int Count) Take() => (_bits, _count);

        public void Give(ulong bits, int count)
        {
            _bits = bits;
            _count = count;
        }

        /// <summary>Tops up a caller's buffer (<paramref name="bits"/>, <paramref name="count"/> of them) to more than 56 bits.</summary>
        public (ulong Bits, int Count) Refill(ulong bits, int count)
        {
            while (count <= 56)
            {
                var b = position < end ? data[position++] : fill;
                bits |= (ulong)(b & (_unstuff ? 0x7F : 0xFF)) << count;
                count += _unstuff ? 7 : 8;
                _unstuff = b == 0xFF;
            }
            return (bits, count);
        }

        public void Skip(int n)
        {
            _bits >>= n;
            _count -= n;
        }

        public uint Read(int n)
        {
            var v = (uint)Peek(n);
            Skip(n);
            return v;
        }
    }

    /// <summary>
    /// A stream read backward from <c>position</c> down to <c>start</c>, low bit first; a byte whose low 7 bits are
    /// all 1 after a byte above 0x8F gives 7 bits. Past its start, zeros.
    /// </summary>
    private struct ReverseBits(byte[] data, int position, int start, bool unstuff)
    {
        private ulong _bits;
        private int _count;
        private bool _unstuff = unstuff;

        public void StartWithNibble(byte b)
        {
            var nibble = b >> 4;
            _count = (nibble & 7) == 7 ? 3 : 4;
            _bits = (ulong)(nibble & ((1 << _count) - 1));
            _unstuff = (b | 15) > 0x8F;
        }

        public ulong Peek(int n)
        {
            while (_count <= 56)
            {
                var b = position >= start ? data[position--] : (byte)0;
                var take = _unstuff && (b & 0x7F) == 0x7F ? 7 : 8;
                _bits |= (ulong)(b & (take == 7 ? 0x7F : 0xFF)) << _count;
                _count += take;
                _unstuff = b > 0x8F;
            }
            return _bits & ((1UL << n) - 1);
        }

        public void Skip(int n)
        {
            _bits >>= n;
            _count -= n;
        }

        public uint Read(int n)
        {
            var v = (uint)Peek(n);
            Skip(n);
            return v;
        }
    }

    /// <summary>
    /// The MEL stream's adaptive run-length decoder: bits read high first from data[start..end), the last
    /// byte's low four bits forced to 1 (they belong to the VLC stream), 0xFF past the end, and 7 bits after an 0xFF.
    /// </summary>
    private struct MelDecoder(byte[] data, int position, int end)
    {
        private int _byte, _bitsLeft, _state, _zeros;
        private bool _unstuff, _onePending;

        public int Event()
        {
            if (_zeros > 0)
            {
                _zeros--;
                return 0;
            }
            if (_onePending)
            {
                _onePending = false;
                return 1;
            }
            var exponent = MelExponents[_state];
            if (Bit() == 1)
            {
                // A run of 2^exponent zero events with no one after it.
                _zeros = (1 << exponent) - 1;
                _state = Math.Min(12, _state + 1);
                return 0;
            }
            var run = 0;
            for (var i = 0; i < exponent; i++) run = run << 1 | Bit();
            _state = Math.Max(0, _state - 1);
            if (run == 0) return 1;
            _zeros = run - 1;
            _onePending = true;
            return 0;
        }

        private int Bit()
        {
            if (_bitsLeft == 0)
            {
                _byte = position < end ? data[position] : 0xFF;
                if (position == end - 1) _byte |= 15;
                position++;
                _bitsLeft = _unstuff ? 7 : 8;
                _unstuff = _byte == 0xFF;
            }
            return _byte >> --_bitsLeft & 1;
        }
    }
}
