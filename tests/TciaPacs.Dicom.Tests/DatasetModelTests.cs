using System.Buffers.Binary;
using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Values;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Tests;

/// <summary>The data set model: order, replace/remove, cloning, inheritance into items, typed values, private blocks, and partial/lazy reading.</summary>
[TestFixture]
public sealed class DatasetModelTests
{
    private static DicomTag[] Tags(DicomDataset ds) => ds.Select(e => e.Tag).ToArray();

    [Test]
    public void Elements_stay_sorted_whatever_the_order_of_adds()
    {
        var rng = new Random(1234);
        var tags = Enumerable.Range(0, 300).Select(_ => new DicomTag((uint)rng.NextInt64(0x00080000, 0x7FE00011))).Distinct().ToList();
        var ds = new DicomDataset();
        foreach (var t in tags.OrderBy(_ => rng.Next())) ds.AddOrUpdate(t, VR.LO, t.ToHex());
        Assert.That(Tags(ds), Is.EqualTo(tags.OrderBy(t => t.Value).ToArray()));
        Assert.That(ds.Count, Is.EqualTo(tags.Count));
        foreach (var t in tags) Assert.That(ds.GetString(t), Is.EqualTo(t.ToHex()));
    }

    [Test]
    public void Add_replaces_and_remove_removes()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.PatientID, "A");
        ds.AddOrUpdate(DicomTags.PatientName, "Doe^John");
        ds.AddOrUpdate(DicomTags.PatientID, "B");
        Assert.That(ds.Count, Is.EqualTo(2));
        Assert.That(ds.GetString(DicomTags.PatientID), Is.EqualTo("B"));
        Assert.That(ds.Remove(DicomTags.PatientName), Is.True);
        Assert.That(ds.Remove(DicomTags.PatientName), Is.False);
        Assert.That(ds.Contains(DicomTags.PatientName), Is.False);
        Assert.That(ds.GetString(DicomTags.PatientName), Is.Null);
        Assert.That(ds.TryGet(DicomTags.PatientID, out var e), Is.True);
        Assert.That(e.VR, Is.EqualTo(VR.LO));
        ds.AddOrUpdate(new DicomTag(0x0009, 0x0010), VR.LO, "X");
        ds.AddOrUpdate(new DicomTag(0x0009, 0x1001), VR.LO, "Y");
        Assert.That(ds.RemoveAll(x => x.Tag.IsPrivate), Is.EqualTo(2));
        Assert.That(Tags(ds), Is.EqualTo(new[] { DicomTags.PatientID }));
    }

    [Test]
    public void Clone_is_independent()
    {
        var item = new DicomDataset().AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, "1.2.3");
        var ds = new DicomDataset().AddOrUpdate(DicomTags.PatientName, "Doe^John").AddOrUpdate(DicomTags.ReferencedImageSequence, item);
        var copy = ds.Clone();
        copy.AddOrUpdate(DicomTags.PatientName, "Roe^Jane");
        copy.GetSequence(DicomTags.ReferencedImageSequence)!.Items[0].AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, "9.9");
        copy.GetSequence(DicomTags.ReferencedImageSequence)!.Items.Add(new DicomDataset());
        copy.Remove(DicomTags.PatientID);
        Assert.That(ds.GetString(DicomTags.PatientName), Is.EqualTo("Doe^John"));
        Assert.That(ds.GetSequence(DicomTags.ReferencedImageSequence)!.Items, Has.Count.EqualTo(1));
        Assert.That(ds.GetSequence(DicomTags.ReferencedImageSequence)!.Items[0].GetString(DicomTags.ReferencedSOPInstanceUID), Is.EqualTo("1.2.3"));
        Assert.That(copy.GetSequence(DicomTags.ReferencedImageSequence)!.Items[0].Parent, Is.SameAs(copy));
        Assert.That(ds.GetSequence(DicomTags.ReferencedImageSequence)!.Items[0].Parent, Is.SameAs(ds));
    }

    [Test]
    public void Items_inherit_the_character_set_of_their_parent()
    {
        var item = new DicomDataset();
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192").AddOrUpdate(DicomTags.ReferencedImageSequence, item);
        Assert.That(item.Parent, Is.SameAs(ds));
        Assert.That(item.CharacterSet.Terms, Is.EqualTo(new[] { "ISO_IR 192" }));
        item.AddOrUpdate(DicomTags.PatientName, "Müller^Jörg");
        Assert.That(item.GetBytes(DicomTags.PatientName).ToArray(), Is.EqualTo("Müller^Jörg "u8.ToArray()));
        // Changing the parent's set reaches the items; an item's own set wins over the parent's (PS3.5 6.1.2.5).
        ds.AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 100");
        Assert.That(item.CharacterSet.Terms, Is.EqualTo(new[] { "ISO_IR 100" }));
        Assert.That(item.GetString(DicomTags.PatientName), Is.EqualTo("MÃ¼ller^JÃ¶rg"));
        item.AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        Assert.That(item.GetString(DicomTags.PatientName), Is.EqualTo("Müller^Jörg"));
        Assert.That(ds.CharacterSet.Terms, Is.EqualTo(new[] { "ISO_IR 100" }));
        ds.Remove(DicomTags.SpecificCharacterSet);
        Assert.That(ds.CharacterSet.IsDefault, Is.True);
    }

    [TestCase("charset/chrSQEncoding.dcm")]
    [TestCase("charset/chrSQEncoding1.dcm")]
    public void Items_read_from_a_file_inherit_the_character_set(string relative)
    {
        // An item uses its own (0008,0005) when it has one, else its parent's (PS3.5 6.1.2.5).
        var file = DicomFile.Open(Corpus.PathOf(relative));
        Assert.That(file.Dataset.CharacterSet.IsDefault, Is.False);
        var items = file.Dataset.OfType<DicomSequence>().SelectMany(s => s.Items).ToList();
        Assert.That(items, Is.Not.Empty);
        foreach (var item in items)
        {
            Assert.That(item.Parent, Is.SameAs(file.Dataset));
            var expected = item.Contains(DicomTags.SpecificCharacterSet) ? item.GetStrings(DicomTags.SpecificCharacterSet) : file.Dataset.CharacterSet.Terms;
            Assert.That(item.CharacterSet.Terms, Is.EqualTo(expected));
        }
    }

    [TestCase("20240229", 2024, 2, 29)]
    [TestCase("2024.02.29", 2024, 2, 29)]
    [TestCase("19000101", 1900, 1, 1)]
    public void Dates_parse(string text, int y, int m, int d)
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.PatientBirthDate, text);
        Assert.That(ds.GetDate(DicomTags.PatientBirthDate), Is.EqualTo(new DateOnly(y, m, d)));
    }

    [TestCase("20230229")]
    [TestCase("2024011")]
    [TestCase("20241301")]
    [TestCase("abcdefgh")]
    public void Invalid_dates_are_null(string text) => Assert.That(DicomDateTime.ParseDate(text), Is.Null);

    [TestCase("07", 7, 0, 0, 0)]
    [TestCase("0730", 7, 30, 0, 0)]
    [TestCase("073015", 7, 30, 15, 0)]
    [TestCase("073015.5", 7, 30, 15, 500_000)]
    [TestCase("073015.123456", 7, 30, 15, 123_456)]
    [TestCase("07:30:15", 7, 30, 15, 0)]
    [TestCase("235960", 23, 59, 59, 999_999)]
    public void Times_parse(string text, int h, int m, int s, int micro)
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.StudyTime, text);
        Assert.That(ds.GetTime(DicomTags.StudyTime), Is.EqualTo(new TimeOnly(h, m, s).Add(TimeSpan.FromTicks(micro * 10L))));
    }

    [TestCase("2460")]
    [TestCase("1")]
    [TestCase("0730.1234567")]
    [TestCase("073")]
    public void Invalid_times_are_null(string text) => Assert.That(DicomDateTime.ParseTime(text), Is.Null);

    [Test]
    public void Datetimes_parse_with_and_without_utc_offset()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.AcquisitionDateTime, "20240315123045.25+0530");
        Assert.That(ds.GetDateTime(DicomTags.AcquisitionDateTime), Is.EqualTo(new DateTimeOffset(2024, 3, 15, 12, 30, 45, 250, TimeSpan.FromMinutes(330))));
        Assert.That(DicomDateTime.ParseDateTime("20240315-0800", out var has), Is.EqualTo(new DateTimeOffset(2024, 3, 15, 0, 0, 0, TimeSpan.FromHours(-8))));
        Assert.That(has, Is.True);
        Assert.That(DicomDateTime.ParseDateTime("2024", out has), Is.EqualTo(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.That(has, Is.False);
        Assert.That(DicomDateTime.ParseDateTime("202403"), Is.EqualTo(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.That(DicomDateTime.ParseDateTime("2024031512"), Is.EqualTo(new DateTimeOffset(2024, 3, 15, 12, 0, 0, TimeSpan.Zero)));
        Assert.That(DicomDateTime.ParseDateTime("20240315+05"), Is.Null);
        Assert.That(DicomDateTime.ParseDateTime("20241315"), Is.Null);
    }

    [Test]
    public void Date_ranges()
    {
        var closed = DicomDateRange.Parse("20240101-20240131", VR.DA);
        Assert.That(closed.Start, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.That(closed.End!.Value.Date, Is.EqualTo(new DateTime(2024, 1, 31)));
        Assert.That(closed.End!.Value.TimeOfDay, Is.EqualTo(TimeOnly.MaxValue.ToTimeSpan()));
        var from = DicomDateRange.Parse("20240101-", VR.DA);
        Assert.That(from.Start, Is.Not.Null);
        Assert.That(from.End, Is.Null);
        var to = DicomDateRange.Parse("-20240101", VR.DA);
        Assert.That(to.Start, Is.Null);
        Assert.That(to.End!.Value.Date, Is.EqualTo(new DateTime(2024, 1, 1)));
        var single = DicomDateRange.Parse("20240101", VR.DA);
        Assert.That(single.Start!.Value.Date, Is.EqualTo(single.End!.Value.Date));
        Assert.That(DicomDateRange.Parse("", VR.DA).IsEmpty, Is.True);

        var tm = DicomDateRange.Parse("1030-11", VR.TM);
        Assert.That(tm.Start!.Value.TimeOfDay, Is.EqualTo(new TimeSpan(10, 30, 0)));
        Assert.That(tm.End!.Value.TimeOfDay, Is.EqualTo(new TimeOnly(11, 59, 59, 999, 999).ToTimeSpan()));

        var ds = new DicomDataset().AddOrUpdate(DicomTags.StudyDate, "20240101-");
        Assert.That(ds.GetDateRange(DicomTags.StudyDate).Start, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Datetime_ranges_with_utc_offsets()
    {
        // The '-' of a negative UTC offset is not the range separator.
        var r = DicomDateRange.Parse("20240101120000-0500-20240102120000-0500", VR.DT);
        Assert.That(r.Start, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.FromHours(-5))));
        Assert.That(r.End, Is.EqualTo(new DateTimeOffset(2024, 1, 2, 12, 0, 0, TimeSpan.FromHours(-5)).AddTicks(TimeSpan.TicksPerSecond - 10)), "an upper bound runs to the end of its last second");
        var open = DicomDateRange.Parse("20240101120000-0500-", VR.DT);
        Assert.That(open.Start, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.FromHours(-5))));
        Assert.That(open.End, Is.Null);
        var upTo = DicomDateRange.Parse("-20240101120000+0100", VR.DT);
        Assert.That(upTo.Start, Is.Null);
        Assert.That(upTo.End, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.FromHours(1)).AddTicks(TimeSpan.TicksPerSecond - 10)));
    }

    [Test]
    public void A_datetime_without_all_its_digits_spans_the_period_it_names()
    {
        var year = DicomDateRange.Parse("2024", VR.DT);
        Assert.That(year.Start, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.That(year.End, Is.EqualTo(new DateTimeOffset(2024, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(TimeSpan.TicksPerSecond - 10)));
        var day = DicomDateRange.Parse("20240101-20240102", VR.DT);
        Assert.That(day.End, Is.EqualTo(new DateTimeOffset(2024, 1, 2, 23, 59, 59, TimeSpan.Zero).AddTicks(TimeSpan.TicksPerSecond - 10)));
        var hour = DicomDateRange.Parse("2024010110+0100", VR.DT);
        Assert.That(hour.End, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 10, 59, 59, TimeSpan.FromHours(1)).AddTicks(TimeSpan.TicksPerSecond - 10)));
        var fraction = DicomDateRange.Parse("20240101103000.5", VR.DT);
        Assert.That(fraction.End, Is.EqualTo(fraction.Start), "a fraction is a point, as for TM");
        // A query's timezone is given to a bound without an offset of its own.
        var local = DicomDateRange.Parse("20240101120000-20240101130000+0000", VR.DT, TimeSpan.FromHours(-5));
        Assert.That(local.Start, Is.EqualTo(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.FromHours(-5))));
        Assert.That(local.End!.Value.Offset, Is.EqualTo(TimeSpan.Zero));
        Assert.That(DicomDateRange.Parse("9999", VR.DT).End, Is.EqualTo(DateTimeOffset.MaxValue));
    }

    [Test]
    public void Person_name_component_groups()
    {
        var pn = PersonName.Parse("Yamada^Tarou^^Dr.^Jr.=山田^太郎=やまだ^たろう");
        Assert.That(pn.FamilyName, Is.EqualTo("Yamada"));
        Assert.That(pn.GivenName, Is.EqualTo("Tarou"));
        Assert.That(pn.MiddleName, Is.Empty);
        Assert.That(pn.Prefix, Is.EqualTo("Dr."));
        Assert.That(pn.Suffix, Is.EqualTo("Jr."));
        Assert.That(pn.Ideographic, Is.EqualTo("山田^太郎"));
        Assert.That(pn.Phonetic, Is.EqualTo("やまだ^たろう"));
        Assert.That(PersonName.Components(pn.Ideographic), Is.EqualTo(new[] { "山田", "太郎", "", "", "" }));
        Assert.That(PersonName.Parse("Doe^John^^^").ToString(), Is.EqualTo("Doe^John"));
        Assert.That(PersonName.Parse("=山田^太郎").Alphabetic, Is.Empty);
        Assert.That(new PersonName("Doe", "", "").ToString(), Is.EqualTo("Doe"));
        Assert.That(new PersonName("", "", "ドウ").ToString(), Is.EqualTo("==ドウ"));

        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192")
            .AddOrUpdate(DicomTags.OtherPatientNames, "Doe^John", "Roe^Jane=ロウ");
        Assert.That(ds.GetPersonNames(DicomTags.OtherPatientNames).Select(p => p.FamilyName), Is.EqualTo(new[] { "Doe", "Roe" }));
        Assert.That(ds.GetPersonNames(DicomTags.OtherPatientNames)[1].Ideographic, Is.EqualTo("ロウ"));
        Assert.That(ds.GetPersonName(DicomTags.PatientName), Is.Null);
    }

    [Test]
    public void Attribute_tags()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SelectorATValue, VR.AT, "(0010,0010)", "7FE00010", "PatientID");
        var e = ds.Get(DicomTags.SelectorATValue)!;
        Assert.That(DicomDataset.GetTags(e), Is.EqualTo(new[] { DicomTags.PatientName, DicomTags.PixelData, DicomTags.PatientID }));
        // Group then element, each 16-bit little endian (PS3.5 6.2).
        Assert.That(e.Buffer.GetBytes().ToArray()[..4], Is.EqualTo(new byte[] { 0x10, 0x00, 0x10, 0x00 }));
        Assert.That(ds.GetStrings(DicomTags.SelectorATValue), Is.EqualTo(new[] { "00100010", "7FE00010", "00100020" }));
        Assert.That(ds.GetValueMultiplicity(e), Is.EqualTo(3));
    }

    [Test]
    public void Private_creator_reservation()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(new DicomTag(0x0029, 0x0010), VR.LO, "SIEMENS CSA HEADER");
        var a = ds.GetPrivateTag(0x0029, "ACME 1.0", 0x01);
        Assert.That(a, Is.EqualTo(new DicomTag(0x0029, 0x1101)), "first free slot after the existing one");
        Assert.That(ds.GetString(new DicomTag(0x0029, 0x0011)), Is.EqualTo("ACME 1.0"));
        var again = ds.GetPrivateTag(0x0029, "ACME 1.0", 0x20);
        Assert.That(again, Is.EqualTo(new DicomTag(0x0029, 0x1120)), "the same block is reused");
        Assert.That(ds.GetPrivateTag(0x0029, "SIEMENS CSA HEADER", 0x10), Is.EqualTo(new DicomTag(0x0029, 0x1010)));
        ds.AddOrUpdate(again, VR.LO, "value");
        Assert.That(ds.GetPrivateCreator(again), Is.EqualTo("ACME 1.0"));
        Assert.That(ds.GetPrivateCreator(DicomTags.PatientName), Is.Null);
        Assert.Throws<InvalidOperationException>(() => ds.GetPrivateTag(0x0029, "OTHER", 0x01, reserve: false));
        Assert.Throws<ArgumentException>(() => ds.GetPrivateTag(0x0028, "ACME 1.0", 0x01));
        Assert.That(ds.Count(e => e.Tag.IsPrivateCreator), Is.EqualTo(2));
    }

    [Test]
    public void Private_blocks_run_out_after_240_creators()
    {
        var ds = new DicomDataset();
        for (var i = 0; i < 240; i++) ds.GetPrivateTag(0x0011, $"CREATOR {i}", 0);
        Assert.That(ds.Get(new DicomTag(0x0011, 0x00FF)), Is.Not.Null);
        Assert.Throws<InvalidOperationException>(() => ds.GetPrivateTag(0x0011, "ONE TOO MANY", 0));
    }

    // ---- reading part of a file, lazily ----

    private const string Ct = "modality/CT/ct_image.dcm";

    [Test]
    public void Header_only_stops_before_pixel_data()
    {
        var full = DicomFile.Open(Corpus.PathOf(Ct));
        Assert.That(full.Dataset.Contains(DicomTags.PixelData), Is.True);
        Assert.That(full.StoppedEarly, Is.False);
        var header = DicomFile.Open(Corpus.PathOf(Ct), DicomReadOptions.HeaderOnly);
        Assert.That(header.StoppedEarly, Is.True);
        Assert.That(header.Dataset.Contains(DicomTags.PixelData), Is.False);
        Assert.That(header.Dataset.All(e => e.Tag < DicomTags.PixelData), Is.True);
        Assert.That(Tags(header.Dataset), Is.EqualTo(Tags(full.Dataset).Where(t => t < DicomTags.PixelData).ToArray()));
        Assert.That(header.Dataset.GetString(DicomTags.SOPInstanceUID), Is.EqualTo(full.Dataset.GetString(DicomTags.SOPInstanceUID)));
        using var stream = File.OpenRead(Corpus.PathOf(Ct));
        var fromStream = DicomFile.Read(stream, DicomReadOptions.HeaderOnly);
        Assert.That(fromStream.StoppedEarly, Is.True);
        Assert.That(fromStream.Dataset.Count, Is.EqualTo(header.Dataset.Count));
    }

    [Test]
    public void Stop_before_an_early_tag()
    {
        var file = DicomFile.Open(Corpus.PathOf(Ct), new DicomReadOptions { StopBeforeTag = DicomTags.PatientName });
        Assert.That(file.StoppedEarly, Is.True);
        Assert.That(file.Dataset.Max(e => e.Tag.Value), Is.LessThan(DicomTags.PatientName.Value));
        Assert.That(file.Meta.GetString(DicomTags.TransferSyntaxUID), Is.Not.Empty, "the meta is read in full");
    }

    private static IEnumerable<TestCaseData> BulkFiles()
    {
        yield return new TestCaseData(Ct).SetArgDisplayNames("CT little endian");
        yield return new TestCaseData("transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm").SetArgDisplayNames("MR big endian");
        yield return new TestCaseData("transfer-syntax/explicit-vr-be/rtdose_expb.dcm").SetArgDisplayNames("RT dose big endian");
        yield return new TestCaseData("transfer-syntax/jpeg2000/JPEG2000.dcm").SetArgDisplayNames("fragments");
    }

    [TestCaseSource(nameof(BulkFiles))]
    public void Large_values_stay_in_the_file_and_read_lazily_with_the_right_bytes(string relative)
    {
        var path = Corpus.PathOf(relative);
        var full = DicomFile.Open(path, new DicomReadOptions { LargeValueThreshold = long.MaxValue });
        var lazy = DicomFile.Open(path, new DicomReadOptions { LargeValueThreshold = 64 });
        var bulk = 0;
        Compare(full.Dataset, lazy.Dataset, ref bulk);
        Assert.That(bulk, Is.GreaterThan(0), "no value was left in the file");
        Assert.That(full.Dataset.Any(e => e.IsBulkData), Is.False);
        // From a stream nothing can be left behind: the stream may not outlive the call.
        using var stream = File.OpenRead(path);
        Assert.That(DicomFile.Read(stream, new DicomReadOptions { LargeValueThreshold = 64 }).Dataset.Any(e => e.IsBulkData), Is.False);
    }

    [Test]
    public void Many_small_fragments_do_not_all_load_into_memory()
    {
        // A cine of 3,000 frames of 1,000 bytes each: no fragment reaches the 64 KiB threshold on its own.
        var fragments = Enumerable.Range(0, 3000).Select(i => (DicomBuffer)new MemoryBuffer(Enumerable.Range(0, 1000).Select(j => (byte)(i + j)).ToArray())).ToList();
        var path = EncapsulatedFiles.WriteTemporary(fragments);
        try
        {
            var read = (DicomFragmentSequence)DicomFile.Open(path).Dataset.Get(DicomTags.PixelData)!;
            Assert.That(read.Fragments, Has.Count.EqualTo(3000));
            var inMemory = read.Fragments.Where(f => f is MemoryBuffer).Sum(f => f.Length);
            Assert.That(inMemory, Is.LessThanOrEqualTo(DicomReadOptions.Default.LargeValueThreshold));
            Assert.That(read.Fragments.Count(f => f is FileBuffer), Is.GreaterThan(2900));
            for (var i = 0; i < 3000; i += 299)
                Assert.That(read.Fragments[i].GetBytes().ToArray(), Is.EqualTo(fragments[i].GetBytes().ToArray()), $"fragment {i}");
            // Written back, fragment by fragment from the file.
            var copy = path + ".copy";
            DicomFile.Open(path).Save(copy);
            Assert.That(File.ReadAllBytes(copy), Is.EqualTo(File.ReadAllBytes(path)));
            File.Delete(copy);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Compare(DicomDataset full, DicomDataset lazy, ref int bulk)
    {
        Assert.That(Tags(lazy), Is.EqualTo(Tags(full)));
        for (var i = 0; i < full.Count; i++)
        {
            var (a, b) = (full[i], lazy[i]);
            switch (a)
            {
                case DicomSequence sa:
                    var sb = (DicomSequence)b;
                    Assert.That(sb.Items, Has.Count.EqualTo(sa.Items.Count));
                    for (var k = 0; k < sa.Items.Count; k++) Compare(sa.Items[k], sb.Items[k], ref bulk);
                    continue;
                case DicomFragmentSequence fa:
                    var fb = (DicomFragmentSequence)b;
                    Assert.That(fb.Fragments, Has.Count.EqualTo(fa.Fragments.Count));
                    for (var k = 0; k < fa.Fragments.Count; k++)
                    {
                        if (fb.Fragments[k] is FileBuffer) bulk++;
                        Assert.That(fb.Fragments[k].GetBytes().ToArray(), Is.EqualTo(fa.Fragments[k].GetBytes().ToArray()));
                    }
                    continue;
            }
            if (b.IsBulkData)
            {
                bulk++;
                Assert.That(b.Length, Is.GreaterThanOrEqualTo(64));
                using var s = b.Buffer.OpenRead();
                var streamed = new MemoryStream();
                s.CopyTo(streamed);
                Assert.That(streamed.ToArray(), Is.EqualTo(a.Buffer.GetBytes().ToArray()), $"{a.Tag} streamed from the file");
            }
            else Assert.That(b.Length, Is.LessThan(64).Or.EqualTo(0), $"{a.Tag} should have been left in the file");
            Assert.That(b.Buffer.GetBytes().ToArray(), Is.EqualTo(a.Buffer.GetBytes().ToArray()), $"{a.Tag}");
        }
    }

    [Test]
    public void Slices_and_concatenations_of_values_read_the_bytes_they_name()
    {
        // Slices of a big-endian file value stay in the file and are swapped as read; of one in memory, stay in memory.
        var be = DicomFile.Open(Corpus.PathOf("transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm"), new DicomReadOptions { LargeValueThreshold = 1024 });
        var pixels = be.Dataset.Get(DicomTags.PixelData)!.Buffer;
        var all = pixels.GetBytes().ToArray();
        var fromFile = pixels.Slice(100, 64);
        Assert.That(fromFile, Is.InstanceOf<FileBuffer>());
        Assert.That(fromFile.GetBytes().ToArray(), Is.EqualTo(all[100..164]));
        Assert.That(() => pixels.Slice(101, 64), Throws.ArgumentException, "a big-endian slice must hold whole units");
        Assert.That(() => pixels.Slice(all.Length - 10, 64), Throws.InstanceOf<ArgumentOutOfRangeException>());
        var memory = new MemoryBuffer(all);
        Assert.That(memory.Slice(10, 6), Is.InstanceOf<MemoryBuffer>());

        // A concatenation reads its parts in turn, by stream, by copy and loaded; a slice of it skips to its bytes.
        var parts = new ConcatenatedBuffer([fromFile, memory.Slice(0, 10), pixels.Slice(all.Length - 32, 32)]);
        var expected = all[100..164].Concat(all[..10]).Concat(all[^32..]).ToArray();
        Assert.That(parts.Length, Is.EqualTo(expected.Length));
        Assert.That(parts.GetBytes().ToArray(), Is.EqualTo(expected));
        using (var s = parts.OpenRead())
        {
            var streamed = new MemoryStream();
            s.CopyTo(streamed, 7);
            Assert.That(streamed.ToArray(), Is.EqualTo(expected));
        }
        var copied = new MemoryStream();
        parts.CopyTo(copied);
        Assert.That(copied.ToArray(), Is.EqualTo(expected));
        Assert.That(parts.Slice(60, 20).GetBytes().ToArray(), Is.EqualTo(expected[60..80]));
    }

    [Test]
    public void Big_endian_bulk_values_are_swapped_to_little_endian()
    {
        var be = DicomFile.Open(Corpus.PathOf("transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm"), new DicomReadOptions { LargeValueThreshold = 1024 });
        var le = DicomFile.Open(Corpus.PathOf("transfer-syntax/explicit-vr-le/MR_small.dcm"));
        Assert.That(be.TransferSyntax, Is.EqualTo(TransferSyntax.ExplicitVRBigEndian));
        var pixels = be.Dataset.Get(DicomTags.PixelData)!;
        Assert.That(pixels.IsBulkData, Is.True);
        Assert.That(((FileBuffer)pixels.Buffer).SwapUnit, Is.EqualTo(2));
        var expected = le.Dataset.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(pixels.Buffer.GetBytes().ToArray(), Is.EqualTo(expected), "the big-endian file's pixels read as the little-endian file's");
        Assert.That(be.Dataset.GetNumbers<short>(DicomTags.PixelData)[..16], Is.EqualTo(le.Dataset.GetNumbers<short>(DicomTags.PixelData)[..16]));
        Assert.That(be.Dataset.GetInts(DicomTags.Rows), Is.EqualTo(le.Dataset.GetInts(DicomTags.Rows)));
        // The raw file holds the other byte order.
        var raw = new byte[4];
        using (var f = File.OpenRead(Corpus.PathOf("transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm")))
        {
            f.Position = ((FileBuffer)pixels.Buffer).Offset;
            f.ReadExactly(raw);
        }
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(raw), Is.EqualTo(BinaryPrimitives.ReadUInt16LittleEndian(expected)));
    }
}
