using static TciaPacs.Dicom.Codecs.Jpeg2000.Jpeg2000Decoder;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// One tile: its tile-components, resolutions, sub-bands, precincts and code-blocks (T.800 B.3–B.7), its packets in
/// progression order (B.9–B.12), then tier-1, dequantization, the inverse wavelet transform, the component transform
/// and the level shift into the image's planes.
/// </summary>
internal sealed class TileDecoder
{
    private readonly Header _header;
    private readonly int _index;
    private readonly TileComponent[] _components;
    private readonly int _order, _layers;
    private readonly bool _mct, _sop, _eph;
    private readonly List<ProgressionChange> _pocs;
    private readonly byte[] _data;
    private readonly int _x0, _y0, _x1, _y1;
    private int _position;

    public TileDecoder(Header header, int index, TileParts parts)
    {
        _header = header;
        _index = index;
        var size = header.Size;
        var main = header.Main;
        var tile = parts.Markers;
        int p = index % size.TilesAcross, q = index / size.TilesAcross;
        _x0 = (int)Math.Max(size.TileX0 + (long)p * size.TileWidth, size.X0);
        _y0 = (int)Math.Max(size.TileY0 + (long)q * size.TileHeight, size.Y0);
        _x1 = (int)Math.Min(size.TileX0 + (long)(p + 1) * size.TileWidth, size.Width);
        _y1 = (int)Math.Min(size.TileY0 + (long)(q + 1) * size.TileHeight, size.Height);
        var cod = tile.HasCod ? tile : main;
        _order = cod.Order!.Value;
        _layers = cod.Layers!.Value;
        _mct = cod.Mct;
        _sop = cod.Sop;
        _eph = cod.Eph;
        _pocs = tile.Pocs.Count > 0 ? tile.Pocs : main.Pocs;
        _components = new TileComponent[size.Components.Length];
        for (var c = 0; c < _components.Length; c++)
        {
            // Precedence (A.6.1, A.6.4): tile COC, tile COD, main COC, main COD; the same for QCC and QCD.
            var style = tile.Coc.GetValueOrDefault(c) ?? tile.Cod ?? main.Coc.GetValueOrDefault(c) ?? main.Cod!;
            var quantization = tile.Qcc.GetValueOrDefault(c) ?? tile.Qcd ?? main.Qcc.GetValueOrDefault(c) ?? main.Qcd!;
            var roi = tile.RoiShift.TryGetValue(c, out var s) ? s : main.RoiShift.GetValueOrDefault(c);
            _components[c] = new TileComponent(size.Components[c], style, quantization, roi, _x0, _y0, _x1, _y1);
        }
        // The tile's packets: its tile-parts' bodies, one after the other.
        var length = parts.Bodies.Sum(b => (long)(b.End - b.Start));
        _data = new byte[length];
        var at = 0;
        foreach (var (start, end) in parts.Bodies)
        {
            Buffer.BlockCopy(header.Data, start, _data, at, end - start);
            at += end - start;
        }
    }

    public void Decode(int[][] planes, int width)
    {
        foreach (var (layer, resolution, component, precinct) in Packets())
            ReadPacket(layer, _components[component], resolution, precinct);
        foreach (var component in _components) component.Reconstruct(_data);
        Output(planes, width);
    }

    // ---- Progression (B.12) ----

    private IEnumerable<(int Layer, int Resolution, int Component, int Precinct)> Packets()
    {
        var maxResolutions = _components.Max(c => c.Resolutions.Length);
        var next = _components.Select(c => c.Resolutions.Select(r => new int[r.PrecinctCount]).ToArray()).ToArray();
        var progressions = _pocs.Count > 0
            ? _pocs.Select(p => (p.Order, p.ResolutionStart, Math.Min(p.ResolutionEnd, maxResolutions), p.ComponentStart,
                Math.Min(p.ComponentEnd, _components.Length), Math.Min(p.LayerEnd, _layers)))
            : [(_order, 0, maxResolutions, 0, _components.Length, _layers)];
        foreach (var (order, rs, re, cs, ce, le) in progressions)
        {
            foreach (var packet in Progression(order, rs, re, cs, ce, le))
            {
                // A packet already sent by an earlier progression is not sent again (B.12.1).
                ref var layer = ref next[packet.Component][packet.Resolution][packet.Precinct];
                if (packet.Layer != layer) continue;
                layer++;
                yield return packet;
            }
        }
    }

