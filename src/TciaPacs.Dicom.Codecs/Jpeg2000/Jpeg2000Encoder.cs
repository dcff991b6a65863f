using System.Buffers.Binary;
using static TciaPacs.Dicom.Codecs.Jpeg2000.Jpeg2000Decoder;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// A lossless JPEG 2000 encoder (T.800, and T.814 for HTJ2K code-blocks) for the codestreams of PS3.5 A.4.4 and A.4.7:
/// one tile, the reversible 5-3 wavelet over up to five levels, no quantization, 64x64 code-blocks, one precinct per
/// resolution and one quality layer, and for RGB the reversible component transform. The RPCL form (4.202) splits the
/// tile into one tile-part per resolution, listed in a TLM marker segment, so that a viewer can fetch the lower
/// resolutions first.
/// </summary>
internal static class Jpeg2000Encoder
{
    private const int MaxLevels = 5, BlockExponent = 6, MinGuardBits = 2;

    public enum Form
    {
        /// <summary>JPEG 2000 Part 1 code-blocks, LRCP (1.2.840.10008.1.2.4.90).</summary>
        Part1,

        /// <summary>HTJ2K code-blocks, LRCP (4.201).</summary>
        HighThroughput,

        /// <summary>HTJ2K code-blocks, RPCL, a tile-part per resolution and TLM (4.202).</summary>
        HighThroughputRpcl,
    }

    [ThreadStatic] private static CodeBlockEncoder? t_tier1;

    /// <summary>
    /// Encodes one image: <paramref name="planes"/> holds one plane per component, row by row, each sample's
    /// <paramref name="precision"/> low bits (two's complement when <paramref name="signed"/>). The planes are
    /// transformed in place.
    /// </summary>
    /// <param name="rct">Three components coded through the reversible component transform (T.800 G.2), signalled in COD.</param>
    public static byte[] Encode(int[][] planes, int width, int height, int precision, bool signed, Form form, bool rct = false)
    {
        if (rct && (planes.Length != 3 || signed)) throw new ArgumentException("The component transform takes three unsigned components.", nameof(rct));
        if (precision is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(precision), precision, "1 to 16 bits.");
        var levels = Math.Min(MaxLevels, 31 - int.LeadingZeroCount(Math.Min(width, height)));
        var ht = form != Form.Part1;
        var components = new Tile[planes.Length];
        var guardBits = MinGuardBits;
        for (var c = 0; c < planes.Length; c++) Coefficients(planes[c], width, height, precision, signed);
        if (rct) ForwardRct(planes[0], planes[1], planes[2]);
        for (var c = 0; c < planes.Length; c++)
        {
            // The colour differences need a bit more than the samples: the guard bits take it (E.1.1).
            components[c] = new Tile(planes[c], width, height, levels);
            guardBits = Math.Max(guardBits, components[c].GuardBitsNeeded(precision));
        }
        if (guardBits > 7) throw new DicomCodecException($"A coefficient needs {guardBits} guard bits; at most 7 can be signalled.");

        var info = new Component(precision, signed, 1, 1);
        var style = new CodingStyle(levels, BlockExponent, BlockExponent, ht ? CodeBlockDecoder.HighThroughput : 0, true, []);
        var quantization = new Quantization(0, guardBits, Exponents(precision, levels), new int[1 + 3 * levels]);
        foreach (var tile in components) tile.Layout(info, style, quantization);
        CodeBlocks(components, ht);

        // The packets, one per resolution and component (one layer, one precinct): resolution by resolution is both
        // LRCP and RPCL here.
        var resolutions = new byte[levels + 1][];
        for (var r = 0; r <= levels; r++)
        {
            using var packets = new MemoryStream();
            foreach (var tile in components) tile.WritePacket(r, packets, ht);
            resolutions[r] = packets.ToArray();
        }
        return Codestream(width, height, precision, signed, planes.Length, levels, guardBits, form, rct, resolutions);
    }

