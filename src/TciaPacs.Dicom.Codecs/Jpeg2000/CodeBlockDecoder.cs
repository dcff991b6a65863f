namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// Tier-1 of T.800 (Annex D): the three coding passes of one code-block's bit-planes, with the MQ decoder or, for
/// bypassed passes, raw bits. Magnitudes are kept with one fractional bit: a coefficient that becomes significant at
/// bit-plane p is set to the middle of its interval (1.5 * 2^p), and each refinement halves the interval. A fully
/// decoded reversible coefficient is then the magnitude shifted right by one; a truncated one keeps the middle of what
/// is known, as OpenJPEG reconstructs.
/// </summary>
internal sealed class CodeBlockDecoder : IDecodedCodeBlock
{
    // Code-block style flags (A.6.1, Table A.19).
    public const int Bypass = 1, ResetContexts = 2, TerminateAll = 4, VerticallyCausal = 8, SegmentationSymbols = 32;

    /// <summary>HT code-blocks (T.814, Table A.19 as extended): decoded by <see cref="HtBlockDecoder"/>.</summary>
    public const int HighThroughput = 64, HighThroughputMixed = 128;

    internal const int UniformContext = 18, RunLengthContext = 17;

    // Per-sample flags: the eight neighbours' significance, four neighbours' signs, then the sample's own state.
    internal const int NW = 1, N = 2, NE = 4, W = 8, E = 16, SW = 32, S = 64, SE = 128;
    internal const int NNeg = 256, WNeg = 512, ENeg = 1024, SNeg = 2048;
    internal const int Sig = 1 << 12, Visited = 1 << 13, Refined = 1 << 14, Neg = 1 << 15;
    internal const int BelowMask = ~(SW | S | SE | SNeg);

    // Table D.1 by neighbour pattern, for LL and LH (vertically high-pass), HL (horizontally high-pass) and HH.
    internal static readonly byte[][] SignificanceContexts = BuildSignificanceContexts();

    // Table D.3 by the four neighbours' significance and signs: context in the low bits, the XOR bit at 0x80.
    internal static readonly byte[] SignContexts = BuildSignContexts();

    private readonly byte[] _contexts = new byte[19];
    private int[] _flags = [];
    private int[] _magnitude = [];
    private int _width, _height, _stride;
    private MqDecoder _mq;
    private RawBitReader _raw;

    public int Width => _width;
    public int Height => _height;

    /// <summary>Magnitude (with one fractional bit) of the coefficient at (x, y).</summary>
    public int Magnitude(int x, int y) => _magnitude[(y + 1) * _stride + x + 1];

    public bool IsNegative(int x, int y) => (_flags[(y + 1) * _stride + x + 1] & Neg) != 0;

    public void ReadRow(int y, Span<int> values)
    {
        var at = (y + 1) * _stride + 1;
        for (var x = 0; x < _width; x++)
        {
            var m = _magnitude[at + x];
            values[x] = (_flags[at + x] & Neg) != 0 ? -m : m;
        }
    }

    /// <summary>
    /// Decodes <paramref name="passes"/> coding passes from the top bit-plane <paramref name="topPlane"/> down, the
    /// passes split into codeword segments: segment i is <paramref name="data"/>[starts[i]..ends[i]) and holds
    /// passesPerSegment[i] passes. Orientation: 0 LL, 1 HL, 2 LH, 3 HH.
    /// </summary>
    public void Decode(int width, int height, int orientation, int style, int topPlane, byte[] data,
        ReadOnlySpan<int> starts, ReadOnlySpan<int> ends, ReadOnlySpan<int> passesPerSegment)
    {
        _width = width;
        _height = height;
        _stride = width + 2;
        var size = _stride * (height + 2);
        if (_flags.Length < size) _flags = new int[size];
        else Array.Clear(_flags, 0, size);
        if (_magnitude.Length < size) _magnitude = new int[size];
        else Array.Clear(_magnitude, 0, size);
        ResetAllContexts();

        var lut = SignificanceContexts[orientation switch { 1 => 1, 3 => 2, _ => 0 }];
        var causal = (style & VerticallyCausal) != 0;
        var pass = 0;
        for (var segment = 0; segment < starts.Length; segment++)
        {
            var raw = false;
            var segmentStarted = false;
            for (var k = 0; k < passesPerSegment[segment]; k++, pass++)
            {
                var type = pass == 0 ? 2 : (pass - 1) % 3; // 0 significance propagation, 1 refinement, 2 cleanup
                var plane = topPlane - (pass + 2) / 3;
                if (plane < 0) return; // more passes than bit-planes: nothing left to refine
                if (!segmentStarted)
                {
                    raw = (style & Bypass) != 0 && pass >= 10 && type != 2;
                    if (raw) _raw.Start(data, starts[segment], ends[segment]);
                    else _mq.Start(data, starts[segment], ends[segment]);
                    segmentStarted = true;
                }
                switch (type)
                {
                    case 0: SignificancePass(plane, lut, causal, raw); break;
                    case 1: RefinementPass(plane, causal, raw); break;
                    default:
                        CleanupPass(plane, lut, causal);
                        if ((style & SegmentationSymbols) != 0)
                            for (var i = 0; i < 4; i++) _mq.Decode(ref _contexts[UniformContext]);
                        break;
                }
                if ((style & ResetContexts) != 0) ResetAllContexts();
            }
        }
    }

