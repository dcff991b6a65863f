using NUnit.Framework;
using TciaPacs.Dicom.Codecs.FrameExtraction;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// Frame-level retrieve (PS3.4 Annex Y): the Frame Range Keys read as Y.3.2 says, and a new instance made from every
/// multi-frame file of the corpus holding the first, a middle and the last frame, whose pixels pydicom decodes to the
/// source's frames (as pydicom decodes them) wherever it decodes the source.
/// </summary>
[TestFixture]
public sealed class FrameExtractorTests
{
    internal static readonly ExtractingEquipment Equipment = new("TciaPacs", "TEST", "TESTAE");
    internal static readonly DateTimeOffset Now = new(2026, 12, 7, 16, 0, 0, TimeSpan.FromHours(1));

    private string _temp = null!;
    private readonly Dictionary<string, Extracted> _extracted = [];
    private Dictionary<string, (byte[]? Pixels, string? Error)> _pydicom = null!;

    private sealed record Extracted(string Result, int[] Frames, int SourceFrames, string Uid);

    [OneTimeSetUp]
    public void ExtractFromTheCorpus()
    {
        _temp = Directory.CreateTempSubdirectory("tciapacs-frames-").FullName;
        foreach (var entry in Corpus.Entries)
        {
            DicomFile source;
            int n;
            try
            {
                source = DicomFile.Open(entry.FullPath);
                n = FrameExtractor.CountFrames(source.Dataset, source.TransferSyntax);
            }
            catch (Exception ex) when (ex is DicomParseException or FrameExtractionException) { continue; }
            if (n < 2) continue;
            int[] frames = n == 2 ? [1] : [0, n / 2, n - 1];
            var uid = DicomUids.Generate();
            var range = FrameRange.Simple(frames.Select(f => (uint)(f + 1)).ToArray());
            var result = Path.Combine(_temp, _extracted.Count + ".dcm");
            try
            {
                using var output = File.Create(result);
                FrameExtractor.Extract(source, range, range.Select(source.Dataset, n), uid, Equipment, Now).Save(output);
            }
            catch (FrameExtractionException) { continue; } // such files are checked by Every_corpus_file_gives_frames_or_says_why
            _extracted[entry.Path] = new Extracted(result, frames, n, uid);
        }
        _pydicom = PydicomPixels.Decode(_extracted.Keys.Select(Corpus.PathOf).Concat(_extracted.Values.Select(e => e.Result)), _temp);
    }

