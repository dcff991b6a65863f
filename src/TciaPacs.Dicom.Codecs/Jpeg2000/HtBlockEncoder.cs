using System.Numerics;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// The HT cleanup pass of ITU-T T.814 | ISO/IEC 15444-15 in the encoding direction, the inverse of
/// <see cref="HtBlockDecoder"/>'s: one pass at bit-plane 0 holds every magnitude whole, which is all a lossless
/// code-block needs (OpenJPH writes the same). Quads of 2x2 samples give their significance and exponent bounds in
/// the VLC stream (with MEL run lengths in the all-insignificant context and U-VLC offsets), their magnitudes and
/// signs in the MagSgn stream. The segment is MagSgn forward, MEL forward, then VLC backward from the segment's end,
/// whose last 12 bits give the MEL and VLC bytes' count (Scup).
/// </summary>
internal static class HtBlockEncoder
{
    /// <summary>
    /// The VLC codewords by (c_q &lt;&lt; 9) | (rho &lt;&lt; 5) | (u_off &lt;&lt; 4) | emb, where emb holds the samples whose
    /// exponent is the quad's bound U (their bit U-1 set): the codeword in bits 0-7, its length in 8-11 and e_k in 12-15;
    /// 0 where no codeword fits. Of those that fit, the one that costs fewest bits (its length less the bits it implies).
    /// </summary>
    private static readonly ushort[] InitialCodes = BuildCodes(HtVlcTable.InitialSource), FollowingCodes = BuildCodes(HtVlcTable.FollowingSource);

    private static ushort[] BuildCodes(string source)
    {
        var codes = new ushort[8 << 9];
        var cost = new int[codes.Length];
        foreach (var entry in source.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var v = Convert.ToUInt32(entry, 16);
            int context = (int)(v >> 28), rho = (int)(v >> 24) & 15, uOff = (int)(v >> 20) & 15, ek = (int)(v >> 16) & 15;
            int e1 = (int)(v >> 12) & 15, codeword = (int)(v >> 4) & 0xFF, length = (int)v & 15;
            for (var emb = 0; emb < 16; emb++)
            {
                // The codeword says bit U-1 of each sample in e_k is its bit in e_1: true for this emb? (With u_off 0,
                // U may be 1, where bit U-1 is the sign, which is never implied.)
                if ((emb & ~rho) != 0 || (emb & ek) != e1 || (uOff == 0 && ek != 0)) continue;
                var index = context << 9 | rho << 5 | uOff << 4 | emb;
                // Bits spent: the codeword's, less the MagSgn bits it implies.
                var bits = length - BitOperations.PopCount((uint)ek);
                if (codes[index] != 0 && cost[index] <= bits) continue;
                codes[index] = (ushort)(codeword | length << 8 | ek << 12);
                cost[index] = bits;
            }
        }
        return codes;
    }