    private void ResetAllContexts() => InitialStates(_contexts);

    /// <summary>The nineteen contexts' initial states (Table D.7): all at state 0 but three.</summary>
    internal static void InitialStates(byte[] contexts)
    {
        Array.Clear(contexts);
        contexts[0] = 4 << 1;
        contexts[RunLengthContext] = 3 << 1;
        contexts[UniformContext] = 46 << 1;
    }

    // The passes scan stripes of four rows, column by column (D.3); i is a sample's index in the padded arrays, and
    // the fourth row of a stripe ignores the stripe below when the code-block is vertically causal (D.7).

    private void SignificancePass(int plane, byte[] lut, bool causal, bool raw)
    {
        int one = 3 << plane, width = _width, height = _height, stride = _stride;
        var flags = _flags;
        for (var y0 = 0; y0 < height; y0 += 4)
        {
            int rows = Math.Min(4, height - y0), start = (y0 + 1) * stride + 1;
            for (var x = 0; x < width; x++)
            {
                if (rows == 4 && SkipsColumn(flags, start + x, stride)) continue;
                for (int k = 0, i = start + x; k < rows; k++, i += stride)
                {
                    var f = flags[i];
                    if (k == 3 && causal) f &= BelowMask;
                    if ((f & Sig) != 0 || (f & 0xFF) == 0) continue;
                    var bit = raw ? _raw.Read() : _mq.Decode(ref _contexts[lut[f & 0xFF]]);
                    if (bit != 0) BecomeSignificant(i, f, one, raw);
                    flags[i] |= Visited;
                }
            }
        }
    }

