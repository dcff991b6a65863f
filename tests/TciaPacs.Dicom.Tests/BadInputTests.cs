using System.Diagnostics;
using CsCheck;
using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;
using static TciaPacs.Dicom.Tests.HandBuiltDicom;

namespace TciaPacs.Dicom.Tests;

/// <summary>
/// Bad input gets a clear error: truncated files, lying lengths, broken delimiters, hostile nesting and random bytes end
/// in a <see cref="DicomParseException"/> (with an offset and a reason), in bounded time and memory, never in another
/// exception type. A truncation that happens to fall on a top-level element boundary is a valid, shorter data set: it
/// may read, but then only as a prefix of the whole file.
/// </summary>
[TestFixture]
public sealed class BadInputTests
{
    private string _temp = null!;

    [OneTimeSetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("tciapacs-badinput-").FullName;

    [OneTimeTearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private static DicomFile ReadNonSeekable(byte[] bytes) => DicomFile.Read(new HandBuiltDicom.NonSeekableStream(new MemoryStream(bytes, writable: false)));

    private static DicomFile ReadSeekable(byte[] bytes) => DicomFile.Read(new MemoryStream(bytes, writable: false));

    private string WriteTemp(byte[] bytes)
    {
        var path = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="read"/> on another thread and fails if it has not finished in <see cref="HangBound"/>: a hang fails, it does not stall the run.</summary>
    private static DicomFile Bounded(Func<DicomFile> read, string what)
    {
        var task = Task.Run(read);
        try
        {
            Assert.That(task.Wait(HangBound), Is.True, $"{what}: no result after {HangBound.TotalSeconds} s (hang?)");
        }
        catch (AggregateException ex) when (ex.InnerException != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
        }
        return task.Result;
    }

    /// <summary>Runs <paramref name="read"/>; returns the file, or null after a well-formed DicomParseException. Any other exception fails.</summary>
    private static DicomFile? ReadOrReject(Func<DicomFile> read, string what)
    {
        try
        {
            return Bounded(read, what);
        }
        catch (DicomParseException ex)
        {
            Assert.That(ex.Reason, Is.Not.Empty, $"{what}: exception without a reason");
            Assert.That(ex.Offset, Is.GreaterThanOrEqualTo(0), $"{what}: negative offset");
            return null;
        }
        catch (Exception ex) when (ex is not AssertionException)
        {
            Assert.Fail($"{what}: {ex.GetType().Name} instead of DicomParseException: {ex.Message}");
            return null;
        }
    }

    private static DicomParseException Rejects(Func<DicomFile> read, string what)
    {
        DicomParseException? caught = null;
        try
        {
            Bounded(read, what);
        }
        catch (DicomParseException ex)
        {
            caught = ex;
        }
        catch (Exception ex) when (ex is not AssertionException)
        {
            Assert.Fail($"{what}: {ex.GetType().Name} instead of DicomParseException: {ex.Message}");
        }
        Assert.That(caught, Is.Not.Null, $"{what}: read without error");
        Assert.That(caught!.Reason, Is.Not.Empty);
        Assert.That(caught.Offset, Is.GreaterThanOrEqualTo(0));
        return caught;
    }

    // A truncated file that reads must be the whole file's data set cut at an element boundary.
    private static void AssertPrefix(DicomFile full, DicomFile part, string what)
    {
        Assert.That(part.Dataset.Count, Is.LessThanOrEqualTo(full.Dataset.Count), what);
        Assert.That(part.Dataset.Count, Is.GreaterThan(0), $"{what}: read an empty data set from a truncated file");
        for (var i = 0; i < part.Dataset.Count; i++)
        {
            var a = part.Dataset[i];
            var b = full.Dataset[i];
            Assert.That(a.Tag, Is.EqualTo(b.Tag), $"{what}: element {i}");
            if (a is not DicomSequence && b is not DicomSequence)
                Assert.That(a.Buffer.GetBytes().ToArray(), Is.EqualTo(b.Buffer.GetBytes().ToArray()), $"{what}: value of {a.Tag}");
        }
    }

    private void TruncateAt(byte[] whole, DicomFile full, IEnumerable<int> offsets, string name)
    {
        foreach (var n in offsets)
        {
            var part = whole.AsSpan(0, n).ToArray();
            var what = $"{name} truncated to {n} bytes";
            var path = WriteTemp(part);
            var fromFile = ReadOrReject(() => DicomFile.Open(path), what + " (file)");
            var fromStream = ReadOrReject(() => ReadNonSeekable(part), what + " (non-seekable stream)");
            File.Delete(path);
            if ((fromFile == null) != (fromStream == null))
            {
                // Only a reader that knows the length may read a short sequence "to the end of the data" (as dcmtk does),
                // and it must say so.
                Assert.That(fromStream, Is.Null, $"{what}: the non-seekable reader accepted what the file reader rejected");
                Assert.That(fromFile!.Warnings, Has.Some.Contains("remain"), $"{what}: file and stream readers disagree without a warning");
            }
            if (fromFile != null) AssertPrefix(full, fromFile, what);
            if (fromStream != null) AssertPrefix(full, fromStream, what);
            // Within the preamble and the file meta there is no data set yet: that is never a valid file.
            if (n < 140) Assert.That(fromFile, Is.Null, $"{what}: read although the data set never started");
        }
    }

    /// <summary>PixelMed sends a value of odd length as it is and pads the last P-DATA fragment with a zero byte.</summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Zero_bytes_after_the_last_element_are_read_as_padding(int count)
    {
        var ms = HandBuiltDicom.Header();
        HandBuiltDicom.Element(ms, 0x0010, 0x0020, "LO", "ID1 "u8);
        HandBuiltDicom.Element(ms, 0x7FE0, 0x0010, "OB", new byte[] { 1, 2, 3 });
        ms.Write(new byte[count]);
        foreach (var file in new[] { ReadSeekable(ms.ToArray()), ReadNonSeekable(ms.ToArray()) })
        {
            Assert.That(file.Dataset.Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
            Assert.That(file.Warnings, Has.Some.Contain($"{count} zero byte(s) after the last element"));
        }
    }

    [TestCase(new byte[] { 8 })]
    [TestCase(new byte[] { 0, 8 })]
    [TestCase(new byte[] { 0, 0, 0x10 })]
    public void Other_bytes_after_the_last_element_are_a_cut_tag(byte[] tail)
    {
        var ms = HandBuiltDicom.Header();
        HandBuiltDicom.Element(ms, 0x0010, 0x0020, "LO", "ID1 "u8);
        ms.Write(tail);
        Assert.Throws<DicomParseException>(() => ReadSeekable(ms.ToArray()));
        Assert.Throws<DicomParseException>(() => ReadNonSeekable(ms.ToArray()));
    }

    [Test]
    [CancelAfter(120_000)]
    public void Every_truncation_of_a_small_file_is_rejected_or_a_prefix()
    {
        var path = Corpus.PathOf("charset/chrFren.dcm");
        var whole = File.ReadAllBytes(path);
        var full = DicomFile.Open(path);
        TruncateAt(whole, full, Enumerable.Range(0, whole.Length), "chrFren.dcm");
    }

    [TestCase("transfer-syntax/explicit-vr-le/MR_small.dcm")]
    [TestCase("transfer-syntax/implicit-vr-le/MR_small_implicit.dcm")]
    [TestCase("transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm")]
    [TestCase("modality/CT/ct_image.dcm")]
    [TestCase("modality/RT/rtplan.dcm")]
    [TestCase("transfer-syntax/jpeg2000/JPEG2000.dcm")]
    [TestCase("transfer-syntax/deflated/image_dfl.dcm")]
    [CancelAfter(120_000)]
    public void Truncations_of_larger_files_are_rejected_or_a_prefix(string relative)
    {
        var path = Corpus.PathOf(relative);
        var whole = File.ReadAllBytes(path);
        var full = DicomFile.Open(path);
        var offsets = Enumerable.Range(0, 200).Select(i => (int)((long)whole.Length * i / 200)).Distinct();
        // Deflated bytes cut short cannot be a prefix of anything: only require the clear error there.
        if (full.TransferSyntax.IsDeflated)
        {
            foreach (var n in offsets)
            {
                var part = whole.AsSpan(0, n).ToArray();
                ReadOrReject(() => ReadNonSeekable(part), $"{relative} truncated to {n}");
                ReadOrReject(() => ReadSeekable(part), $"{relative} truncated to {n}");
            }
            return;
        }
        TruncateAt(whole, full, offsets, relative);
    }

    [Test]
    public void Empty_input_is_rejected()
    {
        var path = WriteTemp([]);
        Assert.That(Rejects(() => DicomFile.Open(path), "empty file").Reason, Does.Contain("Empty"));
        Rejects(() => ReadNonSeekable([]), "empty stream");
    }

    [Test]
    public void Only_the_preamble_is_rejected()
    {
        var withPrefix = new byte[132];
        "DICM"u8.CopyTo(withPrefix.AsSpan(128));
        var path = WriteTemp(withPrefix);
        Rejects(() => DicomFile.Open(path), "preamble + DICM");
        Rejects(() => ReadNonSeekable(withPrefix), "preamble + DICM, non-seekable");
        var zeros = new byte[128];
        Rejects(() => DicomFile.Open(WriteTemp(zeros)), "128 zero bytes");
        Rejects(() => ReadNonSeekable(zeros), "128 zero bytes, non-seekable");
    }

    // ---- hand-built files ----

    // The reads run on a pool thread (see Bounded), so count the whole process's allocations, precisely.
    private static long AllocatedWhile(Action action)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        action();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    [TestCase(0xFFFFFFF0u)]
    [TestCase(0x7FFFFFFFu)]
    [TestCase(0x10000000u)]
    [CancelAfter(30_000)]
    public void A_huge_declared_length_on_a_short_stream_is_rejected_without_allocating_it(uint declared)
    {
        var ms = Header();
        Element(ms, 0x0010, 0x0010, "PN", "Doe^John"u8);
        Element(ms, 0x0009, 0x1010, "OB", new byte[64], declaredLength: declared);
        var bytes = ms.ToArray();
        var path = WriteTemp(bytes);
        const long limit = 16 * 1024 * 1024;

        var seekable = AllocatedWhile(() => Assert.That(Rejects(() => ReadSeekable(bytes), "seekable").Reason, Does.Contain("remain")));
        var file = AllocatedWhile(() => Rejects(() => DicomFile.Open(path), "file"));
        var nonSeekable = AllocatedWhile(() => Rejects(() => ReadNonSeekable(bytes), "non-seekable"));
        Assert.That(seekable, Is.LessThan(limit), "seekable stream allocated the declared length");
        Assert.That(file, Is.LessThan(limit), "file allocated the declared length");
        Assert.That(nonSeekable, Is.LessThan(limit), "non-seekable stream allocated the declared length");
    }

    [Test]
    public void Lengths_past_the_end_are_rejected_with_the_offset_of_the_value()
    {
        var ms = Header();
        Element(ms, 0x0010, 0x0010, "PN", "Doe^John"u8);
        var valueOffset = ms.Length + 8;
        Element(ms, 0x0010, 0x0020, "LO", "12"u8, declaredLength: 200);
        var bytes = ms.ToArray();
        var ex = Rejects(() => ReadSeekable(bytes), "short LO");
        Assert.That(ex.Offset, Is.EqualTo(valueOffset));
        Rejects(() => ReadNonSeekable(bytes), "short LO, non-seekable");
        Rejects(() => DicomFile.Open(WriteTemp(bytes)), "short LO, file");
    }

    private static IEnumerable<TestCaseData> BrokenSequences()
    {
        // Item of undefined length, no item delimiter, end of data.
        var a = Header();
        Element(a, 0x0008, 0x1140, "SQ", [], 0xFFFFFFFF);
        Raw(a, 0xFFFEE000, 0xFFFFFFFF);
        Element(a, 0x0008, 0x1150, "UI", "1.2\0"u8);
        yield return new TestCaseData(a.ToArray()).SetArgDisplayNames("item delimiter missing at end");
        // Item delimiter present, sequence delimiter missing.
        var b = Header();
        Element(b, 0x0008, 0x1140, "SQ", [], 0xFFFFFFFF);
        Raw(b, 0xFFFEE000, 0xFFFFFFFF);
        Element(b, 0x0008, 0x1150, "UI", "1.2\0"u8);
        Raw(b, 0xFFFEE00D, 0);
        yield return new TestCaseData(b.ToArray()).SetArgDisplayNames("sequence delimiter missing at end");
        // A data element where an item should be.
        var c = Header();
        Element(c, 0x0008, 0x1140, "SQ", [], 0xFFFFFFFF);
        Element(c, 0x0008, 0x1150, "UI", "1.2\0"u8);
        yield return new TestCaseData(c.ToArray()).SetArgDisplayNames("element instead of item");
        // Defined-length item overrun by its content.
        var d = Header();
        Element(d, 0x0008, 0x1140, "SQ", [], 0xFFFFFFFF);
        Raw(d, 0xFFFEE000, 6);
        Element(d, 0x0008, 0x1150, "UI", "1.2.3.4\0"u8);
        Raw(d, 0xFFFEE0DD, 0);
        yield return new TestCaseData(d.ToArray()).SetArgDisplayNames("item length too short");
        // An item of undefined length outside any sequence.
        var e = Header();
        Raw(e, 0xFFFEE000, 0xFFFFFFFF);
        yield return new TestCaseData(e.ToArray()).SetArgDisplayNames("stray undefined-length item");
        // Encapsulated pixel data without its sequence delimiter.
        var f = Header("1.2.840.10008.1.2.4.50");
        Element(f, 0x7FE0, 0x0010, "OB", [], 0xFFFFFFFF);
        Raw(f, 0xFFFEE000, 0);
        Raw(f, 0xFFFEE000, 4);
        f.Write([1, 2, 3, 4]);
        yield return new TestCaseData(f.ToArray()).SetArgDisplayNames("fragments without delimiter");
        // A fragment of undefined length.
        var g = Header("1.2.840.10008.1.2.4.50");
        Element(g, 0x7FE0, 0x0010, "OB", [], 0xFFFFFFFF);
        Raw(g, 0xFFFEE000, 0xFFFFFFFF);
        yield return new TestCaseData(g.ToArray()).SetArgDisplayNames("fragment of undefined length");
        // Undefined length on a VR that cannot have it.
        var h = Header();
        Element(h, 0x0010, 0x0010, "UT", [], 0xFFFFFFFF);
        yield return new TestCaseData(h.ToArray()).SetArgDisplayNames("undefined-length UT");
    }

    [TestCaseSource(nameof(BrokenSequences))]
    [CancelAfter(10_000)]
    public void Broken_sequence_delimiters_are_rejected(byte[] bytes)
    {
        Rejects(() => ReadSeekable(bytes), "seekable");
        Rejects(() => ReadNonSeekable(bytes), "non-seekable");
        Rejects(() => DicomFile.Open(WriteTemp(bytes)), "file");
    }

    [TestCase(5_000, true)]
    [TestCase(2_000, false)]
    [TestCase(200_000, true)]
    [CancelAfter(30_000)]
    public void Deep_nesting_is_rejected_by_depth_not_by_stack_overflow(int depth, bool undefinedLength)
    {
        var ms = Header();
        if (undefinedLength)
        {
            for (var i = 0; i < depth; i++)
            {
                Element(ms, 0x0008, 0x1140, "SQ", [], 0xFFFFFFFF);
                Raw(ms, 0xFFFEE000, 0xFFFFFFFF);
            }
            for (var i = 0; i < depth; i++)
            {
                Raw(ms, 0xFFFEE00D, 0);
                Raw(ms, 0xFFFEE0DD, 0);
            }
        }
        else
        {
            // Defined lengths, innermost first: each level wraps the previous one in an item and a sequence.
            var inner = Array.Empty<byte>();
            for (var i = 0; i < depth; i++)
            {
                var level = new MemoryStream();
                Element(level, 0x0008, 0x1140, "SQ", [], (uint)(inner.Length + 8));
                Raw(level, 0xFFFEE000, (uint)inner.Length);
                level.Write(inner);
                inner = level.ToArray();
            }
            ms.Write(inner);
        }
        var bytes = ms.ToArray();
        Assert.That(Rejects(() => ReadSeekable(bytes), "seekable").Reason, Does.Contain("deeper"));
        Assert.That(Rejects(() => ReadNonSeekable(bytes), "non-seekable").Reason, Does.Contain("deeper"));
        // Implicit VR: unknown private tags of undefined length are sequences too (CP-246 / PS3.5 7.5.1).
        var implicitVR = Header("1.2.840.10008.1.2");
        for (var i = 0; i < Math.Min(depth, 5_000); i++)
        {
            Raw(implicitVR, 0x00091010, 0xFFFFFFFF);
            Raw(implicitVR, 0xFFFEE000, 0xFFFFFFFF);
        }
        Assert.That(Rejects(() => ReadNonSeekable(implicitVR.ToArray()), "implicit").Reason, Does.Contain("deeper"));
    }

    [Test]
    public void Nesting_within_the_depth_limit_reads()
    {
        var ms = Header();
        const int depth = 20;
        for (var i = 0; i < depth; i++)
        {
            Element(ms, 0x0008, 0x1140, "SQ", [], 0xFFFFFFFF);
            Raw(ms, 0xFFFEE000, 0xFFFFFFFF);
        }
        for (var i = 0; i < depth; i++)
        {
            Raw(ms, 0xFFFEE00D, 0);
            Raw(ms, 0xFFFEE0DD, 0);
        }
        var file = ReadSeekable(ms.ToArray());
        var levels = 0;
        for (var ds = file.Dataset; ds.GetSequence(DicomTags.ReferencedImageSequence) is { Items.Count: 1 } sq; ds = sq.Items[0]) levels++;
        Assert.That(levels, Is.EqualTo(depth));
    }

    // ---- random bytes ----

    private static readonly TimeSpan PerInputBound = TimeSpan.FromSeconds(2);

    private static void ReadRandom(byte[] bytes)
    {
        foreach (var seekable in new[] { true, false })
        {
            var sw = Stopwatch.StartNew();
            ReadOrReject(() => seekable ? ReadSeekable(bytes) : ReadNonSeekable(bytes), $"{bytes.Length} random bytes ({(seekable ? "seekable" : "non-seekable")}): {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 400)))}");
            Assert.That(sw.Elapsed, Is.LessThan(PerInputBound), $"reading {bytes.Length} random bytes took {sw.Elapsed}");
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public void Random_bytes_give_only_DicomParseException() =>
        Gen.Byte.Array[0, 4000].Sample(ReadRandom, iter: 3000, threads: 1);

    private static readonly string[] Syntaxes =
        ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.50", "1.2.3.4.5"];

    [Test]
    [CancelAfter(120_000)]
    public void Random_bytes_after_a_valid_header_give_only_DicomParseException() =>
        Gen.Select(Gen.Int[0, Syntaxes.Length - 1], Gen.Byte.Array[0, 4000])
            .Sample((ts, body) =>
            {
                var ms = Header(Syntaxes[ts]);
                ms.Write(body);
                ReadRandom(ms.ToArray());
            }, iter: 3000, threads: 1);

    // Plausible elements with random tags, VRs and lengths reach deeper into the parser than uniform noise.
    private static readonly Gen<byte[]> PlausibleElement =
        Gen.Select(Gen.OneOfConst<ushort>(0x0002, 0x0008, 0x0009, 0x0010, 0x0028, 0x7FE0, 0xFFFE), Gen.UShort,
                Gen.OneOfConst("SQ", "OB", "UN", "UT", "PN", "US", "AT", "DS", "XX", "UI", "LO", "IS"),
                Gen.OneOfConst(0u, 2u, 7u, 0xFFFFFFFFu, 0xFFFFFFF0u, 0x10000u, 12u), Gen.Byte.Array[0, 24])
            .Select((g, e, vr, len, tail) =>
            {
                var m = new MemoryStream();
                if (g == 0xFFFE) Raw(m, 0xFFFE0000u | (uint)(e % 3 == 0 ? 0xE000 : e % 3 == 1 ? 0xE00D : 0xE0DD), len);
                else Element(m, g, e, vr, [], len);
                m.Write(tail);
                return m.ToArray();
            });

    [Test]
    [CancelAfter(120_000)]
    public void Random_element_soup_gives_only_DicomParseException() =>
        Gen.Select(Gen.Int[0, Syntaxes.Length - 1], PlausibleElement.Array[0, 30])
            .Sample((ts, parts) =>
            {
                var ms = Header(Syntaxes[ts]);
                foreach (var p in parts) ms.Write(p);
                ReadRandom(ms.ToArray());
            }, iter: 3000, threads: 1);

    [Test]
    public void Meta_with_a_non_numeric_group_length_is_rejected_or_read_not_thrown()
    {
        // (0002,0000) written as a text VR with garbage: the reader must not crash on parsing it as a number.
        var ms = new MemoryStream();
        ms.Write(new byte[128]);
        ms.Write("DICM"u8);
        Element(ms, 0x0002, 0x0000, "LO", "abcd"u8);
        Element(ms, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1\0"u8);
        Element(ms, 0x0010, 0x0010, "PN", "Doe^John"u8);
        var file = ReadOrReject(() => ReadSeekable(ms.ToArray()), "text group length");
        Assert.That(file?.Dataset.GetString(DicomTags.PatientName), Is.EqualTo("Doe^John"));
    }

    [Test]
    public void Corrupt_deflate_data_is_rejected()
    {
        var ms = Header("1.2.840.10008.1.2.1.99");
        ms.Write([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x12, 0x34, 0x56, 0x78]);
        Rejects(() => ReadSeekable(ms.ToArray()), "bad deflate");
        Rejects(() => ReadNonSeekable(ms.ToArray()), "bad deflate, non-seekable");
    }
}