    /// <summary>The reversible component transform (T.800 G.2.1) of level-shifted samples, in place: Y = floor((R + 2G + B) / 4), Cb = B - G, Cr = R - G.</summary>
    private static void ForwardRct(int[] r, int[] g, int[] b)
    {
        for (var i = 0; i < r.Length; i++)
        {
            int red = r[i], green = g[i], blue = b[i];
            r[i] = (red + 2 * green + blue) >> 2;
            g[i] = blue - green;
            b[i] = red - green;
        }
    }

    /// <summary>The samples, DC level shifted when unsigned (G.1.2), sign-extended from their precision when signed: in place, the plane becomes the coefficients.</summary>
    private static int[] Coefficients(int[] plane, int width, int height, int precision, bool signed)
    {
        var count = width * height;
        var shift = 32 - precision;
        var offset = signed ? 0 : 1 << (precision - 1);
        for (var i = 0; i < count; i++) plane[i] = signed ? plane[i] << shift >> shift : (plane[i] & ((1 << precision) - 1)) - offset;
        return plane;
    }

    /// <summary>No quantization (A.6.4, E.1.1): each band's exponent is the sample precision plus its gain (LL 0, HL and LH 1, HH 2), as OpenJPEG signals.</summary>
    private static int[] Exponents(int precision, int levels)
    {
        var exponents = new int[1 + 3 * levels];
        exponents[0] = precision;
        for (var i = 1; i < exponents.Length; i++) exponents[i] = precision + ((i - 1) % 3 == 2 ? 2 : 1);
        return exponents;
    }