    private IEnumerable<(int Layer, int Resolution, int Component, int Precinct)> Progression(int order, int rs, int re, int cs, int ce, int le)
    {
        switch (order)
        {
            case 0: // LRCP
                for (var l = 0; l < le; l++)
                    for (var r = rs; r < re; r++)
                        for (var c = cs; c < ce; c++)
                            if (r < _components[c].Resolutions.Length)
                                for (var k = 0; k < _components[c].Resolutions[r].PrecinctCount; k++)
                                    yield return (l, r, c, k);
                break;
            case 1: // RLCP
                for (var r = rs; r < re; r++)
                    for (var l = 0; l < le; l++)
                        for (var c = cs; c < ce; c++)
                            if (r < _components[c].Resolutions.Length)
                                for (var k = 0; k < _components[c].Resolutions[r].PrecinctCount; k++)
                                    yield return (l, r, c, k);
                break;
            default:
            {
                // RPCL, PCRL, CPRL: each precinct comes at its position on the reference grid, its top-left corner
                // clipped to the tile (B.12.1.3-5); the layers come last.
                var precincts = new List<(long Key1, long Key2, long Key3, int R, int C, int K)>();
                for (var c = cs; c < ce; c++)
                {
                    var component = _components[c];
                    for (var r = rs; r < Math.Min(re, component.Resolutions.Length); r++)
                    {
                        var res = component.Resolutions[r];
                        var scale = component.Levels - r;
                        for (var k = 0; k < res.PrecinctCount; k++)
                        {
                            var px = res.PrecinctX0 + k % res.PrecinctsAcross;
                            var py = res.PrecinctY0 + k / res.PrecinctsAcross;
                            var x = Math.Max(_x0, ((long)px << res.PrecinctWidthExponent << scale) * component.Info.XR);
                            var y = Math.Max(_y0, ((long)py << res.PrecinctHeightExponent << scale) * component.Info.YR);
                            var position = y << 32 | x;
                            precincts.Add(order switch
                            {
                                2 => (r, position, c, r, c, k),
                                3 => (position, c, r, r, c, k),
                                _ => (c, position, r, r, c, k),
                            });
                        }
                    }
                }
                precincts.Sort((a, b) => a.Key1 != b.Key1 ? a.Key1.CompareTo(b.Key1) : a.Key2 != b.Key2 ? a.Key2.CompareTo(b.Key2) : a.Key3.CompareTo(b.Key3));
                foreach (var (_, _, _, r, c, k) in precincts)
                    for (var l = 0; l < le; l++)
                        yield return (l, r, c, k);
                break;
            }
        }
    }

    // ---- Packets (B.10) ----

    private readonly List<(Segment Segment, int Length)> _chunks = [];

