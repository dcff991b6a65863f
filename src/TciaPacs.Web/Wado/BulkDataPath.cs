using System.Globalization;
using System.Text;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats;

namespace TciaPacs.Web.Wado;

/// <summary>
/// The path part of our BulkDataURIs: the tags and item indexes down to an element, e.g. <c>7FE00010</c> or
/// <c>00540016/0/00181072</c> (sequence, 0-based item, tag), resolved against the stored file.
/// </summary>
internal static class BulkDataPath
{
    public static string Format(DicomElementPath path)
    {
        var sb = new StringBuilder();
        foreach (var step in path.Parents) sb.Append(Hex(step.Sequence)).Append('/').Append(step.Item.ToString(CultureInfo.InvariantCulture)).Append('/');
        return sb.Append(Hex(path.Tag)).ToString();
    }

    private static string Hex(DicomTag tag) => ((uint)tag.Group << 16 | tag.Element).ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>The element at <paramref name="path"/>, or null when there is none.</summary>
    public static DicomElement? Resolve(DicomDataset dataset, string path)
    {
        var parts = path.Trim('/').Split('/');
        if (parts.Length % 2 != 1) return null;
        var ds = dataset;
        for (var i = 0; i < parts.Length; i += 2)
        {
            if (!uint.TryParse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var t) || parts[i].Length != 8) return null;
            var element = ds.Get(new DicomTag(t));
            if (i == parts.Length - 1) return element;
            if (element is not DicomSequence sq || !int.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var item) || item >= sq.Items.Count) return null;
            ds = sq.Items[item];
        }
        return null;
    }
}
