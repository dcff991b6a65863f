namespace TciaPacs.Dicom.Text;

/// <summary>
/// Re-encodes the text of a data set in another Specific Character Set, when every character has a place in it: a
/// C-FIND SCP answers in the character set its SCU asked in (as Orthanc does) rather than in UTF-8, which older
/// workstations may not read. Nothing changes when any character would be lost.
/// </summary>
public static class CharacterSetConversion
{
    /// <summary>True when <paramref name="dataset"/> now holds its text in <paramref name="terms"/> (and says so in (0008,0005)).</summary>
    public static bool TryConvert(DicomDataset dataset, IReadOnlyList<string> terms)
    {
        if (terms.Count == 0) return false;
        var target = DicomCharacterSet.FromTerms(terms);
        if (target.UnknownTerms.Count > 0) return false;
        var changes = new List<(DicomDataset Owner, DicomTag Tag, VR VR, byte[] Bytes)>();
        if (!Collect(dataset, target, changes, isItem: false)) return false;
        // Every value decoded before any is replaced: the old (0008,0005) decodes them until the end.
        foreach (var (owner, tag, vr, bytes) in changes) owner.AddOrUpdate(tag, vr, bytes);
        dataset.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, [.. terms]);
        return true;
    }

    private static bool Collect(DicomDataset ds, DicomCharacterSet target, List<(DicomDataset, DicomTag, VR, byte[])> changes, bool isItem)
    {
        // An item with a character set of its own would still name it: leave such a data set as it is.
        if (isItem && ds.Contains(DicomTags.SpecificCharacterSet)) return false;
        foreach (var e in ds)
        {
            if (e is DicomSequence sq)
            {
                foreach (var item in sq.Items)
                    if (!Collect(item, target, changes, isItem: true)) return false;
                continue;
            }
            var bytes = e.Buffer.GetBytes().Span;
            // A value of unknown VR may be text in the old set: with anything beyond ASCII in it, leave the data set.
            if (e.VR == VR.UN && bytes.ContainsAnyInRange((byte)0x80, (byte)0xFF)) return false;
            if (!e.VR.UsesCharacterSet) continue;
            var isPersonName = e.VR == VR.PN;
            var text = ds.CharacterSet.Decode(bytes, isPersonName);
            var encoded = target.Encode(text, isPersonName);
            if (target.Decode(encoded, isPersonName) != text) return false;
            if (!bytes.SequenceEqual(encoded)) changes.Add((ds, e.Tag, e.VR, encoded));
        }
        return true;
    }
}
