using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Tests;

/// <summary>
/// Read → write → read gives the same data set for every corpus file, in every native transfer syntax it can be
/// converted to (encapsulated files: their own syntax); dcmdump accepts what we wrote and dciodvfy finds no error in it
/// that it did not find in the input.
/// </summary>
[TestFixture]
public sealed class RoundTripTests
{
    private string _temp = null!;

    private Dictionary<(string File, string Path), string> _known = null!;

    [OneTimeSetUp]
    public void CreateTemp()
    {
        _temp = Directory.CreateTempSubdirectory("tciapacs-roundtrip-").FullName;
        _known = KnownDifferences.Load();
    }

    [OneTimeTearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var entry in Corpus.Entries.Where(e => e.DcmtkParses))
        {
            var file = DicomFile.Open(entry.FullPath, DicomReadOptions.HeaderOnly);
            var targets = file.TransferSyntax.IsEncapsulated ? [file.TransferSyntax] : TransferSyntax.Uncompressed;
            foreach (var ts in targets)
                yield return new TestCaseData(entry.Path, ts.Uid).SetArgDisplayNames(entry.Path, ts.Name);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Round_trips_and_stays_valid(string relative, string tsUid)
    {
        var ts = TransferSyntax.Lookup(tsUid);
        var source = Corpus.PathOf(relative);
        var original = DicomFile.Open(source);
        var output = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
        original.Save(output, ts);

        var reread = DicomFile.Open(output);
        Assert.That(reread.TransferSyntax.Uid, Is.EqualTo(ts.Uid));
        // Odd-length values come back padded to even length (PS3.5 7.1.1); implicit VR keeps no VR, so an element the
        // dictionary does not know comes back as UN, and one it knows comes back with the dictionary's VR: their bytes must agree.
        var diffs = CanonicalTree.Compare(CanonicalTree.FromDataset(reread.Dataset, padOdd: true), CanonicalTree.FromDataset(original.Dataset, padOdd: true),
            vrMayDiffer: !ts.IsExplicitVR);
        Assert.That(diffs, Is.Empty, $"{relative} as {ts.Name} reads back differently");

        var dump = ExternalTool.Run(ExternalTool.Require("dcmdump"), ["-q", output]);
        Assert.That(dump.ExitCode, Is.Zero, $"dcmdump rejects what we wrote: {dump.StdErr}");

        var before = Errors(source);
        var after = Errors(output);
        var added = after.Except(before).Where(l => !_known.ContainsKey((relative, "dciodvfy " + l))).ToList();
        if (ts.IsDeflated && original.Meta.GetString(DicomTags.MediaStorageSOPClassUID) == DicomUids.MediaStorageDirectoryStorage.Value)
        {
            // dcmconv, which inflates deflated files for dciodvfy, gives a DICOMDIR a new meta of its own.
            added.RemoveAll(l => l.Contains("Media Storage Directory", StringComparison.Ordinal) || l.Contains("Information Object Not found", StringComparison.Ordinal));
        }
        if (!original.Dataset.Contains(DicomTags.SOPInstanceUID) || !original.Dataset.Contains(DicomTags.SOPClassUID))
        {
            // A data set without SOP UIDs (files without meta) cannot get a valid file meta: the meta UIDs are Type 1.
            added.RemoveAll(l => l.Contains("but missing SOP", StringComparison.Ordinal) || l.Contains("Element=<MediaStorageSOP", StringComparison.Ordinal));
        }
        Assert.That(added, Is.Empty, $"dciodvfy finds errors in our {ts.Name} output that the input did not have");
        File.Delete(output);
    }

    private HashSet<string> Errors(string path)
    {
        // dciodvfy cannot read deflated data sets: validate dcmtk's inflated copy (which also proves dcmtk reads ours).
        if (DicomFile.Open(path, DicomReadOptions.HeaderOnly with { StopBeforeTag = new DicomTag(0x0008, 0x0000) }).TransferSyntax.IsDeflated)
        {
            var inflated = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".inflated.dcm");
            var conv = ExternalTool.Run(ExternalTool.Require("dcmconv"), ["+te", path, inflated]);
            Assert.That(conv.ExitCode, Is.Zero, $"dcmconv cannot inflate {path}: {conv.StdErr}");
            path = inflated;
        }
        var r = ExternalTool.Run(ExternalTool.Require("dciodvfy"), [path]);
        return (r.StdErr + r.StdOut).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal))
            // Offsets of DICOMDIR records legitimately change when the file is re-encoded.
            .Select(l => l.Trim()).ToHashSet();
    }
}
