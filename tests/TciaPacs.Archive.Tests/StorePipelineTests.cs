using TciaPacs.Archive.Query;
using TciaPacs.Archive.Storage;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

public sealed class StorePipelineTests : TempFolderTest
{
    private string Write(DicomDataset ds, string name, TransferSyntax? ts = null)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name);
        new DicomFile(new DicomDataset(), ds, ts ?? TransferSyntax.ExplicitVRLittleEndian).Save(path);
        return path;
    }

    [Test]
    public async Task Stores_then_identical_duplicate_is_a_no_op()
    {
        await using var t = new TestArchive();
        var path = Write(GeneratedData.Instance(1, 0, 0, 0, 0), "a.dcm");
        var first = await t.StoreAsync(path);
        Assert.That(first.Status, Is.EqualTo(StoreStatus.Success), first.Reason);
        Assert.That(first.SopInstanceUid, Is.EqualTo($"{GeneratedData.Root(1)}.0.0.0.0.4"));
        // The same data set in another transfer syntax is other bytes but the same file content check is on the data set
        // as stored: re-sending the very same file is the identical case.
        var again = await t.StoreAsync(path);
        Assert.That(again.Status, Is.EqualTo(StoreStatus.SuccessDuplicate), again.Reason);
        Assert.That(again.DimseStatus, Is.EqualTo(0x0000));
        Assert.That(t.FileCount, Is.EqualTo(1));
        Assert.That(t.Archive.Catalog.CountInstances(), Is.EqualTo(1));
    }

    private static string Inode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.That(stat.ExitCode, Is.Zero, $"stat {path}");
        return inode;
    }

    [Test]
    public async Task A_spooled_file_is_moved_into_the_store_not_copied()
    {
        await using var t = new TestArchive();
        var original = Write(GeneratedData.Instance(5, 0, 0, 0, 0), "spooled.dcm");
        var spool = Spool(t, original);
        var inode = Inode(spool);
        var result = await t.Archive.StoreAsync(StoreRequest.FromSpool(spool));
        Assert.That(result.Status, Is.EqualTo(StoreStatus.Success), result.Reason);
        Assert.That(File.Exists(spool), Is.False, "the spool was moved");
        var stored = t.Archive.Files.FullPath(result.StoredPath!);
        Assert.That(File.ReadAllBytes(stored), Is.EqualTo(File.ReadAllBytes(original)));
        Assert.That(Inode(stored), Is.EqualTo(inode), "the very file (same inode), not a copy");

        // The same content again through a spool: an identical duplicate, and the spool is gone too.
        File.Copy(original, spool);
        var again = await t.Archive.StoreAsync(StoreRequest.FromSpool(spool));
        Assert.That(again.Status, Is.EqualTo(StoreStatus.SuccessDuplicate), again.Reason);
        Assert.That(File.Exists(spool), Is.False);
        Assert.That(t.FileCount, Is.EqualTo(1));
        RecoveryTests.AssertAgree(t);
    }

    [Test]
    public async Task A_spool_hashed_by_its_writer_is_named_by_that_hash()
    {
        // DIMSE hashes each data set as it spools it (DataSetHashing): the store takes that hash instead of reading
        // the file again, and must end where it would have ended hashing the file itself.
        var original = Write(GeneratedData.Instance(6, 0, 0, 0, 0), "hashed.dcm");
        var hash = await ContentHash.OfFileAsync(original, ContentHashAlgorithm.XxHash128, CancellationToken.None);
        StoreResult Expected, Given;
        await using (var t = new TestArchive())
            Expected = await t.Archive.StoreAsync(StoreRequest.FromSpool(Spool(t, original)));
        await using (var t = new TestArchive())
        {
            Given = await t.Archive.StoreAsync(StoreRequest.FromSpool(Spool(t, original)) with { DataSetHash = hash });
            Assert.That(t.Archive.Catalog.FindInstance(Given.SopInstanceUid!)!.ContentHash, Is.EqualTo(hash));
            RecoveryTests.AssertAgree(t);
        }
        Assert.That(Given.Status, Is.EqualTo(StoreStatus.Success), Given.Reason);
        Assert.That(Given.StoredPath, Is.EqualTo(Expected.StoredPath));
        Assert.That(Given.Size, Is.EqualTo(Expected.Size));

        // Trusted, not checked: a hash given is the one recorded (what makes the spool's second read unnecessary).
        await using (var t = new TestArchive())
        {
            var other = new string('a', 32);
            var trusted = await t.Archive.StoreAsync(StoreRequest.FromSpool(Spool(t, original)) with { DataSetHash = other });
            Assert.That(t.Archive.Catalog.FindInstance(trusted.SopInstanceUid!)!.ContentHash, Is.EqualTo(other));
            Assert.That(trusted.StoredPath, Does.EndWith("-aaaaaaaa.dcm"));
        }
        // Not a hash in the store's form: ignored, the file is hashed as it would be without one.
        await using (var t = new TestArchive())
        {
            var malformed = await t.Archive.StoreAsync(StoreRequest.FromSpool(Spool(t, original)) with { DataSetHash = "xyz" });
            Assert.That(malformed.StoredPath, Is.EqualTo(Expected.StoredPath));
        }
    }

    [Test]
    public async Task A_store_resumes_on_the_catalog_writer_only_when_asked()
    {
        await using var t = new TestArchive();
        // A store whose commit is done before StoreAsync returns has nothing to resume: it goes on where it is (a loaded
        // machine can preempt the caller that long). So stores are asked until one resumes; a store that resumed must
        // have resumed on the writer, and at least one of 20 must resume.
        // ConfigureAwait(false): NUnit's synchronization context would otherwise move the test's own continuation.
        StoreResult asked = null!;
        string? askedThread = null;
        var stores = 0;
        while (stores < 20 && askedThread != "catalog-writer")
        {
            var storing = t.Archive.StoreAsync(StoreRequest.FromFile(Write(GeneratedData.Instance(7, 0, 0, 1, stores), $"a{stores}.dcm")) with { ResumeOnCatalogWriter = true });
            var resumes = !storing.IsCompleted;
            asked = await storing.ConfigureAwait(false);
            askedThread = Thread.CurrentThread.Name;
            stores++;
            Assert.That(asked.Status, Is.EqualTo(StoreStatus.Success), asked.Reason);
            if (resumes && askedThread != "catalog-writer") TestContext.Progress.WriteLine($"store {stores} completed between StoreAsync and its await");
        }
        Assert.That(askedThread, Is.EqualTo("catalog-writer"), $"none of {stores} stores resumed on the catalog writer");
        // Here, on the writer's own thread, closing the catalog is refused rather than left to wait for itself.
        Assert.Throws<InvalidOperationException>(() => t.Archive.Catalog.Dispose());
        var plain = await t.Archive.StoreAsync(StoreRequest.FromFile(Write(GeneratedData.Instance(7, 0, 0, 0, 1), "b.dcm"))).ConfigureAwait(false);
        var plainThread = Thread.CurrentThread.Name;
        Assert.That(plain.Status, Is.EqualTo(StoreStatus.Success), plain.Reason);
        Assert.That(plainThread, Is.Not.EqualTo("catalog-writer"));
        Assert.That(t.Archive.Catalog.CountInstances(), Is.EqualTo(stores + 1));
    }

    /// <summary>A copy of <paramref name="file"/> where DIMSE and STOW spool: under the data folder, on the file store's file system.</summary>
    private static string Spool(TestArchive t, string file)
    {
        var folder = Path.Combine(t.DataDirectory, "spool");
        Directory.CreateDirectory(folder);
        var spool = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".dcm");
        File.Copy(file, spool);
        return spool;
    }

    [Test]
    public async Task Same_data_set_with_another_file_meta_is_a_duplicate()
    {
        await using var t = new TestArchive();
        var ds = GeneratedData.Instance(1, 0, 0, 0, 0);
        Directory.CreateDirectory(Folder);
        var a = Path.Combine(Folder, "a.dcm");
        var b = Path.Combine(Folder, "b.dcm");
        var metaA = new DicomDataset();
        metaA.AddOrUpdate(DicomTags.SourceApplicationEntityTitle, "SENDER_A");
        var metaB = new DicomDataset();
        metaB.AddOrUpdate(DicomTags.SourceApplicationEntityTitle, "ANOTHER_SENDER");
        new DicomFile(metaA, ds, TransferSyntax.ExplicitVRLittleEndian).Save(a);
        new DicomFile(metaB, ds, TransferSyntax.ExplicitVRLittleEndian).Save(b);
        Assert.That(new FileInfo(a).Length, Is.Not.EqualTo(new FileInfo(b).Length));
        Assert.That((await t.StoreAsync(a)).Status, Is.EqualTo(StoreStatus.Success));
        Assert.That((await t.StoreAsync(b)).Status, Is.EqualTo(StoreStatus.SuccessDuplicate), "the content hash skips the File Meta Information (PS3.10 7.1)");
    }

    [Test]
    public async Task Same_uid_other_content_is_refused_and_nothing_changes()
    {
        await using var t = new TestArchive();
        var original = GeneratedData.Instance(1, 0, 0, 0, 0);
        var first = await t.StoreAsync(Write(original, "a.dcm"));
        var before = t.Archive.Catalog.FindInstance(first.SopInstanceUid!)!;
        var other = GeneratedData.Instance(1, 0, 0, 0, 0);
        other.AddOrUpdate(DicomTags.SeriesDescription, "changed");
        var second = await t.StoreAsync(Write(other, "b.dcm"));
        Assert.That(second.Status, Is.EqualTo(StoreStatus.Refused));
        Assert.That(second.DimseStatus, Is.EqualTo(0x0111));
        Assert.That(second.Reason, Does.Contain("other content"));
        Assert.That(t.Archive.Catalog.FindInstance(first.SopInstanceUid!), Is.EqualTo(before));
        Assert.That(t.FileCount, Is.EqualTo(1));
        var series = t.Archive.Query.Execute(new DicomQuery(QueryLevel.Series, [QueryKey.Create(DicomTags.SeriesDescription, VR.LO, "")]));
        Assert.That(series.Single().GetString(DicomTags.SeriesDescription), Is.EqualTo("CT series 1"));
    }

    [Test]
    public async Task Overwrite_policy_replaces_and_removes_the_old_file()
    {
        await using var t = new TestArchive(new StoreOptions { DuplicatePolicy = DuplicatePolicy.Overwrite });
        await t.StoreAsync(Write(GeneratedData.Instance(1, 0, 0, 0, 0), "a.dcm"));
        var other = GeneratedData.Instance(1, 0, 0, 0, 0);
        other.AddOrUpdate(DicomTags.InstanceNumber, "99");
        var second = await t.StoreAsync(Write(other, "b.dcm"));
        Assert.That(second.Status, Is.EqualTo(StoreStatus.Success), second.Reason);
        Assert.That(t.FileCount, Is.EqualTo(1));
        var found = t.Archive.Query.Execute(new DicomQuery(QueryLevel.Image, [QueryKey.Create(DicomTags.InstanceNumber, VR.IS, "99")]));
        Assert.That(found, Has.Count.EqualTo(1));
        var series = t.Archive.Query.Execute(new DicomQuery(QueryLevel.Series, [QueryKey.Create(DicomTags.NumberOfSeriesRelatedInstances, VR.IS, "")]));
        Assert.That(series.Single().GetString(DicomTags.NumberOfSeriesRelatedInstances), Is.EqualTo("1"));
    }

    [Test]
    public async Task Unparseable_file_fails_with_reason_and_leaves_nothing()
    {
        await using var t = new TestArchive();
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, "junk.dcm");
        var bytes = new byte[300];
        "DICM"u8.CopyTo(bytes.AsSpan(128));
        bytes[132] = 0x02; bytes[136] = (byte)'U'; bytes[137] = (byte)'L'; bytes[138] = 4; bytes[140] = 0xFF; bytes[141] = 0xFF; bytes[142] = 0xFF;
        File.WriteAllBytes(path, bytes);
        var result = await t.StoreAsync(path);
        Assert.That(result.Status, Is.EqualTo(StoreStatus.Failure));
        Assert.That(result.DimseStatus, Is.EqualTo(0xC000));
        Assert.That(result.Reason, Does.StartWith("cannot parse"));
        Assert.That(t.FileCount, Is.Zero);
        Assert.That(t.Archive.Catalog.CountInstances(), Is.Zero);
    }

    [TestCase("SOPInstanceUID", "", "SOP Instance UID (0008,0018) is missing")]
    [TestCase("StudyInstanceUID", "", "Study Instance UID (0020,000D) is missing")]
    [TestCase("SeriesInstanceUID", "1.2.03.4", "is not a valid UID")]
    [TestCase("SOPClassUID", "", "SOP Class UID (0008,0016) is missing")]
    public async Task Missing_or_invalid_uids_fail_with_reason(string keyword, string value, string reason)
    {
        await using var t = new TestArchive();
        var ds = GeneratedData.Instance(1, 0, 0, 0, 0);
        var tag = new DicomTag(DicomDictionary.FindByKeyword(keyword)!.Tag);
        if (value.Length == 0) ds.Remove(tag); else ds.AddOrUpdate(tag, value);
        var result = await t.StoreAsync(Write(ds, "bad.dcm"));
        Assert.That(result.Status, Is.EqualTo(StoreStatus.Failure));
        Assert.That(result.DimseStatus, Is.EqualTo(0xA900));
        Assert.That(result.Reason, Does.Contain(reason));
        Assert.That(t.FileCount, Is.Zero);
        Assert.That(t.Archive.Catalog.CountInstances(), Is.Zero);
    }

    [Test]
    public async Task Study_under_another_patient_or_series_under_another_study_is_refused()
    {
        await using var t = new TestArchive();
        Assert.That((await t.StoreAsync(Write(GeneratedData.Instance(1, 0, 0, 0, 0), "a.dcm"))).Status, Is.EqualTo(StoreStatus.Success));
        var otherPatient = GeneratedData.Instance(1, 0, 0, 0, 1);
        otherPatient.AddOrUpdate(DicomTags.PatientID, "SOMEONE-ELSE");
        var r1 = await t.StoreAsync(Write(otherPatient, "b.dcm"));
        Assert.That(r1.Status, Is.EqualTo(StoreStatus.Failure));
        Assert.That(r1.Reason, Does.Contain("another Patient ID"));
        var otherStudy = GeneratedData.Instance(1, 0, 0, 0, 2);
        otherStudy.AddOrUpdate(DicomTags.StudyInstanceUID, "1.2.3.4.5.6.7");
        var r2 = await t.StoreAsync(Write(otherStudy, "c.dcm"));
        Assert.That(r2.Status, Is.EqualTo(StoreStatus.Failure));
        Assert.That(r2.Reason, Does.Contain("another study"));
        var r3 = await t.StoreAsync(Write(GeneratedData.Instance(1, 0, 0, 0, 3), "d.dcm"), "another-collection");
        Assert.That(r3.Status, Is.EqualTo(StoreStatus.Failure));
        Assert.That(r3.Reason, Does.Contain("collection"));
        Assert.That(t.FileCount, Is.EqualTo(1));
        Assert.That(t.Archive.Catalog.CountInstances(), Is.EqualTo(1));
        // Refused in the catalog transaction, after their files were written: those files are gone again.
        RecoveryTests.AssertAgree(t);
    }

    [Test]
    public async Task Filters_run_in_order_with_closed_outcomes()
    {
        var filters = new IStoreFilter[] { new TestFilter("modify"), new TestFilter("quarantine"), new TestFilter("reject") };
        await using var t = new TestArchive(filters: filters);
        var ds = GeneratedData.Instance(1, 0, 0, 0, 0);
        var modified = await t.StoreAsync(Write(ds, "a.dcm"));
        Assert.That(modified.Status, Is.EqualTo(StoreStatus.Warning), modified.Reason);
        Assert.That(modified.DimseStatus, Is.EqualTo(0xB000));
        var stored = DicomFile.Open(t.Archive.Files.FullPath(modified.StoredPath!));
        Assert.That(stored.Dataset.GetString(DicomTags.StudyDescription), Is.EqualTo("edited"));
        Assert.That(stored.Dataset.Contains(DicomTags.PixelData), Is.True);

        ds.AddOrUpdate(DicomTags.SOPInstanceUID, "1.2.3.9.1");
        ds.AddOrUpdate(DicomTags.StudyID, "QUARANTINE");
        var q = await t.StoreAsync(Write(ds, "q.dcm"));
        Assert.That(q.Status, Is.EqualTo(StoreStatus.Quarantined));
        ds.AddOrUpdate(DicomTags.StudyID, "REJECT");
        var r = await t.StoreAsync(Write(ds, "r.dcm"));
        Assert.That(r.Status, Is.EqualTo(StoreStatus.Failure));
        Assert.That(r.Reason, Does.Contain("rejected by reject"));
        Assert.That(t.Archive.Catalog.CountInstances(), Is.EqualTo(1));
    }

    [Test]
    public async Task Stream_requests_are_spooled_and_stored()
    {
        await using var t = new TestArchive();
        var bytes = File.ReadAllBytes(Write(GeneratedData.Instance(1, 0, 0, 0, 0), "a.dcm"));
        var result = await t.Archive.StoreAsync(StoreRequest.FromStream(new MemoryStream(bytes)));
        Assert.That(result.Status, Is.EqualTo(StoreStatus.Success), result.Reason);
        Assert.That(Directory.EnumerateFiles(t.Archive.Files.Root, "*.part", SearchOption.AllDirectories), Is.Empty);
    }

    private sealed class TestFilter(string name) : IStoreFilter
    {
        public string Name => name;

        public FilterDecision Decide(StoreContext context)
        {
            var studyId = context.Dataset.GetString(DicomTags.StudyID);
            if (name == "modify" && studyId == "S0")
            {
                var copy = context.Dataset.Clone();
                copy.AddOrUpdate(DicomTags.StudyDescription, "edited");
                return new FilterDecision.Modify(copy, "description edited");
            }
            if (name == "quarantine" && studyId == "QUARANTINE") return new FilterDecision.Quarantine("looks suspicious");
            if (name == "reject" && studyId == "REJECT") return new FilterDecision.Reject("not wanted");
            return FilterDecision.AcceptInstance;
        }
    }
}
