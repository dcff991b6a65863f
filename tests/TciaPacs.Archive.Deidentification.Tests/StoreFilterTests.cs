using System.Text;
using NUnit.Framework;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;
using TciaPacs.Deidentification;
using TciaPacs.Deidentification.Phi;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Archive.Deidentification.Tests;

/// <summary>The two filters in a real archive (file store + SQLite catalog), the pseudonym map and the quarantine store.</summary>
public sealed class StoreFilterTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tciapacs-deid-filters-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("filter test secret 0123456789");

    private (DicomArchive Archive, SqlitePseudonymMap Map) Open(PhiScanMode scan, Func<DicomDataset, DeidentificationResult>? broken = null)
    {
        var data = Path.Combine(_dir, "data");
        var map = SqlitePseudonymMap.OpenDataDirectory(data);
        IInstanceDeidentifier deid = broken != null ? new Broken(broken) : new Deidentifier(new DeidentificationSettings { Collection = "c", Secret = Secret }, map);
        var policy = new CollectionPolicy(deid, scan);
        var journal = new DeidentificationJournal();
        IStoreFilter[] filters = [new DeidentificationFilter(_ => policy, journal), new PhiScanFilter(_ => policy, journal)];
        return (new DicomArchive(data, SqliteCatalog.OpenDataDirectory(data), filters: filters), map);
    }

    private sealed class Broken(Func<DicomDataset, DeidentificationResult> f) : IInstanceDeidentifier
    {
        public DeidentificationResult Deidentify(DicomDataset dataset) => f(dataset);
    }

    [Test]
    public async Task Stored_instances_are_deidentified_and_findings_quarantine()
    {
        var files = PhiLaden.WriteStudy(Path.Combine(_dir, "in"), 1, 1);
        files.AddRange(PhiLaden.WriteStudy(Path.Combine(_dir, "in-burned"), 2, 1, new PhiLaden.Options(BurnedIn: true)));
        var (archive, map) = Open(PhiScanMode.Quarantine);
        await using (archive)
        using (map)
        {
            var results = new List<StoreResult>();
            foreach (var f in files) results.Add(await archive.StoreAsync(StoreRequest.FromFile(f, "c")));
            Assert.That(results.Count(r => r.Status == StoreStatus.Warning), Is.EqualTo(5), "modified by the filter: stored with a coercion warning");
            Assert.That(results.Count(r => r.Status == StoreStatus.Quarantined), Is.EqualTo(3));
            Assert.That(results.Where(r => r.IsStored).All(r => r.SopInstanceUid!.StartsWith("2.25.", StringComparison.Ordinal)));
            foreach (var stored in Directory.EnumerateFiles(Path.Combine(_dir, "data", "files"), "*.dcm", SearchOption.AllDirectories))
            {
                var text = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(stored));
                foreach (var planted in PhiLaden.PlantedValues(1).Concat(PhiLaden.PlantedValues(2)))
                    Assert.That(text, Does.Not.Contain(planted));
            }
            // Quarantined: listed with findings, not in the catalog.
            var quarantined = new QuarantineStore(Path.Combine(_dir, "data")).List();
            Assert.That(quarantined, Has.Count.EqualTo(3));
            Assert.That(quarantined.All(q => q.Collection == "c" && q.Findings.Any(f => f.Contains("burned-in-annotation", StringComparison.Ordinal))));
            var instances = archive.Catalog.Query(new CatalogFilter(QueryLevel.Image), CancellationToken.None).Count();
            Assert.That(instances, Is.EqualTo(5));
        }
        // The map survives a restart: the same patient keeps its pseudonym.
        using var reopened = SqlitePseudonymMap.OpenDataDirectory(Path.Combine(_dir, "data"));
        var p = reopened.GetOrAddPatient("c", PhiLaden.PatientId(1), _ => throw new AssertionException("should be known"));
        Assert.That(p.PatientId, Is.EqualTo("C-0001"));
        Assert.That(reopened.FindOriginalUid("c", new KeyedHash(Secret).Uid($"{PhiLaden.StudyUidRoot}.1.1")), Is.EqualTo($"{PhiLaden.StudyUidRoot}.1.1"));
    }

    [Test]
    public async Task Elements_after_the_pixel_data_and_the_file_meta_do_not_escape_the_filters()
    {
        // Private groups above 7FE0 (Siemens keeps spectroscopy in 7FE1) and the Digital Signatures Sequence (FFFA,FFFA),
        // which the profile removes, follow the pixel data: a filter that saw only the header would let them through.
        var ds = PhiLaden.Image(1, 1, 0);
        ds.AddOrUpdate(new DicomTag(0x7FE1, 0x0010), VR.LO, "ACME TRAILER");
        ds.AddOrUpdate(new DicomTag(0x7FE1, 0x1001), VR.LO, $"{PhiLaden.FamilyName}^{PhiLaden.GivenName}");
        var signature = new DicomDataset();
        signature.AddOrUpdate(new DicomTag(0x0400, 0x0015), VR.CS, "RIPEMD160");
        signature.AddOrUpdate(new DicomTag(0x0400, 0x0115), VR.UI, "1.2.3.4");
        ds.Add(new DicomSequence(new DicomTag(0xFFFA, 0xFFFA), [signature]));
        var path = Path.Combine(_dir, "trailer.dcm");
        // The file meta can name the sending site too.
        var meta = new DicomDataset();
        meta.AddOrUpdate(DicomTags.SourceApplicationEntityTitle, VR.AE, "EVERGREEN_CT3");
        meta.AddOrUpdate(DicomTags.PrivateInformationCreatorUID, VR.UI, "1.2.3.99");
        meta.AddOrUpdate(DicomTags.PrivateInformation, VR.OB, Encoding.ASCII.GetBytes(PhiLaden.FamilyName + " "));
        new DicomFile(meta, ds, TransferSyntax.ExplicitVRLittleEndian).Save(path);
        Assert.That(DicomFile.Open(path).Meta.GetString(DicomTags.SourceApplicationEntityTitle), Is.EqualTo("EVERGREEN_CT3"), "the test file has it");

        var (archive, map) = Open(PhiScanMode.Quarantine);
        await using (archive)
        using (map)
        {
            var r = await archive.StoreAsync(StoreRequest.FromFile(path, "c"));
            Assert.That(r.Status, Is.EqualTo(StoreStatus.Warning), r.Reason);
            var storedFile = DicomFile.Open(Path.Combine(_dir, "data", "files", r.StoredPath!));
            Assert.That(storedFile.Meta.Contains(DicomTags.SourceApplicationEntityTitle), Is.False, "the sender's AE title in the file meta");
            Assert.That(storedFile.Meta.Contains(DicomTags.PrivateInformation), Is.False, "Private Information in the file meta");
            Assert.That(storedFile.Meta.GetString(DicomTags.MediaStorageSOPInstanceUID), Is.EqualTo(r.SopInstanceUid));
            var stored = storedFile.Dataset;
            Assert.That(stored.Contains(new DicomTag(0x7FE1, 0x1001)), Is.False, "private element after the pixel data");
            Assert.That(stored.Contains(new DicomTag(0xFFFA, 0xFFFA)), Is.False, "Digital Signatures Sequence (X in PS3.15 E.1-1)");
            Assert.That(stored.Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray(), Is.EqualTo(ds.Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray()));
            Assert.That(Encoding.Latin1.GetString(await File.ReadAllBytesAsync(Path.Combine(_dir, "data", "files", r.StoredPath!))), Does.Not.Contain(PhiLaden.FamilyName));
        }
    }

    [Test]
    public async Task Reject_mode_refuses_and_a_failing_deidentifier_never_stores_the_original()
    {
        var files = PhiLaden.WriteStudy(Path.Combine(_dir, "in"), 3, 1, new PhiLaden.Options(BurnedIn: true));
        var (archive, map) = Open(PhiScanMode.Reject);
        await using (archive)
        using (map)
        {
            var r = await archive.StoreAsync(StoreRequest.FromFile(files[0], "c"));
            Assert.That(r.Status, Is.EqualTo(StoreStatus.Failure));
            Assert.That(r.Reason, Does.Contain("rejected by phi-scan").And.Contain("burned-in-annotation"));
        }
        var (failing, map2) = Open(PhiScanMode.Off, _ => throw new InvalidOperationException("boom"));
        await using (failing)
        using (map2)
        {
            var r = await failing.StoreAsync(StoreRequest.FromFile(files[0], "c"));
            Assert.That(r.Status, Is.EqualTo(StoreStatus.Failure));
            Assert.That(r.Reason, Does.Contain("de-identification failed (InvalidOperationException)"));
            Assert.That(Directory.EnumerateFiles(Path.Combine(_dir, "data", "files"), "*.dcm", SearchOption.AllDirectories), Is.Empty);
        }
    }

    [Test]
    public void Log_mode_accepts_and_recovery_is_never_deidentified_twice()
    {
        var ds = PhiLaden.Image(1, 1, 0, new PhiLaden.Options(BurnedIn: true));
        var policy = new CollectionPolicy(new Deidentifier(new DeidentificationSettings { Secret = Secret }), PhiScanMode.Log);
        var journal = new DeidentificationJournal();
        var scan = new PhiScanFilter(_ => policy, journal);
        Assert.That(scan.Decide(new StoreContext(StoreRequest.FromFile("x"), ds, TransferSyntax.ExplicitVRLittleEndian)), Is.InstanceOf<FilterDecision.Accept>());
        var deid = new DeidentificationFilter(_ => policy, journal);
        var recovery = new StoreRequest { FilePath = "x", Door = StoreDoor.Recovery };
        Assert.That(deid.Decide(new StoreContext(recovery, ds, TransferSyntax.ExplicitVRLittleEndian)), Is.InstanceOf<FilterDecision.Accept>());
        var modified = deid.Decide(new StoreContext(StoreRequest.FromFile("x"), ds, TransferSyntax.ExplicitVRLittleEndian));
        Assert.That(modified, Is.InstanceOf<FilterDecision.Modify>());
        Assert.That(ds.GetString(DicomTags.PatientName), Is.EqualTo(PhiLaden.PatientName), "the context's data set is not changed");
        // The scanner knows the original's identifiers through the journal.
        var edited = ((FilterDecision.Modify)modified).Dataset;
        edited.AddOrUpdate(DicomTags.StudyComments, $"seen {PhiLaden.FamilyName}");
        var strict = new PhiScanFilter(_ => policy with { PhiScan = PhiScanMode.Quarantine, MinimumSeverity = PhiSeverity.High }, journal);
        var decision = strict.Decide(new StoreContext(StoreRequest.FromFile("x"), edited, TransferSyntax.ExplicitVRLittleEndian));
        Assert.That(decision, Is.InstanceOf<FilterDecision.Quarantine>());
        Assert.That(((FilterDecision.Quarantine)decision).Reason, Does.Contain("(0032,4000) residual-identifier High").And.Not.Contain(PhiLaden.FamilyName));
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Secrets_and_the_map_are_private_files()
    {
        var data = Path.Combine(_dir, "data");
        var a = PrivateFiles.CollectionSecret(data, "c");
        var b = PrivateFiles.CollectionSecret(data, "c");
        Assert.That(a, Is.EqualTo(b).And.Length.EqualTo(32));
        Assert.That(PrivateFiles.CollectionSecret(data, "other"), Is.Not.EqualTo(a));
        Assert.That(File.GetUnixFileMode(Path.Combine(data, "private", "secrets", "c.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        using var map = SqlitePseudonymMap.OpenDataDirectory(data);
        Assert.That(File.GetUnixFileMode(Path.Combine(data, "private", "pseudonyms.db")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }
}
