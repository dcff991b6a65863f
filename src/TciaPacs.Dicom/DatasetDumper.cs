using System.Text;

namespace TciaPacs.Dicom;

/// <summary>Text dump of a file or data set in the layout of dcmtk's dcmdump, so the two can be read side by side.</summary>
public static class DatasetDumper
{
    private const int ValueColumn = 40;
    private const int MaxShownValue = 64;

    public static void Dump(DicomFile file, TextWriter output)
    {
        output.WriteLine("# Dicom-File-Format");
        output.WriteLine();
        output.WriteLine("# Dicom-Meta-Information-Header");
        output.WriteLine("# Used TransferSyntax: Little Endian Explicit");
        DumpDataset(file.Meta, output, 0);
        output.WriteLine();
        output.WriteLine("# Dicom-Data-Set");
        output.WriteLine($"# Used TransferSyntax: {file.TransferSyntax.Name}");
        DumpDataset(file.Dataset, output, 0);
        if (file.StoppedEarly) output.WriteLine("# (reading stopped early as requested)");
    }

    public static void DumpDataset(DicomDataset ds, TextWriter output, int depth)
    {
        var indent = new string(' ', depth * 2);
        foreach (var e in ds)
        {
            switch (e)
            {
                case DicomSequence sq:
                    Line(output, indent, e.Tag, "SQ", $"(Sequence with explicit length #={sq.Items.Count})", "u/l", 1, Keyword(ds, e.Tag));
                    foreach (var item in sq.Items)
                    {
                        var ii = indent + "  ";
                        Line(output, ii, DicomTag.Item, "na", $"(Item with explicit length #={item.Count})", "u/l", 1, "Item");
                        DumpDataset(item, output, depth + 2);
                        Line(output, ii, DicomTag.ItemDelimitationItem, "na", "(ItemDelimitationItem)", "0", 0, "ItemDelimitationItem");
                    }
                    Line(output, indent, DicomTag.SequenceDelimitationItem, "na", "(SequenceDelimitationItem)", "0", 0, "SequenceDelimitationItem");
                    break;
                case DicomFragmentSequence f:
                    Line(output, indent, e.Tag, f.VR.Name, "(PixelSequence #=" + (f.Fragments.Count + 1) + ")", "u/l", 1, Keyword(ds, e.Tag));
                    Line(output, indent + "  ", DicomTag.Item, "pi", Hex(f.OffsetTable), f.OffsetTable.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, "Item");
                    foreach (var frag in f.Fragments)
                        Line(output, indent + "  ", DicomTag.Item, "pi", Hex(frag), frag.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, "Item");
                    Line(output, indent, DicomTag.SequenceDelimitationItem, "na", "(SequenceDelimitationItem)", "0", 0, "SequenceDelimitationItem");
                    break;
                default:
                    Line(output, indent, e.Tag, e.VR.Name, FormatValue(ds, e), e.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ds.GetValueMultiplicity(e), Keyword(ds, e.Tag));
                    break;
            }
        }
    }

    private static string Keyword(DicomDataset ds, DicomTag tag)
    {
        if (tag.IsPrivate)
            return tag.IsPrivateCreator ? "PrivateCreator" : ds.GetPrivateCreator(tag) is { } c ? $"Private [{c}]" : "Unknown Tag & Data";
        var entry = DicomDictionary.Find(tag);
        return entry?.Keyword is { Length: > 0 } k ? k : "Unknown Tag & Data";
    }

    private static string FormatValue(DicomDataset ds, DicomElement e)
    {
        if (e.Length == 0) return "(no value available)";
        if (e.VR.IsString)
        {
            var s = ds.GetString(e);
            if (e.VR == VR.UI && DicomUids.Find(s) is { Keyword.Length: > 0 } uid) return "=" + uid.Keyword;
            return "[" + Shorten(s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)) + "]";
        }
        if (e.IsBulkData && e.Length > 4096) return $"(not loaded, {e.Length} bytes in file)";
        if (e.VR == VR.OB || e.VR == VR.UN || e.VR == VR.OW || e.VR == VR.OL || e.VR == VR.OV || e.VR == VR.OF || e.VR == VR.OD)
            return Hex(e.Buffer);
        if (e.VR == VR.AT)
            return Shorten(string.Join('\\', DicomDataset.GetTags(e).Select(t => t.ToString().ToLowerInvariant())));
        return Shorten(string.Join('\\', ds.GetStrings(e)));
    }

    private static string Hex(IO.DicomBuffer buffer)
    {
        if (buffer.Length == 0) return "(no value available)";
        var n = (int)Math.Min(buffer.Length, 24);
        Span<byte> head = stackalloc byte[n];
        using (var s = buffer.OpenRead()) s.ReadExactly(head);
        var sb = new StringBuilder();
        for (var i = 0; i < n; i++)
        {
            if (i > 0) sb.Append('\\');
            sb.Append(head[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (buffer.Length > n) sb.Append("...");
        return sb.ToString();
    }

    private static string Shorten(string s) => s.Length <= MaxShownValue ? s : s[..MaxShownValue] + "...";

    private static void Line(TextWriter output, string indent, DicomTag tag, string vr, string value, string length, int vm, string keyword)
    {
        var head = $"{indent}({tag.Group:x4},{tag.Element:x4}) {vr} {value}";
        var pad = Math.Max(1, ValueColumn + indent.Length - head.Length);
        output.Write(head);
        output.Write(new string(' ', pad));
        output.WriteLine($"# {length,3}, {vm} {keyword}");
    }
}
