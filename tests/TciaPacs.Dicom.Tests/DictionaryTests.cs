using NUnit.Framework;

namespace TciaPacs.Dicom.Tests;

/// <summary>The generated PS3.6 data dictionary and UID registry, and the lookups built on them.</summary>
[TestFixture]
public sealed class DictionaryTests
{
    [Test]
    public void Dictionary_is_complete_and_stamped()
    {
        Assert.That(DicomDictionary.All, Has.Count.GreaterThanOrEqualTo(5_300));
        Assert.That(DicomDictionary.Edition, Is.Not.Empty);
        Assert.That(DicomDictionary.All.Count(e => e.IsRetired), Is.GreaterThan(500), "retired entries are part of PS3.6 and must be kept");
        Assert.That(DicomDictionary.All.Where(e => !e.IsRepeatingGroup).Select(e => e.Tag), Is.Unique);
    }

    [TestCase(0x00100010u, "PatientName", "PN", false)]
    [TestCase(0x7FE00010u, "PixelData", "OB", false)]
    [TestCase(0x00080005u, "SpecificCharacterSet", "CS", false)]
    [TestCase(0x00081199u, "ReferencedSOPSequence", "SQ", false)]
    [TestCase(0x00000001u, "CommandLengthToEnd", "UL", true)]
    [TestCase(0x00080040u, "DataSetType", "US", true)]
    [TestCase(0x00100021u, "IssuerOfPatientID", "LO", false)]
    public void Standard_entries_resolve(uint tag, string keyword, string firstVR, bool retired)
    {
        var e = DicomDictionary.Find(new DicomTag(tag));
        Assert.That(e, Is.Not.Null);
        Assert.That(e!.Keyword, Is.EqualTo(keyword));
        Assert.That(e.VR.Name, Is.EqualTo(firstVR));
        Assert.That(e.IsRetired, Is.EqualTo(retired));
        Assert.That(DicomDictionary.FindByKeyword(keyword)?.Tag, Is.EqualTo(tag));
        Assert.That(DicomDictionary.KeywordOf(new DicomTag(tag)), Is.EqualTo(keyword));
    }

    [TestCase(0x60003000u, "OverlayData", false)]
    [TestCase(0x60023000u, "OverlayData", false)]
    [TestCase(0x601E3000u, "OverlayData", false)]
    [TestCase(0x60000010u, "OverlayRows", false)]
    [TestCase(0x601E0011u, "OverlayColumns", false)]
    [TestCase(0x50003000u, "CurveData", true)]
    [TestCase(0x501E3000u, "CurveData", true)]
    [TestCase(0x7F000010u, "VariablePixelData", true)]
    [TestCase(0x7F1E0010u, "VariablePixelData", true)]
    public void Repeating_groups_resolve(uint tag, string keyword, bool retired)
    {
        var e = DicomDictionary.Find(new DicomTag(tag));
        Assert.That(e, Is.Not.Null, new DicomTag(tag).ToString());
        Assert.That(e!.Keyword, Is.EqualTo(keyword));
        Assert.That(e.IsRepeatingGroup, Is.True);
        Assert.That(e.IsRetired, Is.EqualTo(retired));
        Assert.That(e.Matches(new DicomTag(tag)), Is.True);
    }

    [Test]
    public void Repeating_groups_do_not_match_outside_their_range()
    {
        // 60xx is even groups 6000-601E only (PS3.5 7.6); 6001 is private, 6020 is not an overlay group.
        Assert.That(DicomDictionary.Find(new DicomTag(0x60013000))?.Keyword, Is.Not.EqualTo("OverlayData"));
        Assert.That(DicomDictionary.Find(new DicomTag(0x60203000))?.Keyword ?? "", Is.Not.EqualTo("OverlayData"));
        Assert.That(DicomDictionary.Find(new DicomTag(0x50203000))?.Keyword ?? "", Is.Not.EqualTo("CurveData"));
        Assert.That(DicomDictionary.Find(new DicomTag(0x7F200010))?.Keyword ?? "", Is.Not.EqualTo("VariablePixelData"));
    }

    [TestCase(0x00280106u, new[] { "US", "SS" })]
    [TestCase(0x7FE00010u, new[] { "OB", "OW" })]
    [TestCase(0x60003000u, new[] { "OB", "OW" })]
    [TestCase(0x00283006u, new[] { "US", "OW" })]
    [TestCase(0x00283002u, new[] { "US", "SS" })]
    public void Multi_VR_entries_list_every_VR(uint tag, string[] vrs)
    {
        var e = DicomDictionary.Find(new DicomTag(tag))!;
        Assert.That(e.ValueRepresentations.Select(v => v.Name), Is.EquivalentTo(vrs));
    }