    [OneTimeTearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    [Test]
    public void The_corpus_has_multi_frame_images_of_many_kinds()
    {
        Assert.That(_extracted, Has.Count.GreaterThanOrEqualTo(25));
        var syntaxes = _extracted.Keys.Select(p => DicomFile.Open(Corpus.PathOf(p)).TransferSyntax.Uid).Distinct().ToList();
        Assert.That(syntaxes, Has.Count.GreaterThanOrEqualTo(6), string.Join(", ", syntaxes));
    }

    [TestCaseSource(typeof(Corpus), nameof(Corpus.AllFiles))]
    public void Every_corpus_file_gives_frames_or_says_why(string relative)
    {
        DicomFile source;
        try { source = DicomFile.Open(Corpus.PathOf(relative)); }
        catch (DicomParseException) { Assert.Pass("not readable: the parser's own tests cover it"); return; }
        int n;
        try { n = FrameExtractor.CountFrames(source.Dataset, source.TransferSyntax); }
        catch (FrameExtractionException ex)
        {
            var ds = source.Dataset;
            var expected = !ds.Contains(DicomTags.PixelData) && !ds.Contains(DicomTags.FloatPixelData) && !ds.Contains(DicomTags.DoubleFloatPixelData)
                ? ds.Contains(DicomTags.PixelDataProviderURL) ? FrameExtractionFailure.CannotExtract : FrameExtractionFailure.NotMultiFrame
                : !ds.Contains(DicomTags.NumberOfFrames) ? FrameExtractionFailure.NotMultiFrame
                : FrameExtractionFailure.CannotExtract;
            Assert.That(ex.Failure, Is.EqualTo(expected), ex.Message);
            return;
        }
        if (!_extracted.TryGetValue(relative, out var done))
        {
            // Only frames that cannot be cut where Number of Frames says (pixel data shorter or fragments fewer) are refused.
            var range = FrameRange.Simple(1);
            Assert.That(() => FrameExtractor.Extract(source, range, [0], DicomUids.Generate(), Equipment, Now),
                n == 1 ? Throws.Nothing : Throws.InstanceOf<FrameExtractionException>().With.Property(nameof(FrameExtractionException.Failure)).EqualTo(FrameExtractionFailure.CannotExtract));
            return;
        }

        var result = DicomFile.Open(done.Result);
        var r = result.Dataset;
        var s = source.Dataset;
        Assert.Multiple(() =>
        {
            Assert.That(r.GetString(DicomTags.SOPInstanceUID), Is.EqualTo(done.Uid), "new SOP Instance UID");
            Assert.That(result.Meta.GetString(DicomTags.MediaStorageSOPInstanceUID), Is.EqualTo(done.Uid), "file meta follows");
            Assert.That(result.TransferSyntax.Uid, Is.EqualTo(source.TransferSyntax.Uid), "the stored transfer syntax: frames are not decoded");
            foreach (var same in new[] { DicomTags.SOPClassUID, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.PatientID, DicomTags.Rows, DicomTags.Columns })
                Assert.That(r.GetString(same), Is.EqualTo(s.GetString(same)), same.ToString());
            Assert.That(PixelDataInfo.ReadNumberOfFrames(r), Is.EqualTo(done.Frames.Length), "Number of Frames");
            var extraction = r.GetSequence(DicomTags.FrameExtractionSequence)!.Items[^1];
            Assert.That(extraction.GetString(DicomTags.MultiFrameSourceSOPInstanceUID), Is.EqualTo(s.GetString(DicomTags.SOPInstanceUID)));
            Assert.That(extraction.GetInts(DicomTags.SimpleFrameList), Is.EqualTo(done.Frames.Select(f => (long)f + 1)));
            var equipment = r.GetSequence(DicomTags.ContributingEquipmentSequence)!.Items[^1];
            Assert.That(equipment.GetSequence(DicomTags.PurposeOfReferenceCodeSequence)!.Items[0].GetString(DicomTags.CodeValue), Is.EqualTo("109105"));
            Assert.That(r.Any(e => e.Tag.IsPrivate), Is.False, "private attributes are not copied (PS3.17 MM.7)");
            if (s.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence) is { } perFrame)
            {
                var kept = r.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)!.Items;
                Assert.That(kept, Has.Count.EqualTo(done.Frames.Length), "one functional group item per frame");
                for (var i = 0; i < kept.Count; i++)
                    Assert.That(Serialized(kept[i]), Is.EqualTo(Serialized(perFrame.Items[done.Frames[i]])), $"the item of frame {done.Frames[i] + 1}");
            }
        });

