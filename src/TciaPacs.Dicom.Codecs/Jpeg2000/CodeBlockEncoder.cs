using static TciaPacs.Dicom.Codecs.Jpeg2000.CodeBlockDecoder;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// Tier-1 of T.800 (Annex D) in the encoding direction, the inverse of <see cref="CodeBlockDecoder"/>: every bit-plane
/// of one code-block, from its most significant non-zero one down to 0, in the three coding passes, as one codeword
/// segment of the MQ coder (code-block style 0: no bypass, no resets, no termination between passes). That is all a
/// reversible (lossless) stream of one quality layer needs: every pass goes in, so no rate allocation is made.
/// </summary>
internal sealed class CodeBlockEncoder
{
    private readonly byte[] _contexts = new byte[19];
    private readonly MqEncoder _mq = new();
    private int[] _flags = [];
    private int[] _magnitude = [];
    private int _width, _height, _stride;

    /// <summary>How many bit-planes the block's largest magnitude needs (0 when all are zero).</summary>
    public int Planes { get; private set; }

    /// <summary>The coding passes written: 3 per bit-plane, less the first plane's two (it has only a cleanup pass).</summary>
    public int Passes => Planes == 0 ? 0 : 3 * Planes - 2;

    public ReadOnlySpan<byte> Bytes => _mq.Bytes;

    /// <summary>
    /// Codes the <paramref name="width"/> x <paramref name="height"/> coefficients at <paramref name="coefficients"/>
    /// [<paramref name="start"/>..], rows <paramref name="stride"/> apart. Orientation: 0 LL, 1 HL, 2 LH, 3 HH.
    /// </summary>
    public void Encode(int[] coefficients, int start, int stride, int width, int height, int orientation)
    {
        _width = width;
        _height = height;
        _stride = width + 2;
        var size = _stride * (height + 2);
        if (_flags.Length < size) { _flags = new int[size]; _magnitude = new int[size]; }
        else { Array.Clear(_flags, 0, size); Array.Clear(_magnitude, 0, size); }
        var all = 0;
        for (var y = 0; y < height; y++)
        {
            int from = start + y * stride, to = (y + 1) * _stride + 1;
            for (var x = 0; x < width; x++)
            {
                var v = coefficients[from + x];
                if (v < 0) { v = -v; _flags[to + x] = Neg; } // the sign to code; neighbours see it once significant
                _magnitude[to + x] = v;
                all |= v;
            }
        }
        Planes = 32 - int.LeadingZeroCount(all);
        _mq.Start();
        if (Planes == 0) return;
        InitialStates(_contexts);
        var lut = SignificanceContexts[orientation switch { 1 => 1, 3 => 2, _ => 0 }];
        CleanupPass(Planes - 1, lut);
        for (var plane = Planes - 2; plane >= 0; plane--)
        {
            SignificancePass(plane, lut);
            RefinementPass(plane);
            CleanupPass(plane, lut);
        }
        _mq.Flush();
    }

    private void SignificancePass(int plane, byte[] lut)
    {
        int width = _width, height = _height, stride = _stride;
        var flags = _flags;
        var magnitude = _magnitude;
        for (var y0 = 0; y0 < height; y0 += 4)
        {
            int rows = Math.Min(4, height - y0), start = (y0 + 1) * stride + 1;
            for (var x = 0; x < width; x++)
            {
                if (rows == 4 && SkipsColumn(flags, start + x, stride)) continue;
                for (int k = 0, i = start + x; k < rows; k++, i += stride)
                {
                    var f = flags[i];
                    if ((f & Sig) != 0 || (f & 0xFF) == 0) continue;
                    var bit = magnitude[i] >> plane & 1;
                    _mq.Encode(ref _contexts[lut[f & 0xFF]], bit);
                    if (bit != 0) BecomeSignificant(i, f);
                    flags[i] |= Visited;
                }
            }
        }
    }

