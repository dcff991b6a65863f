using System.Text.RegularExpressions;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.FrameExtraction;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// Tiles of a TILED_FULL slide or segmentation (PS3.3 C.7.6.17.3) by a frame-level retrieve: the new instance is
/// TILED_SPARSE, each tile carrying the place its position in the source's order gave it. Checked against values
/// worked out by hand from the standard's rule, against PixelMed's TiledFramesIndex (David Clunie's reading of the same
/// rule, for the source and for the new instance), and with dciodvfy.
/// </summary>
[TestFixture]
public sealed class TiledFullExtractionTests
{
    private static ExtractingEquipment Equipment => FrameExtractorTests.Equipment;
    private static DateTimeOffset Now => FrameExtractorTests.Now;

    private string _temp = null!;

    [OneTimeSetUp]
    public void MakeTemp() => _temp = Directory.CreateTempSubdirectory("tciapacs-tiled-").FullName;

    [OneTimeTearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    /// <summary>Extracts 1-based <paramref name="frames"/> and writes the new instance; returns its path.</summary>
    private string Extract(string relative, params uint[] frames)
    {
        var source = DicomFile.Open(Corpus.PathOf(relative));
        var n = FrameExtractor.CountFrames(source.Dataset, source.TransferSyntax);
        var range = FrameRange.Simple(frames);
        var path = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
        using var output = File.Create(path);
        FrameExtractor.Extract(source, range, range.Select(source.Dataset, n), DicomUids.Generate(), Equipment, Now).Save(output);
        return path;
    }

    private static DicomDataset PlanePosition(DicomDataset ds, int frame) =>
        ds.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)!.Items[frame].GetSequence(DicomTags.PlanePositionSlideSequence)!.Items[0];