    private void ReadPacket(int layer, TileComponent component, int r, int k)
    {
        if (_position >= _data.Length)
            throw new DicomCodecException(Truncated + $"tile {_index} ends before packet (layer {layer}, resolution {r}, precinct {k}).");
        if (_sop && _position + 6 <= _data.Length && _data[_position] == 0xFF && _data[_position + 1] == 0x91) _position += 6;
        var bits = new PacketBitReader(_data, _position, _data.Length);
        _chunks.Clear();
        var resolution = component.Resolutions[r];
        if (bits.Read(1) != 0)
        {
            var precinct = resolution.Precinct(k);
            for (var b = 0; b < resolution.Bands.Length; b++)
            {
                var band = resolution.Bands[b];
                var area = precinct.Bands[b];
                for (var cy = 0; cy < area.Height; cy++)
                    for (var cx = 0; cx < area.Width; cx++)
                    {
                        var block = band.Blocks[(area.Y0 + cy) * band.BlocksAcross + area.X0 + cx];
                        var included = block.Included ? bits.Read(1) != 0 : area.Inclusion!.Decode(ref bits, cx, cy, layer + 1);
                        if (!included) continue;
                        if (!block.Included)
                        {
                            block.ZeroPlanes = area.ZeroPlanes!.DecodeValue(ref bits, cx, cy, 64);
                            block.Included = true;
                        }
                        var passes = PassCount(ref bits);
                        while (bits.Read(1) != 0)
                            if (++block.Lblock > 31) throw new DicomCodecException(Corrupt + "a code-block's length indicator grows past 31 bits.");
                        for (var remaining = passes; remaining > 0;)
                        {
                            var segment = block.Segments.Count > 0 && block.Segments[^1].Passes < block.Segments[^1].MaxPasses
                                ? block.Segments[^1]
                                : block.AddSegment(component.Style.BlockStyle);
                            var take = Math.Min(remaining, segment.MaxPasses - segment.Passes);
                            var lengthBits = block.Lblock + (31 - int.LeadingZeroCount(take));
                            if (lengthBits > 31) throw new DicomCodecException(Corrupt + "a code-block's length takes more than 31 bits.");
                            _chunks.Add((segment, bits.Read(lengthBits)));
                            segment.Passes += take;
                            remaining -= take;
                        }
                        block.Passes += passes;
                    }
            }
        }
        bits.Align();
        _position = bits.Position;
        if (_eph && _position + 2 <= _data.Length && _data[_position] == 0xFF && _data[_position + 1] == 0x92) _position += 2;
        foreach (var (segment, length) in _chunks)
        {
            if (length > _data.Length - _position)
                throw new DicomCodecException(Truncated + $"tile {_index}'s code-block data runs past its end (layer {layer}, resolution {r}).");
            segment.Chunks.Add((_position, length));
            _position += length;
        }
    }

    // B.10.6, Table B.4.
    private static int PassCount(ref PacketBitReader bits)
    {
        if (bits.Read(1) == 0) return 1;
        if (bits.Read(1) == 0) return 2;
        var v = bits.Read(2);
        if (v < 3) return 3 + v;
        v = bits.Read(5);
        return v < 31 ? 6 + v : 37 + bits.Read(7);
    }

    // ---- Component transform and level shift (Annex G) ----

    private void Output(int[][] planes, int width)
    {
        var size = _header.Size;
        var transform = _mct && _components.Length >= 3;
        if (transform && (_components[1].Width != _components[0].Width || _components[2].Width != _components[0].Width
            || _components[1].Height != _components[0].Height || _components[2].Height != _components[0].Height))
            throw new DicomCodecException(Corrupt + "a component transform over components of different sizes.");
        var count = _components[0].Width * _components[0].Height;
        if (transform && _components[0].Style.Reversible)
        {
            int[] y0 = _components[0].Integers!, y1 = _components[1].Integers!, y2 = _components[2].Integers!;
            for (var i = 0; i < count; i++)
            {
                var g = y0[i] - ((y1[i] + y2[i]) >> 2);
                (y0[i], y1[i], y2[i]) = (y2[i] + g, g, y1[i] + g);
            }
        }
        else if (transform)
        {
            float[] y0 = _components[0].Floats ?? ToFloats(_components[0]), y1 = _components[1].Floats ?? ToFloats(_components[1]), y2 = _components[2].Floats ?? ToFloats(_components[2]);
            for (var i = 0; i < count; i++)
            {
                float y = y0[i], cb = y1[i], cr = y2[i];
                y0[i] = y + 1.402f * cr;
                y1[i] = y - 0.34413f * cb - 0.71414f * cr;
                y2[i] = y + 1.772f * cb;
            }
        }
        for (var c = 0; c < _components.Length; c++)
        {
            var component = _components[c];
            var info = component.Info;
            var shift = info.Signed ? 0 : 1 << (info.Precision - 1);
            int min = info.Signed ? -(1 << (info.Precision - 1)) : 0, max = info.Signed ? (1 << (info.Precision - 1)) - 1 : (1 << info.Precision) - 1;
            var plane = planes[c];
            for (var y = 0; y < component.Height; y++)
            {
                var at = (long)(component.Y0 - size.Y0 + y) * width + component.X0 - size.X0;
                var row = y * component.Width;
                if (component.Floats is { } floats)
                    for (var x = 0; x < component.Width; x++)
                        plane[at + x] = Math.Clamp((int)MathF.Round(floats[row + x]) + shift, min, max);
                else
                {
                    var ints = component.Integers!;
                    for (var x = 0; x < component.Width; x++) plane[at + x] = Math.Clamp(ints[row + x] + shift, min, max);
                }
            }
        }
    }

