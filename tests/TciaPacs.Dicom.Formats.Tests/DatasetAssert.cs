using NUnit.Framework;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>Element-for-element comparison of a data set with its round-tripped copy: tag, VR, values as strings (bytes for binary VRs).</summary>
internal static class DatasetAssert
{
    public static void Equivalent(DicomDataset expected, DicomDataset actual, string path = "")
    {
        var want = expected.Where(e => !e.Tag.IsGroupLength).ToList();
        var got = actual.ToList();
        // Text re-encoded as UTF-8 needs ISO_IR 192 even where the original had no (0008,0005) at this level.
        if (!expected.Contains(DicomTags.SpecificCharacterSet) && actual.GetString(DicomTags.SpecificCharacterSet) == "ISO_IR 192")
            got.RemoveAll(e => e.Tag == DicomTags.SpecificCharacterSet);
        Assert.That(got.Select(e => e.Tag.ToString()), Is.EqualTo(want.Select(e => e.Tag.ToString())), $"{path}: tags");
        for (var i = 0; i < want.Count; i++)
        {
            var (w, g) = (want[i], got[i]);
            var where = $"{path}{w.Tag}";
            Assert.That(g.VR, Is.EqualTo(w.VR.IsKnown ? w.VR : VR.UN), $"{where}: VR");
            if (w.Tag == DicomTags.SpecificCharacterSet && actual.GetString(g) == "ISO_IR 192") continue; // re-encoded as UTF-8
            switch (w)
            {
                case DicomSequence sq:
                    Assert.That(g, Is.InstanceOf<DicomSequence>(), where);
                    var items = ((DicomSequence)g).Items;
                    Assert.That(items, Has.Count.EqualTo(sq.Items.Count), $"{where}: items");
                    for (var k = 0; k < items.Count; k++) Equivalent(sq.Items[k], items[k], $"{where}[{k}].");
                    break;
                case DicomFragmentSequence f:
                    Assert.That(g, Is.InstanceOf<DicomFragmentSequence>(), where);
                    var gf = (DicomFragmentSequence)g;
                    Assert.That(gf.OffsetTable.GetBytes().ToArray(), Is.EqualTo(f.OffsetTable.GetBytes().ToArray()), $"{where}: offset table");
                    Assert.That(gf.Fragments.Select(b => b.GetBytes().ToArray()), Is.EqualTo(f.Fragments.Select(b => b.GetBytes().ToArray())), $"{where}: fragments");
                    break;
                default:
                    if (IsBulkVR(g.VR))
                        Assert.That(g.Buffer.GetBytes().ToArray(), Is.EqualTo(w.Buffer.GetBytes().ToArray()), $"{where}: bytes");
                    else
                        Assert.That(Normalize(g.VR, actual.GetStrings(g)), Is.EqualTo(Normalize(g.VR, expected.GetStrings(w))), $"{where}: values");
                    break;
            }
        }
    }

    private static bool IsBulkVR(VR vr) =>
        vr == VR.OB || vr == VR.OD || vr == VR.OF || vr == VR.OL || vr == VR.OV || vr == VR.OW || vr == VR.UN;

    /// <summary>
    /// Known, accepted differences: a value that is only padding has no value; PN drops trailing empty component
    /// groups, which PS3.18 F.2.2 cannot carry (only non-empty groups are written).
    /// </summary>
    private static string[] Normalize(VR vr, string[] values)
    {
        if (values is [""]) return [];
        return vr == VR.PN ? values.Select(v => v.TrimEnd('=')).ToArray() : values;
    }
}