    // Tier-1 of every code-block of every component; blocks are independent, so they are coded on every core.
    private static void CodeBlocks(Tile[] components, bool ht)
    {
        var blocks = components.SelectMany(t => t.Blocks()).ToArray();
        void Code(int i)
        {
            var (tile, band, block) = blocks[i];
            if (ht) tile.CodeHt(band, block);
            else tile.Code(t_tier1 ??= new CodeBlockEncoder(), band, block);
        }
        if (blocks.Length < 16)
            for (var i = 0; i < blocks.Length; i++) Code(i);
        else
        {
            try
            {
                Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, blocks.Length, 4), range =>
                {
                    for (var i = range.Item1; i < range.Item2; i++) Code(i);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }
    }

    private static byte[] Codestream(int width, int height, int precision, bool signed, int components, int levels, int guardBits, Form form, bool rct, byte[][] resolutions)
    {
        var ht = form != Form.Part1;
        var rpcl = form == Form.HighThroughputRpcl;
        using var s = new MemoryStream();
        void U8(int v) => s.WriteByte((byte)v);
        void U16(int v) { U8(v >> 8); U8(v); }
        void U32(long v) { U16((int)(v >> 16)); U16((int)(v & 0xFFFF)); }

        U16(0xFF4F); // SOC
        U16(0xFF51); // SIZ (A.5.1): Part 15 capabilities when HT
        U16(38 + 3 * components);
        U16(ht ? 0x4000 : 0);
        U32(width); U32(height); U32(0); U32(0);
        U32(width); U32(height); U32(0); U32(0);
        U16(components);
        for (var c = 0; c < components; c++) { U8((precision - 1) | (signed ? 0x80 : 0)); U8(1); U8(1); }
        if (ht)
        {
            // CAP (T.814 A.3): Part 15 only; HTONLY, one HT set, no regions, reversible (HTIRV 0), and the bound on
            // magnitude bit-planes: the largest Mb (HH's) plus the one a cleanup exponent may add.
            U16(0xFF50);
            U16(8);
            U32(0x00020000);
            U16(MagnitudeBound(guardBits + precision + 2));
        }
        U16(0xFF52); // COD (A.6.1)
        U16(12);
        U8(0);
        U8(rpcl ? 2 : 0);
        U16(1);
        U8(rct ? 1 : 0);
        U8(levels);
        U8(BlockExponent - 2);
        U8(BlockExponent - 2);
        U8(ht ? CodeBlockDecoder.HighThroughput : 0);
        U8(1); // 5-3 reversible
        U16(0xFF5C); // QCD (A.6.4): no quantization
        U16(4 + 3 * levels);
        U8(guardBits << 5);
        foreach (var e in Exponents(precision, levels)) U8(e << 3);

        // Tile-parts: the whole tile in one, or (RPCL) one per resolution.
        var parts = rpcl ? resolutions : [resolutions.SelectMany(r => r).ToArray()];
        if (rpcl)
        {
            U16(0xFF55); // TLM (A.7.1): no tile indices (one tile), 32-bit lengths
            U16(4 + 4 * parts.Length);
            U8(0);
            U8(0x40);
            foreach (var part in parts) U32(14 + part.Length);
        }
        for (var i = 0; i < parts.Length; i++)
        {
            U16(0xFF90); // SOT (A.4.2): the tile-part's length counts from this marker
            U16(10);
            U16(0);
            U32(14 + parts[i].Length);
            U8(i);
            U8(parts.Length);
            U16(0xFF93); // SOD
            s.Write(parts[i]);
        }
        U16(0xFFD9); // EOC
        return s.ToArray();
    }

    /// <summary>The CAP segment's MAGB field (T.814 A.3): 0 up to 8 magnitude bit-planes, B - 8 up to 27, then 19 + (B - 27) / 4 rounded up.</summary>
    private static int MagnitudeBound(int bits) => bits <= 8 ? 0 : bits <= 27 ? bits - 8 : Math.Min(31, 19 + (bits - 24) / 4);

    /// <summary>One tile-component: its coefficients after the wavelet transform, and its code-blocks once coded.</summary>
    private sealed class Tile(int[] coefficients, int width, int height, int levels)
    {
        private TileComponent _geometry = null!;

        /// <summary>Transforms the coefficients (level by level, each on the previous level's low-pass corner).</summary>
        private readonly int[] _c = Transform(coefficients, width, height, levels);

        private static int[] Transform(int[] c, int width, int height, int levels)
        {
            int w = width, h = height;
            for (var l = 0; l < levels; l++)
            {
                ForwardWavelet.Reversible(c, width, w, h);
                w = (w + 1) / 2;
                h = (h + 1) / 2;
            }
            return c;
        }

        /// <summary>The guard bits this component needs so that every band's bit-planes fit Mb = G + exponent - 1 (E.1.1).</summary>
        public int GuardBitsNeeded(int precision)
        {
            // A band of exponent precision + gain whose coefficients take K bits needs G >= K - exponent + 1.
            int Need(int bits, int gain) => bits - (precision + gain) + 1;
            var needed = 0;
            int w = width, h = height;
            for (var l = 1; l <= levels; l++)
            {
                // Level l's three high-pass bands in the corner it split: HL, LH (gain 1) and HH (gain 2).
                int lw = (w + 1) / 2, lh = (h + 1) / 2;
                needed = Math.Max(needed, Math.Max(Need(Bits(lw, 0, w, lh), 1), Math.Max(Need(Bits(0, lh, lw, h), 1), Need(Bits(lw, lh, w, h), 2))));
                w = lw;
                h = lh;
            }
            return Math.Max(needed, Need(Bits(0, 0, w, h), 0)); // the lowest LL
        }

        private int Bits(int x0, int y0, int x1, int y1)
        {
            var all = 0;
            for (var y = y0; y < y1; y++)
                for (var x = x0; x < x1; x++)
                {
                    var v = _c[y * width + x];
                    all |= v < 0 ? -v : v;
                }
            return 32 - int.LeadingZeroCount(all);
        }

        public void Layout(Component info, CodingStyle style, Quantization quantization) =>
            _geometry = new TileComponent(info, style, quantization, 0, 0, 0, width, height);

        public IEnumerable<(Tile, Band, CodeBlock)> Blocks()
        {
            foreach (var resolution in _geometry.Resolutions)
                foreach (var band in resolution.Bands)
                    foreach (var block in band.Blocks)
                        yield return (this, band, block);
        }

        private int Start(Band band, CodeBlock block) =>
            (block.Y0 - band.Y0 + band.OffsetY) * width + block.X0 - band.X0 + band.OffsetX;

        public void Code(CodeBlockEncoder tier1, Band band, CodeBlock block)
        {
            tier1.Encode(_c, Start(band, block), width, block.X1 - block.X0, block.Y1 - block.Y0, band.Orientation);
            Record(block, tier1.Bytes.ToArray(), tier1.Passes, band.MagnitudeBits - tier1.Planes);
        }

        public void CodeHt(Band band, CodeBlock block)
        {
            // An HT block's "missing MSBs" place its cleanup pass (at Mb - 1 - P): at bit-plane 0, P is Mb - 1 (T.814).
            var (bytes, planes) = HtBlockEncoder.Encode(_c, Start(band, block), width, block.X1 - block.X0, block.Y1 - block.Y0);
            Record(block, bytes, planes == 0 ? 0 : 1, band.MagnitudeBits - 1);
        }

        // The geometry's code-block holds what the packet header says of it (each is coded by one thread).
        private static void Record(CodeBlock block, byte[] bytes, int passes, int zeroPlanes)
        {
            if (zeroPlanes < 0) throw new DicomCodecException("A code-block has more bit-planes than its band allows.");
            (block.Coded, block.Passes, block.ZeroPlanes) = (bytes, passes, zeroPlanes);
        }

        /// <summary>The packet of resolution <paramref name="r"/> (layer 0, precinct 0): its header (B.10), then its code-blocks' data.</summary>
        public void WritePacket(int r, Stream output, bool ht)
        {
            var resolution = _geometry.Resolutions[r];
            for (var k = 0; k < resolution.PrecinctCount; k++)
            {
                var precinct = resolution.Precinct(k);
                var bodies = new List<byte[]>();
                var bits = new PacketBitWriter(output);
                var blocks = new List<(Band Band, PrecinctBand Area)>();
                for (var b = 0; b < resolution.Bands.Length; b++)
                    if (precinct.Bands[b].Width > 0) blocks.Add((resolution.Bands[b], precinct.Bands[b]));
                var any = blocks.Any(x => Cells(x.Band, x.Area).Any(block => block.Passes > 0));
                bits.Write(any ? 1 : 0, 1);
                if (any)
                    foreach (var (band, area) in blocks)
                    {
                        var cells = Cells(band, area).ToArray();
                        var inclusion = new TagTreeEncoder(area.Width, area.Height, cells.Select(c => c.Passes > 0 ? 0 : 1).ToArray());
                        var zeroPlanes = new TagTreeEncoder(area.Width, area.Height, cells.Select(c => c.Passes > 0 ? c.ZeroPlanes : band.MagnitudeBits).ToArray());
                        for (var i = 0; i < cells.Length; i++)
                        {
                            int cx = i % area.Width, cy = i / area.Width;
                            inclusion.Encode(bits, cx, cy, 1);
                            var (bytes, passes) = (cells[i].Coded!, cells[i].Passes);
                            if (passes == 0) continue;
                            zeroPlanes.EncodeValue(bits, cx, cy);
                            WritePassCount(bits, passes);
                            // Lblock starts at 3 and grows by the 1 bits before a 0 (B.10.7.1).
                            var lengthBits = 3 + (31 - int.LeadingZeroCount(passes));
                            var needed = 32 - int.LeadingZeroCount(bytes.Length);
                            for (; lengthBits < needed; lengthBits++) bits.Write(1, 1);
                            bits.Write(0, 1);
                            bits.Write(bytes.Length, lengthBits);
                            bodies.Add(bytes);
                        }
                    }
                bits.Align();
                foreach (var body in bodies) output.Write(body);
            }
        }

        private static IEnumerable<CodeBlock> Cells(Band band, PrecinctBand area)
        {
            for (var cy = 0; cy < area.Height; cy++)
                for (var cx = 0; cx < area.Width; cx++)
                    yield return band.Blocks[(area.Y0 + cy) * band.BlocksAcross + area.X0 + cx];
        }

        // Table B.4.
        private static void WritePassCount(PacketBitWriter bits, int passes)
        {
            if (passes == 1) bits.Write(0, 1);
            else if (passes == 2) bits.Write(0b10, 2);
            else if (passes <= 5) bits.Write(0b1100 | (passes - 3), 4);
            else if (passes <= 36) bits.Write(0b1111_00000 | (passes - 6), 9);
            else bits.Write(0b1111_11111_0000000 | (passes - 37), 16);
        }
    }
}