    // A reversible component in an irreversible transform (a mixed stream): its integers take part as reals.
    private static float[] ToFloats(TileComponent component)
    {
        var floats = component.Integers!.Select(v => (float)v).ToArray();
        component.UseFloats(floats);
        return floats;
    }
}

internal sealed class Segment(int maxPasses)
{
    public int MaxPasses { get; } = maxPasses;
    public int Passes;
    public readonly List<(int Offset, int Length)> Chunks = [];
}

internal sealed class CodeBlock(int x0, int y0, int x1, int y1)
{
    public readonly int X0 = x0, Y0 = y0, X1 = x1, Y1 = y1;
    public bool Included;
    public int ZeroPlanes, Passes, Lblock = 3;

    /// <summary>The code-block's coded bytes, when the encoder made it (<see cref="Jpeg2000Encoder"/>).</summary>
    public byte[]? Coded;
    public readonly List<Segment> Segments = [];

    /// <summary>
    /// A new codeword segment: one per pass when every pass is terminated; with the arithmetic coding bypass, the
    /// first ten passes, then two raw passes and one arithmetic pass in turn (D.6); otherwise one for all passes.
    /// </summary>
    public Segment AddSegment(int style)
    {
        var index = Segments.Count;
        // HT: a cleanup segment of one pass, then a refinement segment of two (SigProp, MagRef), as T.814 codes them.
        var max = (style & CodeBlockDecoder.HighThroughput) != 0 ? (index % 2 == 0 ? 1 : 2)
            : (style & CodeBlockDecoder.TerminateAll) != 0 ? 1
            : (style & CodeBlockDecoder.Bypass) != 0 ? (index == 0 ? 10 : index % 2 == 1 ? 2 : 1)
            : int.MaxValue;
        var segment = new Segment(max);
        Segments.Add(segment);
        return segment;
    }
}

internal sealed class Band
{
    public required int Orientation { get; init; } // 0 LL, 1 HL, 2 LH, 3 HH
    public required int X0, Y0, X1, Y1;
    public required int OffsetX, OffsetY; // where the band lies in the tile-component's coefficient array
    public required int BlockWidthExponent, BlockHeightExponent;
    public required int MagnitudeBits; // Mb (E.1)
    public required float Step;
    public int BlocksAcross, BlocksDown, FirstBlockX, FirstBlockY;
    public CodeBlock[] Blocks = [];

    public void CreateBlocks()
    {
        if (X1 <= X0 || Y1 <= Y0) return;
        FirstBlockX = X0 >> BlockWidthExponent;
        FirstBlockY = Y0 >> BlockHeightExponent;
        BlocksAcross = ((X1 - 1) >> BlockWidthExponent) - FirstBlockX + 1;
        BlocksDown = ((Y1 - 1) >> BlockHeightExponent) - FirstBlockY + 1;
        Blocks = new CodeBlock[BlocksAcross * BlocksDown];
        for (var j = 0; j < BlocksDown; j++)
            for (var i = 0; i < BlocksAcross; i++)
            {
                int bx = (FirstBlockX + i) << BlockWidthExponent, by = (FirstBlockY + j) << BlockHeightExponent;
                Blocks[j * BlocksAcross + i] = new CodeBlock(Math.Max(X0, bx), Math.Max(Y0, by),
                    Math.Min(X1, bx + (1 << BlockWidthExponent)), Math.Min(Y1, by + (1 << BlockHeightExponent)));
            }
    }
}

/// <summary>A precinct's code-blocks in one band: a rectangle of the band's code-block grid and its two tag trees.</summary>
internal sealed record PrecinctBand(int X0, int Y0, int Width, int Height, TagTree? Inclusion, TagTree? ZeroPlanes);

internal sealed class Precinct(PrecinctBand[] bands)
{
    public PrecinctBand[] Bands { get; } = bands;
}

internal sealed class Resolution
{
    public required int X0, Y0, X1, Y1;
    public required int PrecinctWidthExponent, PrecinctHeightExponent;
    public required Band[] Bands;
    public required bool Lowest;
    public int PrecinctX0, PrecinctY0, PrecinctsAcross, PrecinctsDown;
    private Precinct?[] _precincts = [];