        var (theirs, error) = _pydicom[Corpus.PathOf(relative)];
        if (error != null)
        {
            // pydicom (2.3 without pylibjpeg) decodes no JPEG: the frames are then compared as stored.
            Assert.That(result.Dataset.Get(DicomTags.PixelData), Is.InstanceOf<DicomFragmentSequence>(), $"pydicom could not decode the native source: {error}");
            var before = EncapsulatedFrames.FromDataset(s);
            var after = EncapsulatedFrames.FromDataset(r);
            Assert.That(after.Count, Is.EqualTo(done.Frames.Length));
            for (var i = 0; i < done.Frames.Length; i++)
                Assert.That(after.GetFrame(i).ToArray(), Is.EqualTo(before.GetFrame(done.Frames[i]).ToArray()), $"frame {done.Frames[i] + 1} as stored");
            return;
        }
        var (mine, myError) = _pydicom[done.Result];
        Assert.That(myError, Is.Null, "pydicom decodes the source but not the extracted instance");
        var frameSize = theirs!.Length / done.SourceFrames;
        var expectedPixels = done.Frames.SelectMany(f => theirs.Skip(f * frameSize).Take(frameSize)).ToArray();
        Assert.That(mine!.Length, Is.EqualTo(expectedPixels.Length), "decoded length");
        Assert.That(RleCorpusTests.FirstDifference(mine, expectedPixels), Is.EqualTo(-1), "first differing byte of the frames pydicom decodes");
    }

    private static byte[] Serialized(DicomDataset item)
    {
        using var stream = new MemoryStream();
        DicomWriter.WriteDataset(stream, item, TransferSyntax.ExplicitVRLittleEndian);
        return stream.ToArray();
    }

    [Test]
    public void A_calculated_list_is_read_as_the_standard_example_reads_it()
    {
        // PS3.4 Y.3.2.1.2: 2,9,3 then 12,FFFFFFFF,5 of 25 frames are frames 2, 5, 8, 12, 17, 22.
        var range = FrameRange.Calculated(2, 9, 3, 12, FrameRange.ToTheEnd, 5);
        Assert.That(range.Select(new DicomDataset(), 25).Select(f => f + 1), Is.EqualTo(new[] { 2, 5, 8, 12, 17, 22 }));
        // A sub-range that starts past the last frame is ignored.
        Assert.That(FrameRange.Calculated(1, 3, 1, 30, 40, 1).Select(new DicomDataset(), 25).Select(f => f + 1), Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [TestCase(new uint[] { 3, 2 }, TestName = "A simple list that decreases is invalid")]
    [TestCase(new uint[] { 2, 2 }, TestName = "A simple list that repeats a frame is invalid")]
    [TestCase(new uint[] { 0 }, TestName = "Frame 0 is invalid")]
    public void Invalid_simple_lists(uint[] frames) =>
        Assert.That(() => FrameRange.Simple(frames), Throws.InstanceOf<FrameExtractionException>().With.Property("Failure").EqualTo(FrameExtractionFailure.InvalidRequest));

    [TestCase(new uint[] { 1, 2 }, TestName = "A calculated list holds triplets")]
    [TestCase(new uint[] { 5, 2, 1 }, TestName = "A sub-range that ends before it starts is invalid")]
    [TestCase(new uint[] { 1, 5, 0 }, TestName = "An increment of 0 is invalid")]
    [TestCase(new uint[] { 1, 10, 4, 9, 12, 1 }, TestName = "Sub-ranges that overlap are invalid")]
    public void Invalid_calculated_lists(uint[] values) =>
        Assert.That(() => FrameRange.Calculated(values), Throws.InstanceOf<FrameExtractionException>().With.Property("Failure").EqualTo(FrameExtractionFailure.InvalidRequest));

    [Test]
    public void Sub_ranges_meet_where_the_frames_before_end_not_where_their_limit_is()
    {
        // 1,10,4 gives 1, 5, 9: a next sub-range may start at 10.
        Assert.That(FrameRange.Calculated(1, 10, 4, 10, 11, 1).Select(new DicomDataset(), 20).Select(f => f + 1), Is.EqualTo(new[] { 1, 5, 9, 10, 11 }));
        // Only the last sub-range may run past the last frame.
        Assert.That(() => FrameRange.Calculated(1, 30, 1, 40, 50, 1).Select(new DicomDataset(), 25), Throws.InstanceOf<FrameExtractionException>());
    }

    [Test]
    public void Frames_the_instance_lacks_are_not_found_or_invalid()
    {
        Assert.That(() => FrameRange.Simple(11, 12).Select(new DicomDataset(), 10),
            Throws.InstanceOf<FrameExtractionException>().With.Property("Failure").EqualTo(FrameExtractionFailure.NoFramesFound));
        Assert.That(() => FrameRange.Simple(9, 11).Select(new DicomDataset(), 10),
            Throws.InstanceOf<FrameExtractionException>().With.Property("Failure").EqualTo(FrameExtractionFailure.InvalidRequest));
        Assert.That(() => FrameRange.Time(0, 1).Select(new DicomDataset(), 10),
            Throws.InstanceOf<FrameExtractionException>().With.Property("Failure").EqualTo(FrameExtractionFailure.NotTimeBased));
    }

    [Test]
    public void Values_that_are_no_numbers_are_an_invalid_request_or_count_as_absent()
    {
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.SimpleFrameList, VR.IS, "2", "x");
        Assert.That(() => FrameRange.FromIdentifier(identifier),
            Throws.InstanceOf<FrameExtractionException>().With.Property("Failure").EqualTo(FrameExtractionFailure.InvalidRequest));

        // A stored Frame Time that is no number gives the frames no times, and does not stop a frame list.
        var source = DicomFile.Open(Corpus.PathOf("modality/MR/explicit_little_16frames.dcm"));
        source.Dataset.AddOrUpdate(DicomTags.FrameTime, VR.DS, "abc");
        Assert.That(() => FrameRange.Time(0, 1).Select(source.Dataset, 16),
            Throws.InstanceOf<FrameExtractionException>().With.Property("Failure").EqualTo(FrameExtractionFailure.NotTimeBased));
        var range = FrameRange.Simple(1, 3);
        var made = FrameExtractor.Extract(source, range, range.Select(source.Dataset, 16), DicomUids.Generate(), Equipment, Now).Dataset;
        Assert.That(PixelDataInfo.ReadNumberOfFrames(made), Is.EqualTo(2));
    }

    [Test]
    public void A_time_range_selects_by_frame_time_and_moves_the_frame_delay()
    {
        // explicit_little_16frames.dcm: Frame Time 69.47 ms. 0.1 s to 0.3 s holds frames 3 (138.94 ms) to 5 (277.88 ms).
        var source = DicomFile.Open(Corpus.PathOf("modality/MR/explicit_little_16frames.dcm"));
        var range = FrameRange.Time(0.1, 0.3);
        var frames = range.Select(source.Dataset, 16);
        Assert.That(frames.Select(f => f + 1), Is.EqualTo(new[] { 3, 4, 5 }));
        var made = FrameExtractor.Extract(source, range, frames, DicomUids.Generate(), Equipment, Now).Dataset;
        Assert.That(made.GetDouble(DicomTags.FrameTime), Is.EqualTo(69.47).Within(1e-9), "an even step keeps Frame Time");
        Assert.That(made.GetDouble(DicomTags.FrameDelay), Is.EqualTo(138.94).Within(1e-9), "the first frame kept starts 138.94 ms after Content Time");
        Assert.That(made.GetSequence(DicomTags.FrameExtractionSequence)!.Items[0].GetDoubles(DicomTags.TimeRange), Is.EqualTo(new[] { 0.1, 0.3 }));

        // An uneven selection needs a Frame Time Vector, which the Frame Increment Pointer then names.
        var uneven = FrameRange.Simple(1, 2, 4);
        var unevenMade = FrameExtractor.Extract(source, uneven, uneven.Select(source.Dataset, 16), DicomUids.Generate(), Equipment, Now).Dataset;
        Assert.That(unevenMade.Contains(DicomTags.FrameTime), Is.False);
        Assert.That(unevenMade.GetDoubles(DicomTags.FrameTimeVector), Is.EqualTo(new[] { 0, 69.47, 138.94 }).Within(1e-9));
        Assert.That(DicomDataset.GetTags(unevenMade.Get(DicomTags.FrameIncrementPointer)!), Is.EqualTo(new[] { DicomTags.FrameTimeVector }));
    }

    [Test]
    public void An_RT_dose_grid_stays_relative_to_a_moved_position()
    {
        var source = DicomFile.Open(Corpus.PathOf("modality/RT/rtdose.dcm"));
        var offsets = source.Dataset.GetDoubles(DicomTags.GridFrameOffsetVector);
        var position = source.Dataset.GetDoubles(DicomTags.ImagePositionPatient);
        Assert.That(offsets[0], Is.Zero, "the corpus file's grid is relative");
        var range = FrameRange.Simple(3, 4, 5);
        var made = FrameExtractor.Extract(source, range, range.Select(source.Dataset, offsets.Length), DicomUids.Generate(), Equipment, Now).Dataset;
        Assert.That(made.GetDoubles(DicomTags.GridFrameOffsetVector), Is.EqualTo(new[] { 0, offsets[3] - offsets[2], offsets[4] - offsets[2] }).Within(1e-6));
        // Axial dose grid (orientation 1\0\0\0\1\0): the normal is +z.
        Assert.That(made.GetDoubles(DicomTags.ImagePositionPatient), Is.EqualTo(new[] { position[0], position[1], position[2] + offsets[2] }).Within(1e-6));
    }
}