    [Test]
    public void An_entry_with_three_VRs_exists()
    {
        // "US or SS or OW" (e.g. Red Palette Color Lookup Table Descriptor's data in older editions, LUT Data…).
        var three = DicomDictionary.All.Where(e => e.ValueRepresentations.Count == 3).ToList();
        Assert.That(three, Is.Not.Empty);
        Assert.That(three.Any(e => e.ValueRepresentations.Select(v => v.Name).OrderBy(n => n).SequenceEqual(["OW", "SS", "US"])), Is.True);
    }

    [Test]
    public void Private_and_group_length_tags()
    {
        Assert.That(DicomDictionary.Find(new DicomTag(0x00091010)), Is.Null, "private data elements are not in PS3.6");
        Assert.That(DicomDictionary.Find(new DicomTag(0x00090010))?.VR, Is.EqualTo(VR.LO), "private creators are LO");
        Assert.That(DicomDictionary.Find(new DicomTag(0x00180000))?.VR, Is.EqualTo(VR.UL), "group lengths are UL");
        Assert.That(DicomDictionary.ImpliedVR(new DicomTag(0x00091010)), Is.EqualTo(VR.UN));
        Assert.That(DicomDictionary.Find(new DicomTag(0x00080007)), Is.Null);
    }

    [Test]
    public void Keywords_are_unique_for_non_repeating_entries()
    {
        foreach (var e in DicomDictionary.All.Where(e => e.Keyword.Length > 0 && !e.IsRepeatingGroup).Take(6000))
            Assert.That(DicomDictionary.FindByKeyword(e.Keyword), Is.SameAs(e), e.Keyword);
    }

    [TestCase("(0010,0010)", 0x00100010u)]
    [TestCase("0010,0010", 0x00100010u)]
    [TestCase("00100010", 0x00100010u)]
    [TestCase("PatientName", 0x00100010u)]
    [TestCase(" (7FE0,0010) ", 0x7FE00010u)]
    [TestCase("7fe00010", 0x7FE00010u)]
    [TestCase("StudyInstanceUID", 0x0020000Du)]
    public void Tag_parse(string text, uint expected)
    {
        Assert.That(DicomTag.Parse(text).Value, Is.EqualTo(expected));
        Assert.That(DicomTag.TryParse(text, out var t), Is.True);
        Assert.That(t.Value, Is.EqualTo(expected));
    }

    [TestCase("NoSuchKeyword")]
    [TestCase("(0010,00)")]
    [TestCase("")]
    [TestCase("0010001G")]
    public void Tag_parse_rejects(string text)
    {
        Assert.That(DicomTag.TryParse(text, out _), Is.False);
        Assert.Throws<FormatException>(() => DicomTag.Parse(text));
    }

    [Test]
    public void Tag_properties()
    {
        var t = new DicomTag(0x0029, 0x1010);
        Assert.That(t.IsPrivate, Is.True);
        Assert.That(t.PrivateCreatorTag, Is.EqualTo(new DicomTag(0x0029, 0x0010)));
        Assert.That(new DicomTag(0x0029, 0x0010).IsPrivateCreator, Is.True);
        Assert.That(new DicomTag(0x0029, 0x0100).IsPrivateCreator, Is.False);
        Assert.That(new DicomTag(0x0008, 0x0000).IsGroupLength, Is.True);
        Assert.That(t.ToString(), Is.EqualTo("(0029,1010)"));
        Assert.That(t.ToHex(), Is.EqualTo("00291010"));
        Assert.That(new DicomTag(0x0008, 0xFFFF) < new DicomTag(0x0009, 0x0000), Is.True);
    }

    // ---- UIDs ----

    [Test]
    public void Every_transfer_syntax_has_a_name()
    {
        var syntaxes = DicomUids.All.Where(u => u.Type == DicomUidType.TransferSyntax).ToList();
        Assert.That(syntaxes, Has.Count.GreaterThan(30));
        foreach (var u in syntaxes)
        {
            Assert.That(u.Name, Is.Not.Empty, u.Value);
            Assert.That(DicomUids.IsValid(u.Value), Is.True, u.Value);
            Assert.That(TransferSyntax.Lookup(u.Value).Name, Is.EqualTo(u.Name), u.Value);
        }
    }