    public int PrecinctCount => PrecinctsAcross * PrecinctsDown;

    public void CreatePrecinctGrid()
    {
        PrecinctX0 = X0 >> PrecinctWidthExponent;
        PrecinctY0 = Y0 >> PrecinctHeightExponent;
        if (X1 > X0 && Y1 > Y0)
        {
            PrecinctsAcross = (int)(((long)X1 + (1L << PrecinctWidthExponent) - 1 >> PrecinctWidthExponent) - PrecinctX0);
            PrecinctsDown = (int)(((long)Y1 + (1L << PrecinctHeightExponent) - 1 >> PrecinctHeightExponent) - PrecinctY0);
        }
        _precincts = new Precinct?[PrecinctCount];
    }

    /// <summary>Precinct <paramref name="k"/> (raster order), created when its first packet is read.</summary>
    public Precinct Precinct(int k)
    {
        if (_precincts[k] is { } existing) return existing;
        int px = PrecinctX0 + k % PrecinctsAcross, py = PrecinctY0 + k / PrecinctsAcross;
        // In a band the precinct is half the size (B.6), except in the lowest resolution's single band.
        int ew = Lowest ? PrecinctWidthExponent : PrecinctWidthExponent - 1, eh = Lowest ? PrecinctHeightExponent : PrecinctHeightExponent - 1;
        var bands = new PrecinctBand[Bands.Length];
        for (var b = 0; b < Bands.Length; b++)
        {
            var band = Bands[b];
            long x0 = Math.Max(band.X0, (long)px << ew), x1 = Math.Min(band.X1, (long)(px + 1) << ew);
            long y0 = Math.Max(band.Y0, (long)py << eh), y1 = Math.Min(band.Y1, (long)(py + 1) << eh);
            if (x1 <= x0 || y1 <= y0 || band.Blocks.Length == 0) { bands[b] = new PrecinctBand(0, 0, 0, 0, null, null); continue; }
            int cx0 = (int)(x0 >> band.BlockWidthExponent) - band.FirstBlockX, cx1 = (int)((x1 - 1) >> band.BlockWidthExponent) - band.FirstBlockX + 1;
            int cy0 = (int)(y0 >> band.BlockHeightExponent) - band.FirstBlockY, cy1 = (int)((y1 - 1) >> band.BlockHeightExponent) - band.FirstBlockY + 1;
            bands[b] = new PrecinctBand(cx0, cy0, cx1 - cx0, cy1 - cy0, new TagTree(cx1 - cx0, cy1 - cy0), new TagTree(cx1 - cx0, cy1 - cy0));
        }
        return _precincts[k] = new Precinct(bands);
    }
}

internal sealed class TileComponent
{
    public Component Info { get; }
    public CodingStyle Style { get; }
    public int Levels => Style.Levels;
    public int X0 { get; }
    public int Y0 { get; }
    public int Width { get; }
    public int Height { get; }
    public Resolution[] Resolutions { get; }
    public int[]? Integers { get; private set; }
    public float[]? Floats { get; private set; }
    private readonly int _roiShift;

