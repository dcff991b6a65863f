using TciaPacs.Dicom.Codecs.Jpeg;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// A JPEG 2000 Part 1 decoder (ITU-T T.800 | ISO/IEC 15444-1) for the codestreams of PS3.5 A.4.4: the main and tile
/// headers (Annex A), packets and progression orders with their changes (Annex B), tier-1 (Annex D, see
/// <see cref="CodeBlockDecoder"/>), dequantization and region-of-interest shifts (Annex E, H), the inverse wavelet
/// transforms (Annex F) and the component transforms and level shift (Annex G). A JP2 file (Annex I) is read for its
/// codestream box. HTJ2K code-blocks (T.814) are decoded by <see cref="HtBlockDecoder"/>. Refused with a clear error:
/// packed packet headers (PPM, PPT), Part 2 extensions, HTJ2K's MIXED mode and placeholder passes, subsampled
/// components.
/// </summary>
internal static class Jpeg2000Decoder
{
    internal const string Corrupt = "The JPEG 2000 stream is corrupt: ", Truncated = "The JPEG 2000 stream is truncated: ";

    /// <summary>
    /// Decodes the codestream in <paramref name="data"/>[0..<paramref name="length"/>). <paramref name="accept"/> sees
    /// the image's width, height, components and largest precision before anything is allocated for it, and throws to
    /// refuse them.
    /// </summary>
    public static DecodedImage Decode(byte[] data, int length, Action<int, int, int, int> accept)
    {
        var (start, end) = Codestream(data, length);
        var stream = Header.Read(data, start, end);
        var siz = stream.Size;
        var width = siz.Width - siz.X0;
        var height = siz.Height - siz.Y0;
        var precision = siz.Components.Max(c => c.Precision);
        accept(width, height, siz.Components.Length, precision);
        foreach (var c in siz.Components)
            if (c.XR != 1 || c.YR != 1)
                throw new DicomCodecException($"The JPEG 2000 stream subsamples a component ({c.XR}x{c.YR}), which is not supported.");

        var planes = new int[siz.Components.Length][];
        for (var c = 0; c < planes.Length; c++) planes[c] = new int[(long)width * height];
        for (var t = 0; t < stream.Tiles.Length; t++)
        {
            var tile = stream.Tiles[t] ?? throw new DicomCodecException(Truncated + $"tile {t} is missing.");
            new TileDecoder(stream, t, tile).Decode(planes, width);
        }
        return new DecodedImage(planes, width, height, precision);
    }