    private void RefinementPass(int plane, bool causal, bool raw)
    {
        int half = 1 << plane, width = _width, height = _height, stride = _stride;
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
                    int bit;
                    if (raw) bit = _raw.Read();
                    else
                    {
                        var neighbours = k == 3 && causal ? f & BelowMask & 0xFF : f & 0xFF;
                        bit = _mq.Decode(ref _contexts[(f & Refined) != 0 ? 16 : neighbours != 0 ? 15 : 14]);
                    }
                    magnitude[i] += bit != 0 ? half : -half;
                    flags[i] = f | Refined;
                }
            }
        }
    }

    private void CleanupPass(int plane, byte[] lut, bool causal)
    {
        int one = 3 << plane, width = _width, height = _height, stride = _stride;
        var flags = _flags;
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
                if (rows == 4 && ((flags[top] | flags[top + stride] | flags[top + 2 * stride]
                    | (causal ? flags[top + 3 * stride] & BelowMask : flags[top + 3 * stride])) & (Sig | Visited | 0xFF)) == 0)
                {
                    // Run-length mode (D.3.4): one decision says whether any of the four becomes significant.
                    if (_mq.Decode(ref _contexts[RunLengthContext]) == 0) continue;
                    k = _mq.Decode(ref _contexts[UniformContext]) << 1;
                    k |= _mq.Decode(ref _contexts[UniformContext]);
                    var at = top + k * stride;
                    var g = flags[at];
                    BecomeSignificant(at, k == 3 && causal ? g & BelowMask : g, one, false);
                    k++;
                }
                for (var i = top + k * stride; k < rows; k++, i += stride)
                {
                    var f = flags[i];
                    if (k == 3 && causal) f &= BelowMask;
                    if ((f & (Sig | Visited)) == 0 && _mq.Decode(ref _contexts[lut[f & 0xFF]]) != 0)
                        BecomeSignificant(i, f, one, false);
                }
                // A new bit-plane starts after this pass: no sample has been visited in it.
                for (int r = 0, i = top; r < rows; r++, i += stride) flags[i] &= ~Visited;
            }
        }
    }

    /// <summary>
    /// Whether a significance propagation pass has nothing to do in a full stripe column: all four samples significant,
    /// or none significant and none with a significant neighbour (the causal mask only removes neighbours).
    /// </summary>
    private static bool SkipsColumn(int[] flags, int top, int stride)
    {
        int a = flags[top], b = flags[top + stride], c = flags[top + 2 * stride], d = flags[top + 3 * stride];
        return (a & b & c & d & Sig) != 0 || ((a | b | c | d) & (Sig | 0xFF)) == 0;
    }

    private void BecomeSignificant(int i, int f, int value, bool raw)
    {
        int negative;
        if (raw) negative = _raw.Read();
        else
        {
            var sc = SignContexts[SignIndex(f)];
            negative = _mq.Decode(ref _contexts[sc & 0x7F]) ^ (sc >> 7);
        }
        _magnitude[i] = value;
        MarkSignificant(_flags, i, _stride, negative != 0);
    }

    /// <summary>The index into <see cref="SignContexts"/> of a sample's flags: the four neighbours' significance and signs.</summary>
    internal static int SignIndex(int f) =>
        (f >> 1 & 1) | (f >> 6 & 1) << 1 | (f >> 3 & 1) << 2 | (f >> 4 & 1) << 3
        | (f >> 8 & 1) << 4 | (f >> 11 & 1) << 5 | (f >> 9 & 1) << 6 | (f >> 10 & 1) << 7;

    /// <summary>Sample <paramref name="i"/> becomes significant: its own flags, and its eight neighbours' (the border of the flag array absorbs those outside the block).</summary>
    internal static void MarkSignificant(int[] flags, int i, int stride, bool negative)
    {
        flags[i] |= Sig | (negative ? Neg : 0);
        var up = i - stride;
        var down = i + stride;
        flags[up - 1] |= SE;
        flags[up] |= S | (negative ? SNeg : 0);
        flags[up + 1] |= SW;
        flags[i - 1] |= E | (negative ? ENeg : 0);
        flags[i + 1] |= W | (negative ? WNeg : 0);
        flags[down - 1] |= NE;
        flags[down] |= N | (negative ? NNeg : 0);
        flags[down + 1] |= NW;
    }

    private static byte[][] BuildSignificanceContexts()
    {
        var tables = new byte[3][];
        for (var t = 0; t < 3; t++) tables[t] = new byte[256];
        for (var f = 0; f < 256; f++)
        {
            var h = (f >> 3 & 1) + (f >> 4 & 1);
            var v = (f >> 1 & 1) + (f >> 6 & 1);
            var d = (f & 1) + (f >> 2 & 1) + (f >> 5 & 1) + (f >> 7 & 1);
            tables[0][f] = LowHigh(h, v, d);
            tables[1][f] = LowHigh(v, h, d);
            var hv = h + v;
            tables[2][f] = (byte)(d >= 3 ? 8 : d == 2 ? (hv >= 1 ? 7 : 6) : d == 1 ? (hv >= 2 ? 5 : hv == 1 ? 4 : 3) : hv >= 2 ? 2 : hv);
        }
        return tables;

        static byte LowHigh(int h, int v, int d) => (byte)(h == 2 ? 8
            : h == 1 ? (v >= 1 ? 7 : d >= 1 ? 6 : 5)
            : v == 2 ? 4 : v == 1 ? 3 : d >= 2 ? 2 : d);
    }

    private static byte[] BuildSignContexts()
    {
        var table = new byte[256];
        for (var index = 0; index < 256; index++)
        {
            static int Contribution(int significant, int negative) => significant == 0 ? 0 : negative != 0 ? -1 : 1;
            var v = Math.Clamp(Contribution(index & 1, index >> 4 & 1) + Contribution(index >> 1 & 1, index >> 5 & 1), -1, 1);
            var h = Math.Clamp(Contribution(index >> 2 & 1, index >> 6 & 1) + Contribution(index >> 3 & 1, index >> 7 & 1), -1, 1);
            var (context, xor) = (h, v) switch
            {
                (1, 1) => (13, 0), (1, 0) => (12, 0), (1, -1) => (11, 0),
                (0, 1) => (10, 0), (0, 0) => (9, 0), (0, -1) => (10, 1),
                (-1, 1) => (11, 1), (-1, 0) => (12, 1), _ => (13, 1),
            };
            table[index] = (byte)(context | xor << 7);
        }
        return table;
    }
}

/// <summary>A decoded code-block's coefficients: magnitudes with one fractional bit, and signs.</summary>
internal interface IDecodedCodeBlock
{
    int Magnitude(int x, int y);

    bool IsNegative(int x, int y);

    /// <summary>Row <paramref name="y"/>'s coefficients, each its magnitude negated when the coefficient is negative.</summary>
    void ReadRow(int y, Span<int> values);
}