    // As the decoder's: nothing to code in a full stripe column whose four samples are all significant, or none
    // significant and none with a significant neighbour.
    private static bool SkipsColumn(int[] flags, int top, int stride)
    {
        int a = flags[top], b = flags[top + stride], c = flags[top + 2 * stride], d = flags[top + 3 * stride];
        return (a & b & c & d & Sig) != 0 || ((a | b | c | d) & (Sig | 0xFF)) == 0;
    }

    private void RefinementPass(int plane)
    {
        int width = _width, height = _height, stride = _stride;
        var flags = _flags;
        var magnitude = _magnitude;
        for (var y0 = 0; y0 < height; y0 += 4)
        {
            int rows = Math.Min(4, height - y0), start = (y0 + 1) * stride + 1;
            for (var x = 0; x < width; x++)
            {
                var top = start + x;
                // Nothing to refine in a column without a significant sample.
                if (rows == 4 && ((flags[top] | flags[top + stride] | flags[top + 2 * stride] | flags[top + 3 * stride]) & Sig) == 0) continue;
                for (int k = 0, i = top; k < rows; k++, i += stride)
                {
                    var f = flags[i];
                    if ((f & (Sig | Visited)) != Sig) continue;
                    _mq.Encode(ref _contexts[(f & Refined) != 0 ? 16 : (f & 0xFF) != 0 ? 15 : 14], magnitude[i] >> plane & 1);
                    flags[i] = f | Refined;
                }
            }
        }
    }

    private void CleanupPass(int plane, byte[] lut)
    {
        int width = _width, height = _height, stride = _stride;
        var flags = _flags;
        var magnitude = _magnitude;
        for (var y0 = 0; y0 < height; y0 += 4)
        {
            int rows = Math.Min(4, height - y0), start = (y0 + 1) * stride + 1;
            for (var x = 0; x < width; x++)
            {
                var top = start + x;
                var k = 0;
                if (rows == 4 && (flags[top] & flags[top + stride] & flags[top + 2 * stride] & flags[top + 3 * stride] & Sig) != 0)
                {
                    // All four significant: nothing to code, only the visits of this bit-plane to forget.
                    for (int r = 0, i = top; r < 4; r++, i += stride) flags[i] &= ~Visited;
                    continue;
                }
                if (rows == 4 && ((flags[top] | flags[top + stride] | flags[top + 2 * stride] | flags[top + 3 * stride]) & (Sig | Visited | 0xFF)) == 0)
                {
                    // Run-length mode (D.3.4): one decision for the four, then the first one's row if any.
                    while (k < 4 && (magnitude[top + k * stride] >> plane & 1) == 0) k++;
                    _mq.Encode(ref _contexts[RunLengthContext], k < 4 ? 1 : 0);
                    if (k == 4) continue;
                    _mq.Encode(ref _contexts[UniformContext], k >> 1);
                    _mq.Encode(ref _contexts[UniformContext], k & 1);
                    var at = top + k * stride;
                    BecomeSignificant(at, flags[at]);
                    k++;
                }
                for (var i = top + k * stride; k < rows; k++, i += stride)
                {
                    var f = flags[i];
                    if ((f & (Sig | Visited)) != 0) continue;
                    var bit = magnitude[i] >> plane & 1;
                    _mq.Encode(ref _contexts[lut[f & 0xFF]], bit);
                    if (bit != 0) BecomeSignificant(i, f);
                }
                for (int r = 0, i = top; r < rows; r++, i += stride) flags[i] &= ~Visited;
            }
        }
    }

    private void BecomeSignificant(int i, int f)
    {
        var negative = (f & Neg) != 0;
        var sc = SignContexts[SignIndex(f)];
        _mq.Encode(ref _contexts[sc & 0x7F], (negative ? 1 : 0) ^ (sc >> 7));
        _flags[i] &= ~Neg; // MarkSignificant sets it again with the neighbours' sign flags
        MarkSignificant(_flags, i, _stride, negative);
    }
}