    public TileComponent(Component info, CodingStyle style, Quantization quantization, int roiShift, int tx0, int ty0, int tx1, int ty1)
    {
        Info = info;
        Style = style;
        _roiShift = roiShift;
        X0 = CeilDiv(tx0, info.XR);
        Y0 = CeilDiv(ty0, info.YR);
        Width = CeilDiv(tx1, info.XR) - X0;
        Height = CeilDiv(ty1, info.YR) - Y0;
        var levels = style.Levels;
        Resolutions = new Resolution[levels + 1];
        for (var r = 0; r <= levels; r++)
        {
            var (ppx, ppy) = style.PrecinctExponents(r);
            int rx0 = CeilShift(X0, levels - r), ry0 = CeilShift(Y0, levels - r);
            int rx1 = CeilShift(X0 + Width, levels - r), ry1 = CeilShift(Y0 + Height, levels - r);
            var bands = new Band[r == 0 ? 1 : 3];
            for (var b = 0; b < bands.Length; b++)
            {
                var orientation = r == 0 ? 0 : b + 1;
                int xo = orientation & 1, yo = orientation >> 1;
                var decomposition = r == 0 ? levels : levels - r + 1; // n_b
                int bx0 = r == 0 ? rx0 : CeilShift(X0 - (xo << (decomposition - 1)), decomposition);
                int by0 = r == 0 ? ry0 : CeilShift(Y0 - (yo << (decomposition - 1)), decomposition);
                int bx1 = r == 0 ? rx1 : CeilShift(X0 + Width - (xo << (decomposition - 1)), decomposition);
                int by1 = r == 0 ? ry1 : CeilShift(Y0 + Height - (yo << (decomposition - 1)), decomposition);
                var (exponent, mantissa) = StepSize(quantization, r == 0 ? 0 : 3 * (r - 1) + orientation, levels, decomposition);
                var gain = orientation switch { 0 => 0, 3 => 2, _ => 1 };
                var band = new Band
                {
                    Orientation = orientation,
                    X0 = bx0, Y0 = by0, X1 = bx1, Y1 = by1,
                    // The lower resolution's size is where the high-pass bands start in the coefficient array.
                    OffsetX = xo == 0 ? 0 : CeilShift(X0 + Width, levels - r + 1) - CeilShift(X0, levels - r + 1),
                    OffsetY = yo == 0 ? 0 : CeilShift(Y0 + Height, levels - r + 1) - CeilShift(Y0, levels - r + 1),
                    BlockWidthExponent = Math.Min(style.BlockWidthExponent, r == 0 ? ppx : ppx - 1),
                    BlockHeightExponent = Math.Min(style.BlockHeightExponent, r == 0 ? ppy : ppy - 1),
                    MagnitudeBits = quantization.GuardBits + exponent - 1,
                    Step = (float)(Math.Pow(2, info.Precision + gain - exponent) * (1 + mantissa / 2048.0)),
                };
                band.CreateBlocks();
                bands[b] = band;
            }
            var resolution = new Resolution
            {
                X0 = rx0, Y0 = ry0, X1 = rx1, Y1 = ry1, PrecinctWidthExponent = ppx, PrecinctHeightExponent = ppy, Bands = bands, Lowest = r == 0,
            };
            resolution.CreatePrecinctGrid();
            Resolutions[r] = resolution;
        }
    }

    private static (int Exponent, int Mantissa) StepSize(Quantization q, int band, int levels, int decomposition)
    {
        if (q.Style == 1) return (Math.Max(0, q.Exponents[0] - levels + decomposition), q.Mantissas[0]); // derived (E-5)
        if (band >= q.Exponents.Length)
            throw new DicomCodecException(Corrupt + $"its quantization marker segment gives {q.Exponents.Length} step sizes; sub-band {band} needs one.");
        return (q.Exponents[band], q.Mantissas[band]);
    }

    public void UseFloats(float[] floats)
    {
        Floats = floats;
        Integers = null;
    }

    [ThreadStatic] private static CodeBlockDecoder? t_tier1;
    [ThreadStatic] private static HtBlockDecoder? t_ht;