    /// <summary>The codestream's bounds: the whole input, or a JP2 file's contiguous codestream box (I.5.4).</summary>
    private static (int Start, int End) Codestream(byte[] data, int length)
    {
        if (length >= 2 && data[0] == 0xFF && data[1] == 0x4F) return (0, length);
        if (length < 12 || data[4] != 0x6A || data[5] != 0x50 || data[6] != 0x20 || data[7] != 0x20)
            throw new DicomCodecException(Corrupt + "it starts with neither an SOC marker nor a JP2 signature box.");
        var at = 0;
        while (at + 8 <= length)
        {
            long boxLength = (uint)(data[at] << 24 | data[at + 1] << 16 | data[at + 2] << 8 | data[at + 3]);
            var type = data.AsSpan(at + 4, 4);
            var header = 8;
            if (boxLength == 1)
            {
                if (at + 16 > length) break;
                boxLength = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(at + 8, 8));
                header = 16;
            }
            else if (boxLength == 0) boxLength = length - at;
            if (boxLength < header || at + boxLength > length) boxLength = length - at; // a last box cut short: read what is there
            if (type.SequenceEqual("jp2c"u8)) return (at + header, (int)(at + boxLength));
            at += (int)boxLength;
        }
        throw new DicomCodecException(Corrupt + "the JP2 file has no contiguous codestream box.");
    }

    internal sealed record Component(int Precision, bool Signed, int XR, int YR);

    internal sealed record ImageSize(int Width, int Height, int X0, int Y0, int TileWidth, int TileHeight, int TileX0, int TileY0, Component[] Components)
    {
        public int TilesAcross => (int)((Width - TileX0 + (long)TileWidth - 1) / TileWidth);
        public int TilesDown => (int)((Height - TileY0 + (long)TileHeight - 1) / TileHeight);
    }

    internal sealed record CodingStyle(int Levels, int BlockWidthExponent, int BlockHeightExponent, int BlockStyle, bool Reversible, byte[] Precincts)
    {
        public (int X, int Y) PrecinctExponents(int resolution) =>
            resolution < Precincts.Length ? (Precincts[resolution] & 15, Precincts[resolution] >> 4) : (15, 15);
    }

    internal sealed record Quantization(int Style, int GuardBits, int[] Exponents, int[] Mantissas);

    internal sealed record ProgressionChange(int ResolutionStart, int ComponentStart, int LayerEnd, int ResolutionEnd, int ComponentEnd, int Order);

    /// <summary>The marker segments of the main header or of a tile's first tile-part; a tile's override the main header's.</summary>
    internal sealed class Markers
    {
        public int? Order, Layers;
        public bool Mct, Sop, Eph, HasCod;
        public CodingStyle? Cod;
        public readonly Dictionary<int, CodingStyle> Coc = [];
        public Quantization? Qcd;
        public readonly Dictionary<int, Quantization> Qcc = [];
        public readonly Dictionary<int, int> RoiShift = [];
        public readonly List<ProgressionChange> Pocs = [];
    }

    internal sealed class TileParts
    {
        public readonly Markers Markers = new();
        public readonly List<(int Start, int End)> Bodies = [];
    }

    internal sealed class Header
    {
        public required ImageSize Size { get; init; }
        public required Markers Main { get; init; }
        public required TileParts?[] Tiles { get; init; }
        public required byte[] Data { get; init; }

        public static Header Read(byte[] data, int start, int end)
        {
            if (end - start < 4 || data[start] != 0xFF || data[start + 1] != 0x4F) throw new DicomCodecException(Corrupt + "it does not start with an SOC marker.");
            var at = start + 2;
            ImageSize? size = null;
            var main = new Markers();
            TileParts?[]? tiles = null;
            while (at + 2 <= end)
            {
                if (data[at] != 0xFF) throw new DicomCodecException(Corrupt + $"a marker was expected at byte {at - start}.");
                int marker = data[at + 1];
                if (marker == 0xD9) break; // EOC
                if (marker != 0x90)
                {
                    at += 2;
                    var body = Segment(data, ref at, end);
                    if (marker == 0x51)
                    {
                        size = ReadSize(body);
                        tiles = new TileParts?[(long)size.TilesAcross * size.TilesDown];
                        continue;
                    }
                    if (size == null) throw new DicomCodecException(Corrupt + "its first marker segment is not SIZ.");
                    ReadMarker(marker, body, main, size.Components.Length);
                    continue;
                }
                // SOT (A.4.2): tile index, tile-part length (from the SOT marker), tile-part index, tile-part count.
                if (size == null || tiles == null) throw new DicomCodecException(Corrupt + "a tile-part comes before the SIZ marker segment.");
                var sotAt = at;
                at += 2;
                var sot = Segment(data, ref at, end);
                if (sot.Length < 8) throw new DicomCodecException(Corrupt + "its SOT marker segment is too short.");
                var index = sot[0] << 8 | sot[1];
                var partLength = (long)(uint)(sot[2] << 24 | sot[3] << 16 | sot[4] << 8 | sot[5]);
                if (index >= tiles.Length) throw new DicomCodecException(Corrupt + $"tile-part of tile {index}; the image has {tiles.Length} tiles.");
                var partEnd = partLength == 0 ? EndOfData(data, start, end) : sotAt + partLength;
                if (partEnd > end) partEnd = end; // a last tile-part cut short: its packets will say what is missing
                var first = tiles[index] == null;
                var tile = tiles[index] ??= new TileParts();
                while (true)
                {
                    if (at + 2 > partEnd || data[at] != 0xFF) throw new DicomCodecException(Corrupt + $"tile {index}'s tile-part header has no SOD marker.");
                    int m = data[at + 1];
                    at += 2;
                    if (m == 0x93) break; // SOD
                    var body = Segment(data, ref at, partEnd);
                    // Coding and quantization styles count in a tile's first tile-part only (A.4.2); a POC may come in any.
                    if (first || m == 0x5F) ReadMarker(m, body, tile.Markers, size.Components.Length);
                }
                tile.Bodies.Add((at, (int)partEnd));
                at = (int)partEnd;
            }
            if (size == null || tiles == null) throw new DicomCodecException(Corrupt + "it has no SIZ marker segment.");
            if (main.Cod == null) throw new DicomCodecException(Corrupt + "its main header has no COD marker segment.");
            if (main.Qcd == null) throw new DicomCodecException(Corrupt + "its main header has no QCD marker segment.");
            return new Header { Size = size, Main = main, Tiles = tiles, Data = data };
        }

        private static long EndOfData(byte[] data, int start, int end) =>
            end - start >= 2 && data[end - 2] == 0xFF && data[end - 1] == 0xD9 ? end - 2 : end;

        private static ReadOnlySpan<byte> Segment(byte[] data, ref int at, long end)
        {
            if (at + 2 > end) throw new DicomCodecException(Corrupt + "a marker segment is cut off.");
            var length = data[at] << 8 | data[at + 1];
            if (length < 2 || at + length > end) throw new DicomCodecException(Corrupt + $"a marker segment's length ({length}) runs past the stream's end.");
            var body = data.AsSpan(at + 2, length - 2);
            at += length;
            return body;
        }

        private static ImageSize ReadSize(ReadOnlySpan<byte> s)
        {
            if (s.Length < 36) throw new DicomCodecException(Corrupt + "its SIZ marker segment is too short.");
            static int U32(ReadOnlySpan<byte> s, int at)
            {
                var v = (uint)(s[at] << 24 | s[at + 1] << 16 | s[at + 2] << 8 | s[at + 3]);
                return v > int.MaxValue ? throw new DicomCodecException(Corrupt + "a SIZ dimension exceeds 2^31.") : (int)v;
            }
            // Rsiz (capabilities) is not checked: the coding style segments say what a decoder must do, and are checked.
            int width = U32(s, 2), height = U32(s, 6), x0 = U32(s, 10), y0 = U32(s, 14);
            int tileWidth = U32(s, 18), tileHeight = U32(s, 22), tileX0 = U32(s, 26), tileY0 = U32(s, 30);
            var count = s[34] << 8 | s[35];
            if (width <= x0 || height <= y0 || tileWidth == 0 || tileHeight == 0 || tileX0 > x0 || tileY0 > y0
                || (long)tileX0 + tileWidth <= x0 || (long)tileY0 + tileHeight <= y0)
                throw new DicomCodecException(Corrupt + $"its SIZ image and tile grids are inconsistent ({width}x{height} from {x0},{y0}; tiles {tileWidth}x{tileHeight} from {tileX0},{tileY0}).");
            if (count == 0 || s.Length < 36 + 3 * count) throw new DicomCodecException(Corrupt + "its SIZ marker segment lists no or too few components.");
            var components = new Component[count];
            for (var i = 0; i < count; i++)
            {
                var ssiz = s[36 + 3 * i];
                var precision = (ssiz & 0x7F) + 1;
                if (precision > 16) throw new DicomCodecException($"The JPEG 2000 stream has {precision}-bit samples; at most 16 are supported.");
                int xr = s[37 + 3 * i], yr = s[38 + 3 * i];
                if (xr == 0 || yr == 0) throw new DicomCodecException(Corrupt + "a component's subsampling factor is 0.");
                components[i] = new Component(precision, (ssiz & 0x80) != 0, xr, yr);
            }
            return new ImageSize(width, height, x0, y0, tileWidth, tileHeight, tileX0, tileY0, components);
        }

        private static void ReadMarker(int marker, ReadOnlySpan<byte> s, Markers into, int components)
        {
            var wide = components >= 257; // component indices take two bytes (A.6.2)
            int Index(ReadOnlySpan<byte> b, int at, out int next)
            {
                next = at + (wide ? 2 : 1);
                if (b.Length < next) throw new DicomCodecException(Corrupt + "a marker segment is too short for its component index.");
                var c = wide ? b[at] << 8 | b[at + 1] : b[at];
                return c < components ? c : throw new DicomCodecException(Corrupt + $"a marker segment names component {c}; the image has {components}.");
            }
            switch (marker)
            {
                case 0x52: // COD
                    if (s.Length < 5) throw new DicomCodecException(Corrupt + "its COD marker segment is too short.");
                    into.HasCod = true;
                    into.Sop = (s[0] & 2) != 0;
                    into.Eph = (s[0] & 4) != 0;
                    if (s[1] > 4) throw new DicomCodecException(Corrupt + $"progression order {s[1]} is not defined.");
                    into.Order = s[1];
                    into.Layers = s[2] << 8 | s[3];
                    if (into.Layers == 0) throw new DicomCodecException(Corrupt + "its COD marker segment gives 0 quality layers.");
                    into.Mct = s[4] switch { 0 => false, 1 => true, _ => throw new DicomCodecException("The JPEG 2000 stream uses a Part 2 multiple component transform, which is not supported.") };
                    into.Cod = ReadCodingStyle(s[5..], (s[0] & 1) != 0);
                    break;
                case 0x53: // COC
                {
                    var c = Index(s, 0, out var next);
                    if (s.Length < next + 1) throw new DicomCodecException(Corrupt + "its COC marker segment is too short.");
                    into.Coc[c] = ReadCodingStyle(s[(next + 1)..], (s[next] & 1) != 0);
                    break;
                }
                case 0x5C: // QCD
                    into.Qcd = ReadQuantization(s);
                    break;
                case 0x5D: // QCC
                {
                    var c = Index(s, 0, out var next);
                    into.Qcc[c] = ReadQuantization(s[next..]);
                    break;
                }
                case 0x5E: // RGN
                {
                    var c = Index(s, 0, out var next);
                    if (s.Length < next + 2 || s[next] != 0) throw new DicomCodecException(Corrupt + "its RGN marker segment is not the maximum shift method.");
                    into.RoiShift[c] = s[next + 1];
                    break;
                }
                case 0x5F: // POC
                {
                    var entry = wide ? 9 : 7;
                    if (s.Length == 0 || s.Length % entry != 0) throw new DicomCodecException(Corrupt + "its POC marker segment has a partial entry.");
                    for (var at = 0; at < s.Length; at += entry)
                    {
                        var e = s.Slice(at, entry);
                        int cs = wide ? e[1] << 8 | e[2] : e[1];
                        var o = wide ? 3 : 2;
                        int layerEnd = e[o] << 8 | e[o + 1], resolutionEnd = e[o + 2];
                        int ce = wide ? e[o + 3] << 8 | e[o + 4] : e[o + 3];
                        if (ce == 0) ce = wide ? 16384 : 256;
                        var order = e[wide ? o + 5 : o + 4];
                        if (order > 4) throw new DicomCodecException(Corrupt + $"progression order {order} is not defined.");
                        into.Pocs.Add(new ProgressionChange(e[0], cs, layerEnd, resolutionEnd, ce, order));
                    }
                    break;
                }
                case 0x60 or 0x61: // PPM, PPT
                    throw new DicomCodecException("The JPEG 2000 stream packs its packet headers (PPM or PPT marker), which is not supported.");
                default:
                    // TLM, PLM, PLT, CRG, COM and other informational segments change nothing in decoding.
                    if (marker < 0x30 || (marker is >= 0x90 and <= 0x93) || marker == 0xD9)
                        throw new DicomCodecException(Corrupt + $"marker FF{marker:X2} is out of place.");
                    break;
            }
        }

        private static CodingStyle ReadCodingStyle(ReadOnlySpan<byte> s, bool precincts)
        {
            if (s.Length < 5) throw new DicomCodecException(Corrupt + "a coding style marker segment is too short.");
            int levels = s[0], xcb = (s[1] & 15) + 2, ycb = (s[2] & 15) + 2, style = s[3];
            if (levels > 32) throw new DicomCodecException(Corrupt + $"{levels} decomposition levels (at most 32).");
            if (xcb > 10 || ycb > 10 || xcb + ycb > 12) throw new DicomCodecException(Corrupt + $"its code-blocks are 2^{xcb} x 2^{ycb} samples.");
            if ((style & CodeBlockDecoder.HighThroughputMixed) != 0)
                throw new DicomCodecException("The JPEG 2000 stream mixes HTJ2K and Part 1 code-blocks (MIXED mode), which is not supported.");
            if (s[4] > 1) throw new DicomCodecException("The JPEG 2000 stream uses a Part 2 wavelet kernel, which is not supported.");
            var sizes = precincts ? s[5..].ToArray() : [];
            if (precincts && sizes.Length < levels + 1) throw new DicomCodecException(Corrupt + "its precinct sizes are fewer than its resolutions.");
            for (var r = 1; r < sizes.Length; r++)
                if ((sizes[r] & 15) == 0 || (sizes[r] >> 4) == 0)
                    throw new DicomCodecException(Corrupt + $"resolution {r} has precincts of size 1.");
            return new CodingStyle(levels, xcb, ycb, style, s[4] == 1, sizes);
        }

        private static Quantization ReadQuantization(ReadOnlySpan<byte> s)
        {
            if (s.Length < 2) throw new DicomCodecException(Corrupt + "a quantization marker segment is too short.");
            int style = s[0] & 31, guard = s[0] >> 5;
            int[] exponents, mantissas;
            switch (style)
            {
                case 0:
                    exponents = new int[s.Length - 1];
                    mantissas = new int[exponents.Length];
                    for (var i = 0; i < exponents.Length; i++) exponents[i] = s[1 + i] >> 3;
                    break;
                case 1 or 2:
                    var n = (s.Length - 1) / 2;
                    if (n == 0) throw new DicomCodecException(Corrupt + "a quantization marker segment gives no step size.");
                    exponents = new int[n];
                    mantissas = new int[n];
                    for (var i = 0; i < n; i++)
                    {
                        var v = s[1 + 2 * i] << 8 | s[2 + 2 * i];
                        exponents[i] = v >> 11;
                        mantissas[i] = v & 0x7FF;
                    }
                    break;
                default:
                    throw new DicomCodecException(Corrupt + $"quantization style {style} is not defined.");
            }
            return new Quantization(style, guard, exponents, mantissas);
        }
    }
}