    [TestCase("1.2.840.10008.1.2", false, true, false, false, false)]
    [TestCase("1.2.840.10008.1.2.1", true, true, false, false, false)]
    [TestCase("1.2.840.10008.1.2.2", true, false, false, false, false)]
    [TestCase("1.2.840.10008.1.2.1.99", true, true, true, false, false)]
    [TestCase("1.2.840.10008.1.2.5", true, true, false, true, false)]
    [TestCase("1.2.840.10008.1.2.4.50", true, true, false, true, true)]
    [TestCase("1.2.840.10008.1.2.4.91", true, true, false, true, true)]
    [TestCase("1.2.840.10008.1.2.4.90", true, true, false, true, false)]
    [TestCase("1.2.840.10008.1.2.4.81", true, true, false, true, true)]
    [TestCase("1.2.840.10008.1.2.4.201", true, true, false, true, false)]
    [TestCase("1.2.840.10008.1.2.4.202", true, true, false, true, false)]
    [TestCase("1.2.840.10008.1.2.4.203", true, true, false, true, true)]
    [TestCase("1.2.840.10008.1.2.4.51", true, true, false, true, true)]
    [TestCase("1.2.840.10008.1.2.4.70\0", true, true, false, true, false)]
    [TestCase("1.2.3.4.5.6", true, true, false, true, false)]
    public void Transfer_syntax_flags(string uid, bool explicitVR, bool littleEndian, bool deflated, bool encapsulated, bool lossy)
    {
        var ts = TransferSyntax.Lookup(uid);
        Assert.That(ts.IsExplicitVR, Is.EqualTo(explicitVR));
        Assert.That(ts.IsLittleEndian, Is.EqualTo(littleEndian));
        Assert.That(ts.IsDeflated, Is.EqualTo(deflated));
        Assert.That(ts.IsEncapsulated, Is.EqualTo(encapsulated));
        Assert.That(ts.IsLossy, Is.EqualTo(lossy));
        Assert.That(ts.Uid, Is.EqualTo(uid.TrimEnd('\0')));
        Assert.That(ts.IsUncompressed, Is.EqualTo(!deflated && !encapsulated));
    }

    [Test]
    public void Uncompressed_lists_the_four_native_syntaxes()
    {
        Assert.That(TransferSyntax.Uncompressed.Select(t => t.Uid), Is.EquivalentTo(new[]
            { "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99" }));
        Assert.That(TransferSyntax.Lookup("1.2.840.10008.1.2.1"), Is.SameAs(TransferSyntax.ExplicitVRLittleEndian));
    }

    [Test]
    public void Registry_lookups()
    {
        Assert.That(DicomUids.Find("1.2.840.10008.5.1.4.1.1.2")?.Name, Is.EqualTo("CT Image Storage"));
        Assert.That(DicomUids.Find("1.2.840.10008.5.1.4.1.1.2")?.Type, Is.EqualTo(DicomUidType.SopClass));
        Assert.That(DicomUids.Find("1.2.840.10008.1.2.2")?.IsRetired, Is.True);
        Assert.That(DicomUids.Find("1.2.840.10008.1.1 ")?.Name, Is.EqualTo("Verification SOP Class"));
        var unknown = DicomUids.Lookup("1.2.3\0");
        Assert.That(unknown.Value, Is.EqualTo("1.2.3"));
        Assert.That(unknown.Type, Is.EqualTo(DicomUidType.Other));
        Assert.That(unknown.Name, Is.Empty);
        Assert.That(DicomUids.All.Select(u => u.Value), Is.Unique);
        Assert.That(DicomUids.All.All(u => DicomUids.IsValid(u.Value)), Is.True, "every registry UID is valid");
    }

    [TestCase("1.2.840.10008.1.2", true)]
    [TestCase("2.25.0", true)]
    [TestCase("0", true)]
    [TestCase("1.2.3.04", false)]
    [TestCase("1..2", false)]
    [TestCase(".1.2", false)]
    [TestCase("1.2.", false)]
    [TestCase("1.2.a", false)]
    [TestCase("", false)]
    [TestCase("1.2.840.10008.1.2 ", false)]
    [TestCase("1.2345678901234567890123456789012345678901234567890123456789012", true)]
    [TestCase("1.234567890123456789012345678901234567890123456789012345678901234", false)]
    public void Uid_validity(string uid, bool valid) => Assert.That(DicomUids.IsValid(uid), Is.EqualTo(valid), $"{uid} ({uid.Length} chars)");

    [Test]
    public void Generated_uids_are_valid_unique_and_under_2_25()
    {
        var uids = Enumerable.Range(0, 10_000).Select(_ => DicomUids.Generate()).ToList();
        Assert.That(uids, Is.Unique);
        foreach (var u in uids)
        {
            Assert.That(u, Does.StartWith("2.25."));
            Assert.That(DicomUids.IsValid(u), Is.True, u);
            // A 128-bit UUID as a decimal integer has at most 39 digits (PS3.5 B.2).
            Assert.That(u.Length - 5, Is.InRange(1, 39), u);
        }
        Assert.That(DicomUids.IsValid(DicomUids.ImplementationClassUid), Is.True);
        Assert.That(DicomUids.ImplementationVersionName.Length, Is.LessThanOrEqualTo(16));
    }
}
