using System.Globalization;
using TciaPacs.Dicom;

namespace TciaPacs.Deidentification.Profile;

/// <summary>
/// PS3.15 Table E.1-1 as data (generated into ConfidentialityProfile.g.cs) and the resolution of an attribute's action
/// under a set of options.
/// </summary>
public static partial class ConfidentialityProfile
{
    /// <summary>One row of Table E.1-1: the basic profile action and the action of each option column (None when blank).</summary>
    public sealed record Row(uint Tag, uint Mask, string Name, bool InStandardCompositeIod, ProfileAction Basic, ProfileAction[] OptionActions)
    {
        public ProfileAction ActionOf(ProfileOption option) => OptionActions[System.Numerics.BitOperations.TrailingZeroCount((int)option)];
    }

    private static readonly Lazy<(Dictionary<uint, Row> Exact, Row[] Masked, Row Private)> Parsed = new(ParseTable);

    public static IReadOnlyCollection<Row> Rows => [.. Parsed.Value.Exact.Values, .. Parsed.Value.Masked];

    /// <summary>The (GGGG,EEEE) WHERE GGGG IS ODD row.</summary>
    public static Row PrivateAttributes => Parsed.Value.Private;

    /// <summary>The row of a standard tag (exact, else a repeating group such as 60xx,3000 or 50xx,xxxx), or null.</summary>
    public static Row? Find(DicomTag tag)
    {
        if (tag.IsPrivate) return PrivateAttributes;
        var (exact, masked, _) = Parsed.Value;
        if (exact.TryGetValue(tag.Value, out var row)) return row;
        foreach (var m in masked)
            if ((tag.Value & m.Mask) == m.Tag) return m;
        return null;
    }

    /// <summary>
    /// The action for <paramref name="row"/> under <paramref name="options"/>. When several chosen options name the
    /// attribute, the date option's C wins under Modified Dates (a retained device calibration date is still a date and
    /// is shifted), then any K (retain), then any C, else the basic profile's action.
    /// </summary>
    public static ProfileAction Resolve(Row row, ProfileOption options)
    {
        if (options == ProfileOption.None) return row.Basic;
        ProfileAction chosen = ProfileAction.None;
        foreach (var (option, _, _, _) in DeidentificationMethodCodes.Options)
        {
            if ((options & option) == 0) continue;
            var a = row.ActionOf(option);
            if (a == ProfileAction.None) continue;
            if (option == ProfileOption.RetainLongitudinalModifiedDates && a == ProfileAction.Clean) return ProfileAction.Clean;
            if (a == ProfileAction.Keep) chosen = ProfileAction.Keep;
            else if (chosen == ProfileAction.None) chosen = a;
        }
        return chosen == ProfileAction.None ? row.Basic : chosen;
    }

    private static (Dictionary<uint, Row>, Row[], Row) ParseTable()
    {
        var exact = new Dictionary<uint, Row>();
        var masked = new List<Row>();
        foreach (var line in Table.Split('\n'))
        {
            if (line.Length == 0) continue;
            var c = line.TrimEnd('\r').Split('\t');
            var row = new Row(uint.Parse(c[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), uint.Parse(c[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                c[2], c[3] == "Y", ProfileActions.Parse(c[4]), c[5..15].Select(ProfileActions.Parse).ToArray());
            if (row.Mask == 0xFFFFFFFF) exact[row.Tag] = row; else masked.Add(row);
        }
        var p = PrivateRow.Split('\t');
        var priv = new Row(0, 0, "Private Attributes", false, ProfileActions.Parse(p[0]), p[1..11].Select(ProfileActions.Parse).ToArray());
        return (exact, masked.ToArray(), priv);
    }
}