    /// <summary>Tier-1 of every code-block, dequantization into the coefficient array, then the inverse wavelet transform.</summary>
    public void Reconstruct(byte[] data)
    {
        var count = Width * Height;
        if (Style.Reversible) Integers = new int[count];
        else Floats = new float[count];
        var blocks = new List<(Band Band, CodeBlock Block, int Top)>();
        foreach (var resolution in Resolutions)
            foreach (var band in resolution.Bands)
                foreach (var block in band.Blocks)
                {
                    if (block.Passes == 0) continue;
                    var top = band.MagnitudeBits + _roiShift - block.ZeroPlanes - 1;
                    if (top < 0) throw new DicomCodecException(Corrupt + $"a code-block has {block.ZeroPlanes} missing bit-planes of {band.MagnitudeBits}.");
                    if (top > 29) throw new DicomCodecException($"The JPEG 2000 stream has coefficients of {top + 1} bit-planes; at most 30 are supported.");
                    if (Ht) CheckHtBlock(band, block);
                    blocks.Add((band, block, top));
                }
        // Code-blocks are independent and write disjoint parts of the coefficient array: tier-1, nine tenths of a
        // reversible frame's time, runs on every core (one CodeBlockDecoder per thread).
        if (blocks.Count < 16)
            foreach (var (band, block, top) in blocks) DecodeBlock(t_tier1 ??= new CodeBlockDecoder(), data, band, block, top);
        else
        {
            try
            {
                Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, blocks.Count, 8), range =>
                {
                    var tier1 = t_tier1 ??= new CodeBlockDecoder();
                    for (var i = range.Item1; i < range.Item2; i++) DecodeBlock(tier1, data, blocks[i].Band, blocks[i].Block, blocks[i].Top);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }
        for (var r = 1; r < Resolutions.Length; r++)
        {
            var res = Resolutions[r];
            if (Integers != null) InverseWavelet.Reversible(Integers, Width, res.X0, res.X1, res.Y0, res.Y1);
            else InverseWavelet.Irreversible(Floats!, Width, res.X0, res.X1, res.Y0, res.Y1);
        }
    }

    private bool Ht => (Style.BlockStyle & CodeBlockDecoder.HighThroughput) != 0;

    private void CheckHtBlock(Band band, CodeBlock block)
    {
        if (_roiShift > 0) throw new DicomCodecException("The JPEG 2000 stream has a region of interest in HTJ2K code-blocks, which is not supported.");
        if (band.MagnitudeBits > 28) throw new DicomCodecException($"The JPEG 2000 stream has HTJ2K coefficients of {band.MagnitudeBits} bit-planes; at most 28 are supported.");
        if (block.Segments.Count > 2)
            throw new DicomCodecException($"The JPEG 2000 stream has an HTJ2K code-block of {block.Passes} passes (more than one HT set, or placeholder passes), which is not supported.");
    }

    private void DecodeBlock(CodeBlockDecoder tier1, byte[] data, Band band, CodeBlock block, int top)
    {
        var segments = block.Segments.Count;
        var starts = new int[segments];
        var ends = new int[segments];
        var passes = new int[segments];
        var total = block.Segments.Sum(s => s.Chunks.Sum(c => c.Length));
        // Two spare bytes: the MQ decoder may look one byte ahead of a segment's end.
        var bytes = new byte[total + 2];
        var at = 0;
        for (var s = 0; s < segments; s++)
        {
            var segment = block.Segments[s];
            starts[s] = at;
            foreach (var (offset, length) in segment.Chunks)
            {
                Buffer.BlockCopy(data, offset, bytes, at, length);
                at += length;
            }
            ends[s] = at;
            passes[s] = segment.Passes;
        }
        int w = block.X1 - block.X0, h = block.Y1 - block.Y0;
        IDecodedCodeBlock decoded;
        if (Ht)
        {
            var ht = t_ht ??= new HtBlockDecoder();
            ht.Decode(w, h, top, block.ZeroPlanes, (Style.BlockStyle & CodeBlockDecoder.VerticallyCausal) != 0, bytes,
                ends[0], segments > 1 ? ends[1] - ends[0] : 0, block.Passes);
            decoded = ht;
        }
        else
        {
            tier1.Decode(w, h, band.Orientation, Style.BlockStyle, top, bytes, starts, ends, passes);
            decoded = tier1;
        }
        var roi = _roiShift;
        Span<int> values = stackalloc int[w];
        for (var y = 0; y < h; y++)
        {
            var row = (block.Y0 - band.Y0 + band.OffsetY + y) * Width + block.X0 - band.X0 + band.OffsetX;
            decoded.ReadRow(y, values);
            for (var x = 0; x < w; x++)
            {
                var value = values[x];
                if (value == 0) continue;
                var negative = value < 0;
                var magnitude = negative ? -value : value;
                // Maximum shift (H.1): coefficients at or above 2^s belong to the region and are scaled back.
                if (roi > 0 && magnitude >= 2 << roi) magnitude >>= roi;
                if (Integers != null)
                {
                    var v = magnitude >> 1;
                    Integers[row + x] = negative ? -v : v;
                }
                else
                {
                    var v = magnitude * 0.5f * band.Step;
                    Floats![row + x] = negative ? -v : v;
                }
            }
        }
    }

    private static int CeilDiv(int a, int b) => (int)(((long)a + b - 1) / b);

    private static int CeilShift(long a, int n) => (int)((a + (1L << n) - 1) >> n);
}