    private static readonly int[] MelExponents = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5];

    /// <summary>
    /// Codes the <paramref name="width"/> x <paramref name="height"/> coefficients at
    /// <paramref name="coefficients"/>[<paramref name="start"/>..] (rows <paramref name="stride"/> apart) in one
    /// cleanup pass at bit-plane 0. Returns the segment, and the bit-planes of the largest magnitude (0: all zero, no segment).
    /// </summary>
    public static (byte[] Bytes, int Planes) Encode(int[] coefficients, int start, int stride, int width, int height)
    {
        var all = 0;
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                all |= Math.Abs(coefficients[start + y * stride + x]);
        var planes = 32 - BitOperations.LeadingZeroCount((uint)all);
        if (planes == 0) return ([], 0);

        var magSgn = new ForwardWriter();
        var mel = new MelWriter();
        var vlc = new ReverseWriter();
        var quads = (width + 1) / 2;
        var rho = new int[quads];
        var aboveRho = new int[quads];
        // The exponent E of each sample of the quad row's bottom line, for the next row's exponent bounds (kappa).
        var rowE = new int[width];
        var aboveE = new int[width];
        Span<int> v = stackalloc int[4], e = stackalloc int[4];
        Span<int> u = stackalloc int[2], uOff = stackalloc int[2];
        for (var qy = 0; qy < (height + 1) / 2; qy++)
        {
            var initial = qy == 0;
            var codes = initial ? InitialCodes : FollowingCodes;
            Array.Clear(rowE);
            for (var q = 0; q < quads; q += 2)
            {
                var pair = Math.Min(2, quads - q);
                for (var j = 0; j < pair; j++)
                {
                    var quad = q + j;
                    // The quad's samples: n = 0 top-left, 1 bottom-left, 2 top-right, 3 bottom-right.
                    var r = 0;
                    var eMax = 0;
                    for (var n = 0; n < 4; n++)
                    {
                        int sx = 2 * quad + (n >> 1), sy = 2 * qy + (n & 1);
                        v[n] = e[n] = 0;
                        if (sx >= width || sy >= height) continue;
                        var c = coefficients[start + sy * stride + sx];
                        if (c == 0) continue;
                        var mu = Math.Abs(c);
                        r |= 1 << n;
                        v[n] = 2 * (mu - 1) + (c < 0 ? 1 : 0);
                        e[n] = 32 - BitOperations.LeadingZeroCount((uint)(2 * mu - 1));
                        eMax = Math.Max(eMax, e[n]);
                        if ((n & 1) == 1) rowE[sx] = e[n];
                    }
                    rho[quad] = r;
                    var context = initial ? InitialContext(rho, quad) : FollowingContext(rho, aboveRho, quad, quads);
                    if (context == 0) mel.Encode(r != 0);
                    if (r == 0)
                    {
                        if (context != 0) Emit(vlc, codes, context, 0, 0, 0);
                        u[j] = uOff[j] = 0;
                        continue;
                    }
                    // The exponent bound U = max(E, kappa); kappa is 1 but for a quad with several significant
                    // samples below the first row, where it follows the largest exponent above it.
                    var kappa = 1;
                    if (!initial && (r & (r - 1)) != 0)
                    {
                        var above = 0;
                        for (var x = Math.Max(0, 2 * quad - 1); x <= Math.Min(width - 1, 2 * quad + 2); x++) above = Math.Max(above, aboveE[x]);
                        kappa = Math.Max(1, above - 1);
                    }
                    var bound = Math.Max(eMax, kappa);
                    u[j] = bound - kappa;
                    uOff[j] = u[j] > 0 ? 1 : 0;
                    var emb = 0;
                    for (var n = 0; n < 4; n++)
                        if ((r >> n & 1) != 0 && (v[n] >> (bound - 1) & 1) != 0) emb |= 1 << n;
                    var ek = Emit(vlc, codes, context, r, uOff[j], emb);
                    for (var n = 0; n < 4; n++)
                        if ((r >> n & 1) != 0) magSgn.Write((uint)v[n], bound - (ek >> n & 1));
                }
                if (pair == 1) u[1] = uOff[1] = 0;
                EncodeU(vlc, mel, uOff[0] | uOff[1] << 1, u[0], u[1], initial);
            }
            (aboveRho, rho) = (rho, aboveRho);
            (aboveE, rowE) = (rowE, aboveE);
        }
        return (Assemble(magSgn, mel, vlc), planes);
    }

    /// <summary>Writes the quad's VLC codeword; returns its e_k (the samples whose bit U-1 it implies).</summary>
    private static int Emit(ReverseWriter vlc, ushort[] codes, int context, int rho, int uOff, int emb)
    {
        var code = codes[context << 9 | rho << 5 | uOff << 4 | emb];
        if (code == 0) throw new DicomCodecException($"No HT VLC codeword for context {context}, rho {rho}, u_off {uOff}, emb {emb}.");
        vlc.Write(code & 0xFF, code >> 8 & 15);
        return code >> 12;
    }

    // The U-VLC of a quad pair (T.814 7.3.6), as HtBlockDecoder reads it: prefixes first, then suffixes.
    private static void EncodeU(ReverseWriter vlc, MelWriter mel, int offsets, int u0, int u1, bool initial)
    {
        switch (offsets)
        {
            case 1:
                Prefix(vlc, u0);
                Suffix(vlc, u0);
                break;
            case 2:
                Prefix(vlc, u1);
                Suffix(vlc, u1);
                break;
            case 3 when initial:
                // In the first row a MEL event says whether both are above 2, then each is coded less 2.
                var bothLarge = u0 > 2 && u1 > 2;
                mel.Encode(bothLarge);
                if (bothLarge)
                {
                    Prefix(vlc, u0 - 2);
                    Prefix(vlc, u1 - 2);
                    Suffix(vlc, u0 - 2);
                    Suffix(vlc, u1 - 2);
                }
                else if (u0 > 2)
                {
                    // A long first prefix leaves the second at 1 or 2, in one bit.
                    Prefix(vlc, u0);
                    vlc.Write(u1 - 1, 1);
                    Suffix(vlc, u0);
                }
                else
                {
                    Prefix(vlc, u0);
                    Prefix(vlc, u1);
                    Suffix(vlc, u0);
                    Suffix(vlc, u1);
                }
                break;
            case 3:
                Prefix(vlc, u0);
                Prefix(vlc, u1);
                Suffix(vlc, u0);
                Suffix(vlc, u1);
                break;
        }
    }

    // Prefixes "1", "01", "001", "000" (first bit written lowest) for u of 1, 2, 3-4 and 5 or more.
    private static void Prefix(ReverseWriter vlc, int u)
    {
        if (u == 1) vlc.Write(1, 1);
        else if (u == 2) vlc.Write(0b10, 2);
        else if (u <= 4) vlc.Write(0b100, 3);
        else vlc.Write(0, 3);
    }

    private static void Suffix(ReverseWriter vlc, int u)
    {
        if (u is 3 or 4) vlc.Write(u - 3, 1);
        else if (u >= 5)
        {
            if (u - 5 >= 32) throw new DicomCodecException($"An HT exponent offset of {u} cannot be coded.");
            vlc.Write(u - 5, 5);
        }
    }

    // The contexts, as HtBlockDecoder computes them from the significance of decoded neighbours.
    private static int InitialContext(int[] rho, int q)
    {
        if (q == 0) return 0;
        var w = rho[q - 1];
        return (w & 1 | w >> 1 & 1) | (w >> 2 & 1) << 1 | (w >> 3 & 1) << 2;
    }

    private static int FollowingContext(int[] rho, int[] above, int q, int quads)
    {
        var n = above[q];
        var nw = q > 0 ? above[q - 1] : 0;
        var ne = q + 1 < quads ? above[q + 1] : 0;
        var w = q > 0 ? rho[q - 1] : 0;
        return (nw >> 3 & 1 | n >> 1 & 1) | (w >> 2 & 1 | w >> 3 & 1) << 1 | (n >> 3 & 1 | ne >> 1 & 1) << 2;
    }

    /// <summary>The cleanup segment: MagSgn, MEL, the VLC bytes reversed, and Scup in the last 12 bits.</summary>
    private static byte[] Assemble(ForwardWriter magSgn, MelWriter mel, ReverseWriter vlc)
    {
        var ms = magSgn.Finish();
        var (melBytes, vlcBytes) = MelWriter.FinishWith(mel, vlc);
        var scup = melBytes.Count + vlcBytes.Count;
        if (scup > 4079) throw new DicomCodecException($"An HT code-block's MEL and VLC streams take {scup} bytes (at most 4079).");
        var segment = new byte[ms.Count + scup];
        ms.CopyTo(segment, 0);
        melBytes.CopyTo(segment, ms.Count);
        for (var i = 0; i < vlcBytes.Count; i++) segment[^(i + 1)] = vlcBytes[i];
        segment[^1] = (byte)(scup >> 4);
        segment[^2] = (byte)(segment[^2] & 0xF0 | scup & 15);
        return segment;
    }

    /// <summary>The MagSgn stream: bits low first; after an 0xFF byte the next holds 7 bits. Its end is padded with ones, and a last 0xFF dropped (a decoder reads 0xFF past it).</summary>
    private sealed class ForwardWriter
    {
        private readonly List<byte> _bytes = [];
        private ulong _bits;
        private int _count, _capacity = 8;

        public void Write(uint value, int count)
        {
            _bits |= (value & (uint)((1UL << count) - 1)) << _count;
            _count += count;
            while (_count >= _capacity)
            {
                var b = (byte)(_bits & ((1UL << _capacity) - 1));
                _bits >>= _capacity;
                _count -= _capacity;
                _bytes.Add(b);
                _capacity = b == 0xFF ? 7 : 8;
            }
        }

        public List<byte> Finish()
        {
            if (_count > 0)
            {
                var b = (byte)(_bits | (0xFFUL << _count) & ((1UL << _capacity) - 1));
                if (b != 0xFF) _bytes.Add(b);
            }
            else if (_capacity == 7) _bytes.RemoveAt(_bytes.Count - 1);
            return _bytes;
        }
    }

    /// <summary>The MEL stream: the adaptive run-length coder of T.814 7.3.3, bits high first, 7 bits after an 0xFF.</summary>
    private sealed class MelWriter
    {
        private readonly List<byte> _bytes = [];
        private int _byte, _free = 8, _state, _run;

        public void Encode(bool one)
        {
            var exponent = MelExponents[_state];
            if (!one)
            {
                if (++_run < 1 << exponent) return;
                Bit(1); // a full run of 2^exponent zeros
                _run = 0;
                _state = Math.Min(12, _state + 1);
                return;
            }
            Bit(0);
            for (var i = exponent - 1; i >= 0; i--) Bit(_run >> i & 1);
            _run = 0;
            _state = Math.Max(0, _state - 1);
        }

        private void Bit(int bit)
        {
            _byte = _byte << 1 | bit;
            if (--_free > 0) return;
            _bytes.Add((byte)_byte);
            _free = _byte == 0xFF ? 7 : 8;
            _byte = 0;
        }

        /// <summary>
        /// Ends both streams: a pending run as if full, the MEL's last bits and the VLC's merged into one byte when
        /// they do not overlap (T.814 7.3.4).
        /// </summary>
        public static (List<byte> Mel, List<byte> Vlc) FinishWith(MelWriter mel, ReverseWriter vlc)
        {
            if (mel._run > 0) mel.Bit(1);
            var melByte = mel._byte << mel._free & 0xFF;
            var melMask = 0xFF << mel._free & 0xFF;
            var (vlcByte, vlcUsed) = vlc.Pending;
            var vlcMask = 0xFF >> (8 - vlcUsed);
            var vlcBytes = vlc.Bytes;
            if ((melMask | vlcMask) != 0)
            {
                var fused = melByte | vlcByte;
                if ((((fused ^ melByte) & melMask) | ((fused ^ vlcByte) & vlcMask)) == 0 && fused != 0xFF && vlcBytes.Count > 1)
                    mel._bytes.Add((byte)fused);
                else
                {
                    mel._bytes.Add((byte)melByte);
                    vlcBytes.Add((byte)vlcByte);
                }
            }
            return (mel._bytes, vlcBytes);
        }
    }

    /// <summary>
    /// The VLC stream, written from the segment's end backward, bits low first. Its first byte is the one Scup's high
    /// bits replace, and it starts in the upper half of the next (whose lower half holds Scup's low bits); after a byte
    /// above 0x8F, a byte whose low 7 bits are all ones holds only those 7.
    /// </summary>
    private sealed class ReverseWriter
    {
        public List<byte> Bytes { get; } = [0xFF];
        private int _byte = 0xF, _used = 4;
        private bool _afterLarge = true;

        public (int Byte, int Used) Pending => (_byte, _used);

        public void Write(int value, int count)
        {
            while (count > 0)
            {
                var available = 8 - (_afterLarge ? 1 : 0) - _used;
                var take = Math.Min(available, count);
                _byte |= (value & ((1 << take) - 1)) << _used;
                _used += take;
                available -= take;
                count -= take;
                value >>= take;
                if (available > 0) continue;
                if (_afterLarge && _byte != 0x7F)
                {
                    // The eighth bit is free unless the seven are all ones.
                    _afterLarge = false;
                    continue;
                }
                Bytes.Add((byte)_byte);
                _afterLarge = _byte > 0x8F;
                _byte = 0;
                _used = 0;
            }
        }
    }
}