    [Test]
    public void Tiles_of_a_slide_keep_their_place_on_it()
    {
        // sm_image.dcm: 5 × 5 tiles of 10 × 10 pixels, origin (23.449873, 25.691574) mm, rows along −Y and columns along
        // −X of the slide (Image Orientation (Slide) 0\-1\0\-1\0\0), pixels 0.000499 mm apart.
        var made = DicomFile.Open(Extract("modality/SM/sm_image.dcm", 1, 8, 24)).Dataset;
        Assert.That(made.GetString(DicomTags.DimensionOrganizationType), Is.EqualTo("TILED_SPARSE"));
        Assert.That(made.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)!.Items, Has.Count.EqualTo(3));
        // (column, row) of the tile's first pixel, and its X and Y offsets: frame 8 is the third tile of the second row,
        // frame 24 the fourth of the fifth; moving down a row lowers X, moving along it lowers Y.
        (long Column, long Row, double X, double Y)[] expected =
        [
            (1, 1, 23.449873, 25.691574),
            (21, 11, 23.449873 - 10 * 0.000499, 25.691574 - 20 * 0.000499),
            (31, 41, 23.449873 - 40 * 0.000499, 25.691574 - 30 * 0.000499),
        ];
        Assert.Multiple(() =>
        {
            for (var i = 0; i < expected.Length; i++)
            {
                var position = PlanePosition(made, i);
                Assert.That(position.GetInts(DicomTags.ColumnPositionInTotalImagePixelMatrix), Is.EqualTo(new[] { expected[i].Column }), $"frame {i + 1} column");
                Assert.That(position.GetInts(DicomTags.RowPositionInTotalImagePixelMatrix), Is.EqualTo(new[] { expected[i].Row }), $"frame {i + 1} row");
                Assert.That(position.GetDoubles(DicomTags.XOffsetInSlideCoordinateSystem)[0], Is.EqualTo(expected[i].X).Within(1e-9), $"frame {i + 1} X");
                Assert.That(position.GetDoubles(DicomTags.YOffsetInSlideCoordinateSystem)[0], Is.EqualTo(expected[i].Y).Within(1e-9), $"frame {i + 1} Y");
                Assert.That(position.GetDoubles(DicomTags.ZOffsetInSlideCoordinateSystem), Is.EqualTo(new[] { 0.0 }), $"frame {i + 1} Z");
            }
            // One optical path: named once, in the shared groups.
            var shared = made.GetSequence(DicomTags.SharedFunctionalGroupsSequence)!.Items[0];
            Assert.That(shared.GetSequence(DicomTags.OpticalPathIdentificationSequence)?.Items[0].GetString(DicomTags.OpticalPathIdentifier), Is.EqualTo("1"));
            // Row and column index of the source's dimensions, as ranked over all its 25 tiles.
            var indexes = Enumerable.Range(0, 3).Select(i => made.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)!.Items[i]
                .GetSequence(DicomTags.FrameContentSequence)!.Items[0].GetInts(DicomTags.DimensionIndexValues)).ToList();
            Assert.That(indexes, Is.EqualTo(new[] { new long[] { 1, 1 }, [2, 3], [5, 4] }), "Dimension Index Values (row, column)");
        });
    }

    [Test]
    public void Tiles_of_a_segmentation_name_their_segment()
    {
        // 5 × 5 tiles for each of 50 segments: frame 1,250 is the last tile of segment 50, frame 27 the second of segment 2.
        var made = DicomFile.Open(Extract("modality/SEG/seg_image_sm_dots_tiled_full.dcm", 27, 1250)).Dataset;
        var items = made.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)!.Items;
        Assert.Multiple(() =>
        {
            Assert.That(items.Select(i => i.GetSequence(DicomTags.SegmentIdentificationSequence)!.Items[0].GetInts(DicomTags.ReferencedSegmentNumber)[0]), Is.EqualTo(new long[] { 2, 50 }));
            Assert.That(PlanePosition(made, 0).GetInts(DicomTags.ColumnPositionInTotalImagePixelMatrix), Is.EqualTo(new long[] { 11 }));
            Assert.That(PlanePosition(made, 0).GetInts(DicomTags.RowPositionInTotalImagePixelMatrix), Is.EqualTo(new long[] { 1 }));
            Assert.That(PlanePosition(made, 1).GetInts(DicomTags.ColumnPositionInTotalImagePixelMatrix), Is.EqualTo(new long[] { 41 }));
            // Segment, row, column, X, Y and Z: X runs down the rows and Y along them, both decreasing, so their ranks
            // are counted from the last row or column (ranks order values from the lowest).
            var values = items.Select(i => i.GetSequence(DicomTags.FrameContentSequence)!.Items[0].GetInts(DicomTags.DimensionIndexValues)).ToList();
            Assert.That(values[0], Is.EqualTo(new long[] { 2, 1, 2, 5, 4, 1 }));
            Assert.That(values[1], Is.EqualTo(new long[] { 50, 5, 5, 1, 1, 1 }));
        });
    }

    [Test]
    public void A_slide_that_does_not_say_where_its_tiles_lie_is_refused()
    {
        // fo-dicom's multiframe.dcm: TILED_FULL, but without Total Pixel Matrix Origin, Image Orientation (Slide) or Pixel Spacing.
        var source = DicomFile.Open(Corpus.PathOf("encapsulated/multiframe.dcm"));
        Assert.That(() => FrameExtractor.CountFrames(source.Dataset, source.TransferSyntax),
            Throws.InstanceOf<FrameExtractionException>()
                .With.Property(nameof(FrameExtractionException.Failure)).EqualTo(FrameExtractionFailure.CannotExtract)
                .And.Message.Contains("Total Pixel Matrix Origin Sequence"));
    }

    [Test]
    public void Frames_that_are_not_the_tiles_TILED_FULL_implies_are_refused()
    {
        var source = DicomFile.Open(Corpus.PathOf("modality/SM/sm_image.dcm"));
        var ds = source.Dataset.Clone();
        ds.AddOrUpdate(DicomTags.TotalPixelMatrixColumns, VR.UL, 60u); // 6 × 5 tiles for 25 frames
        Assert.That(() => FrameExtractor.CountFrames(ds, source.TransferSyntax),
            Throws.InstanceOf<FrameExtractionException>().With.Message.Contains("6 × 5 tiles"));
    }

    [Test]
    public void A_later_part_of_a_concatenation_counts_its_frames_from_the_concatenation_s_first()
    {
        // sm_image.dcm's frames 11 to 25 as the second instance of a Concatenation (PS3.3 C.7.6.16.2.2.4): its frame 1 is
        // the Concatenation's frame 11, the first tile of the third row; its frame 7 the second tile of the fourth.
        var source = DicomFile.Open(Corpus.PathOf("modality/SM/sm_image.dcm"));
        var ds = source.Dataset.Clone();
        const int frameSize = 10 * 10 * 3;
        var pixels = ds.Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray();
        ds.AddOrUpdate(DicomTags.PixelData, VR.OB, pixels[(10 * frameSize)..(25 * frameSize)]);
        ds.AddOrUpdate(DicomTags.NumberOfFrames, VR.IS, "15");
        ds.AddOrUpdate(DicomTags.ConcatenationUID, VR.UI, "1.2.826.0.1.3680043.10.548.8");
        ds.AddOrUpdate(DicomTags.ConcatenationFrameOffsetNumber, VR.UL, 10u);
        var part = new DicomFile(DicomWriter.BuildMeta(source.Meta, ds, source.TransferSyntax), ds, source.TransferSyntax);
        var range = FrameRange.Simple(1, 7);
        var made = FrameExtractor.Extract(part, range, range.Select(ds, 15), DicomUids.Generate(), Equipment, Now).Dataset;
        Assert.That(PlanePosition(made, 0).GetInts(DicomTags.RowPositionInTotalImagePixelMatrix), Is.EqualTo(new long[] { 21 }));
        Assert.That(PlanePosition(made, 0).GetInts(DicomTags.ColumnPositionInTotalImagePixelMatrix), Is.EqualTo(new long[] { 1 }));
        Assert.That(PlanePosition(made, 1).GetInts(DicomTags.RowPositionInTotalImagePixelMatrix), Is.EqualTo(new long[] { 31 }));
        Assert.That(PlanePosition(made, 1).GetInts(DicomTags.ColumnPositionInTotalImagePixelMatrix), Is.EqualTo(new long[] { 11 }));
        Assert.That(made.Contains(DicomTags.ConcatenationUID), Is.False, "the new instance is no part of the Concatenation");
    }

    [Test]
    public void A_part_of_a_concatenation_whose_grid_is_absurd_is_refused_not_enumerated()
    {
        var source = DicomFile.Open(Corpus.PathOf("modality/SM/sm_image.dcm"));
        var ds = source.Dataset.Clone();
        ds.AddOrUpdate(DicomTags.ConcatenationUID, VR.UI, "1.2.826.0.1.3680043.10.548.7");
        ds.AddOrUpdate(DicomTags.ConcatenationFrameOffsetNumber, VR.UL, 0u);
        ds.AddOrUpdate(DicomTags.TotalPixelMatrixColumns, VR.UL, 4_000_000_000u);
        ds.AddOrUpdate(DicomTags.TotalPixelMatrixRows, VR.UL, 4_000_000_000u);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.That(() => FrameExtractor.CountFrames(ds, source.TransferSyntax),
            Throws.InstanceOf<FrameExtractionException>().With.Message.Contains("more than the"));
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
    }

    public static IEnumerable<TestCaseData> TiledFullFiles() =>
    [
        new TestCaseData("modality/SM/sm_image.dcm", new uint[] { 2, 9, 13, 24 }).SetName("PixelMed places native slide tiles as the source placed them"),
        new TestCaseData("encapsulated/sm_image_jpegls.dcm", new uint[] { 1, 5, 21 }).SetName("PixelMed places JPEG-LS slide tiles as the source placed them"),
        // PixelMed indexes the tiles of a segmentation's first segment only (one frame per tile).
        new TestCaseData("modality/SEG/seg_image_sm_dots_tiled_full.dcm", new uint[] { 3, 8, 25 }).SetName("PixelMed places segmentation tiles as the source placed them"),
    ];

    /// <summary>
    /// PixelMed's TiledFramesIndex reads the tile of each frame from a TILED_FULL order or from TILED_SPARSE plane
    /// positions: frame k of the new instance must be where frame frames[k] of the source is. dciodvfy finds no error
    /// in the new instance that the source has not.
    /// </summary>
    [TestCaseSource(nameof(TiledFullFiles))]
    public void Tiles_are_where_an_independent_reader_finds_them(string relative, uint[] frames)
    {
        var made = Extract(relative, frames);
        var sourceTiles = PixelMedTiles(Corpus.PathOf(relative));
        var madeTiles = PixelMedTiles(made);
        Assert.That(madeTiles.Keys.Order(), Is.EqualTo(Enumerable.Range(1, frames.Length)), "PixelMed finds every frame of the new instance on a tile");
        for (var k = 0; k < frames.Length; k++)
            Assert.That(madeTiles[k + 1], Is.EqualTo(sourceTiles[(int)frames[k]]), $"frame {k + 1} of the new instance is on the tile of the source's frame {frames[k]}");

        var before = Dciodvfy(Corpus.PathOf(relative));
        // dciodvfy expects a slide's Number of Frames to fill the Total Pixel Matrix even when TILED_SPARSE, which
        // PS3.3 C.7.6.17.3 lets leave tiles out (any sparse slide gets this error from it): that one error is expected.
        var after = Dciodvfy(made).Where(e => !e.Contains("NumberOfFrames does not match expected value for tiled total pixel matrix", StringComparison.Ordinal));
        Assert.That(after.Except(before), Is.Empty, "dciodvfy errors of the new instance the source has not");
    }

    /// <summary>Frame number → (row, column) of its tile, as PixelMed's TiledFramesIndex prints them.</summary>
    private static Dictionary<int, (int Row, int Column)> PixelMedTiles(string path)
    {
        var java = ExternalTool.Require("java");
        var r = ExternalTool.Run(java, ["-cp", "/usr/share/java/pixelmed.jar", "com.pixelmed.dicom.TiledFramesIndex", path]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var tiles = new Dictionary<int, (int, int)>();
        foreach (Match m in Regex.Matches(r.StdOut + r.StdErr, @"tile\[(\d+),(\d+)\] = frame (\d+)"))
            if (m.Groups[3].Value != "0") // the tiles of a sparse image that no frame covers
                tiles[int.Parse(m.Groups[3].Value)] = (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
        Assert.That(tiles, Is.Not.Empty, "PixelMed printed no tile: " + r.StdOut + r.StdErr);
        return tiles;
    }

    private static HashSet<string> Dciodvfy(string path)
    {
        var r = ExternalTool.Run(ExternalTool.Require("dciodvfy"), [path]);
        return (r.StdErr + r.StdOut).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l.Trim(), @"value(s)? ?= ?<[^>]*>|\b[0-9]+(\.[0-9]+){2,}\b|\[[^\]]*\]", "…")).ToHashSet();
    }
}
