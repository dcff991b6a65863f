using System.Text;
using System.Text.Json;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

/// <summary>Store-time de-identification, the PHI scanner and quarantine through the real <c>tciapacs</c> process.</summary>
public sealed class DeidentificationCommandTests
{
    private static List<string> StoredFiles(string data) => Directory.EnumerateFiles(Path.Combine(data, "files"), "*.dcm", SearchOption.AllDirectories).ToList();

    [Test]
    public void Import_deidentifies_by_default_and_no_planted_value_reaches_a_stored_file()
    {
        var input = ArchiveTestData.TempFolder("deid-in");
        var data = ArchiveTestData.TempFolder("deid-data");
        try
        {
            PhiLaden.WriteStudy(Path.Combine(input, "a"), patient: 1, study: 1);
            PhiLaden.WriteStudy(Path.Combine(input, "b"), patient: 2, study: 1);
            var r = Tciapacs.Run("import", input, "--data", data);
            Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
            Assert.That(r.StdOut, Does.Contain("8 files: 8 stored, 0 duplicate, 0 quarantined, 0 rejected"));
            var stored = StoredFiles(data);
            Assert.That(stored, Has.Count.EqualTo(8));
            foreach (var file in stored)
            {
                var bytes = Encoding.Latin1.GetString(File.ReadAllBytes(file));
                foreach (var planted in PhiLaden.PlantedValues(1).Concat(PhiLaden.PlantedValues(2)))
                    Assert.That(bytes, Does.Not.Contain(planted), $"{file}: '{planted}'");
            }
            // The same patient sent again (another study) gets the same pseudonym.
            var again = ArchiveTestData.TempFolder("deid-again");
            PhiLaden.WriteStudy(again, patient: 1, study: 2);
            Assert.That(Tciapacs.Run("import", again, "--data", data).ExitCode, Is.Zero);
            var patients = Tciapacs.Run("query", "--data", data, "--level", "PATIENT", "PatientID=", "NumberOfPatientRelatedStudies=");
            Assert.That(patients.StdOut, Does.Contain("DEFAULT-0001").And.Contain("DEFAULT-0002"));
            Assert.That(patients.StdOut, Does.Not.Contain("DEFAULT-0003"));
            var studies = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "PatientID=DEFAULT-0001");
            Assert.That(studies.StdOut.Split('\n').Count(l => l.Contains("2.25.", StringComparison.Ordinal)), Is.EqualTo(2));
            // The original → pseudonym map: in DATA/private, readable by its owner only.
            var map = Path.Combine(data, "private", "pseudonyms.db");
            Assert.That(File.Exists(map));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(map), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
                Assert.That(File.GetUnixFileMode(Path.Combine(data, "private")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            }
            Directory.Delete(again, true);
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    private static int Instances(string studyJson) =>
        JsonDocument.Parse(studyJson).RootElement.EnumerateArray().Sum(s => s.GetProperty("00201208").GetProperty("Value")[0].GetInt32());

    [Test]
    public void Findings_quarantine_invisible_to_queries_then_release_and_delete()
    {
        var input = ArchiveTestData.TempFolder("q-in");
        var data = ArchiveTestData.TempFolder("q-data");
        try
        {
            PhiLaden.WriteStudy(input, patient: 3, study: 1, new PhiLaden.Options(BurnedIn: true));
            var r = Tciapacs.Run("import", input, "--data", data);
            Assert.That(r.StdOut, Does.Contain("4 files: 1 stored, 0 duplicate, 3 quarantined, 0 rejected"), r.StdOut);
            Assert.That(r.StdOut, Does.Contain("burned-in-annotation"));
            Assert.That(StoredFiles(data), Has.Count.EqualTo(1), "only the report is stored");
            var study = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "NumberOfStudyRelatedInstances=", "--json");
            Assert.That(Instances(study.StdOut), Is.EqualTo(1), "quarantined instances are not counted");

            if (!OperatingSystem.IsWindows())
                Assert.That(File.GetUnixFileMode(Path.Combine(data, "quarantine")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            var list = Tciapacs.Run("quarantine", "list", "--data", data);
            Assert.That(list.ExitCode, Is.Zero);
            Assert.That(list.StdOut, Does.Contain("3 quarantined").And.Contain("(0028,0301) burned-in-annotation High"));
            var ids = list.StdOut.Split('\n').Skip(1).Where(l => l.Length > 17 && l.Contains(" default ", StringComparison.Ordinal)).Select(l => l[..16]).ToList();
            Assert.That(ids, Has.Count.EqualTo(3));

            var show = Tciapacs.Run("quarantine", "show", ids[0], "--data", data);
            Assert.That(show.StdOut, Does.Contain("collection: default").And.Contain("burned-in-annotation"));
            Assert.That(show.StdOut, Does.Not.Contain(PhiLaden.FamilyName), "findings never quote values");

            var release = Tciapacs.Run("quarantine", "release", ids[0], "--data", data);
            Assert.That(release.ExitCode, Is.Zero, release.StdErr);
            Assert.That(release.StdOut, Does.Contain("released: " + ids[0] + " into default as 2.25."));
            Assert.That(StoredFiles(data), Has.Count.EqualTo(2));
            var released = DicomFile.Open(StoredFiles(data).Single(f => DicomFile.Open(f).Dataset.GetString(DicomTags.Modality) == "CT")).Dataset;
            Assert.That(released.GetString(DicomTags.PatientID), Is.EqualTo("DEFAULT-0001"), "released through the same de-identification");
            var after = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "NumberOfStudyRelatedInstances=", "--json");
            Assert.That(Instances(after.StdOut), Is.EqualTo(2));

            Assert.That(Tciapacs.Run("quarantine", "delete", ids[1], "--data", data).ExitCode, Is.Zero);
            Assert.That(Tciapacs.Run("quarantine", "list", "--data", data).StdOut, Does.Contain("1 quarantined"));
            Assert.That(Tciapacs.Run("quarantine", "show", "nonexistent", "--data", data).ExitCode, Is.EqualTo(1));
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    [Test]
    public void Per_collection_configuration_reject_and_as_sent()
    {
        var input = ArchiveTestData.TempFolder("cfg-in");
        var data = ArchiveTestData.TempFolder("cfg-data");
        try
        {
            PhiLaden.WriteStudy(input, patient: 4, study: 1, new PhiLaden.Options(BurnedIn: true));
            var config = Path.Combine(data, "config.json");
            File.WriteAllText(config, """
                { "Deidentification": { "Collections": {
                    "strict": { "PhiScan": "Reject", "Options": [ "RetainLongitudinalModifiedDates" ], "PatientIdPrefix": "STRICT" },
                    "raw": { "Profile": "None" } } } }
                """);
            var strict = Tciapacs.Run("import", input, "--data", data, "--config", config, "--collection", "strict");
            Assert.That(strict.ExitCode, Is.EqualTo(1));
            Assert.That(strict.StdOut, Does.Contain("1 stored, 0 duplicate, 0 quarantined, 3 rejected").And.Contain("rejected by phi-scan"));
            var raw = Tciapacs.Run("import", input, "--data", data, "--config", config, "--collection", "raw");
            Assert.That(raw.StdOut, Does.Contain("4 stored"));
            var q = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "PatientName=", "--collection", "raw");
            Assert.That(q.StdOut, Does.Contain(PhiLaden.PatientName));
            var s = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "PatientID=", "--collection", "strict");
            Assert.That(s.StdOut, Does.Contain("STRICT-0001"));
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    [Test]
    public void The_intake_sample_deidentifies_its_collection_and_leaves_the_default_as_sent()
    {
        var input = ArchiveTestData.TempFolder("intake-in");
        var data = ArchiveTestData.TempFolder("intake-data");
        try
        {
            PhiLaden.WriteStudy(input, patient: 7, study: 1);
            var config = Path.Combine(Corpus.RepositoryRoot, "samples", "tcia-intake.json");
            Assert.That(Tciapacs.Run("import", input, "--data", data, "--config", config, "--collection", "tcia-intake").StdOut, Does.Contain("4 stored"));
            Assert.That(Tciapacs.Run("import", input, "--data", data, "--config", config).StdOut, Does.Contain("4 stored"));
            var intake = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "PatientID=", "StudyDate=", "StudyDescription=", "--collection", "tcia-intake").StdOut;
            Assert.That(intake, Does.Contain("TCIA-INTAKE-0001").And.Contain("CT chest *"), "Clean Descriptors");
            Assert.That(intake, Does.Not.Contain("20200312"), "dates shifted");
            var raw = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "PatientID=", "--collection", "default").StdOut;
            Assert.That(raw, Does.Contain(PhiLaden.PatientId(7)));
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    [Test]
    public void Deidentify_a_folder_with_a_profile_or_a_ctp_script_then_scan_it()
    {
        var input = ArchiveTestData.TempFolder("site-in");
        var output = ArchiveTestData.TempFolder("site-out");
        var ctpOut = ArchiveTestData.TempFolder("site-ctp");
        try
        {
            PhiLaden.WriteStudy(Path.Combine(input, "sub"), patient: 5, study: 1);
            File.WriteAllText(Path.Combine(input, "notes.txt"), "not DICOM");
            var profile = Path.Combine(Corpus.RepositoryRoot, "samples", "deid", "profile.json");
            var r = Tciapacs.Run("deidentify", input, output, "--profile", profile, "--secret", "site secret 0123456789");
            Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
            Assert.That(r.StdOut, Does.Contain("5 files: 4 de-identified, 0 quarantined, 1 skipped, 0 failed"));
            var files = Directory.GetFiles(Path.Combine(output, "sub"));
            Assert.That(files, Has.Length.EqualTo(4));
            var first = DicomFile.Open(files.Order().First()).Dataset;
            Assert.That(first.GetString(DicomTags.PatientID), Is.EqualTo("SITE07-0001"));
            Assert.That(first.GetString(DicomTags.InstitutionName), Is.EqualTo("SITE 07"), "the profile's override");
            Assert.That(first.GetString(DicomTags.PatientSex), Is.EqualTo("M"), "Retain Patient Characteristics");
            foreach (var f in files)
                foreach (var planted in PhiLaden.PlantedValues(5))
                    Assert.That(Encoding.Latin1.GetString(File.ReadAllBytes(f)), Does.Not.Contain(planted));
            // The same secret gives the same output.
            var rerun = ArchiveTestData.TempFolder("site-rerun");
            Tciapacs.Run("deidentify", input, rerun, "--profile", profile, "--secret", "site secret 0123456789");
            foreach (var f in files)
                Assert.That(File.ReadAllBytes(Path.Combine(rerun, "sub", Path.GetFileName(f))), Is.EqualTo(File.ReadAllBytes(f)));
            Directory.Delete(rerun, true);

            // The clean output scans clean; the raw input does not.
            var clean = Tciapacs.Run("scan-phi", output, "--format", "json");
            Assert.That(clean.ExitCode, Is.Zero, clean.StdOut);
            var report = JsonDocument.Parse(clean.StdOut).RootElement;
            Assert.That(report.GetArrayLength(), Is.EqualTo(4));
            var raw = Tciapacs.Run("scan-phi", Path.Combine(input, "sub"));
            Assert.That(raw.ExitCode, Is.EqualTo(1));
            Assert.That(raw.StdOut, Does.StartWith("file,path,rule,severity,description"));
            Assert.That(raw.StdOut, Does.Contain(",(0008,1050),person-name,Medium,").And.Contain(",(0040,A730)[0].(0040,A160),name-in-text").Or.Contain("(0040,A730)[0].(0040,A160)"));

            // A CTP script: the script's own pseudonyms, quarantine by @if(...){@quarantine()}.
            var script = Path.Combine(Corpus.RepositoryRoot, "samples", "deid", "tcia-default.script.xml");
            var c = Tciapacs.Run("deidentify", input, ctpOut, "--ctp-script", script);
            Assert.That(c.ExitCode, Is.Zero, c.StdOut + c.StdErr);
            var ctp = DicomFile.Open(Directory.GetFiles(Path.Combine(ctpOut, "sub")).Order().First()).Dataset;
            Assert.That(ctp.GetString(DicomTags.PatientID), Does.Match("^SITE07-[0-9]{6}$"));
            Assert.That(ctp.GetString(DicomTags.SOPInstanceUID), Does.StartWith("1.3.6.1.4.1.14519.5.2.1.7."));
            Assert.That(ctp.GetString(DicomTags.PatientIdentityRemoved), Is.EqualTo("YES"));
            Assert.That(ctp.GetString(DicomTags.StudyDate), Is.EqualTo(new DateOnly(2020, 3, 12).AddDays(-1234).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)), "@incrementdate(this,@DATEINC)");
            var burned = ArchiveTestData.TempFolder("site-burned");
            PhiLaden.WriteStudy(burned, patient: 6, study: 1, new PhiLaden.Options(BurnedIn: true));
            var q = Tciapacs.Run("deidentify", burned, Path.Combine(ctpOut, "burned"), "--ctp-script", script);
            Assert.That(q.ExitCode, Is.EqualTo(1));
            Assert.That(q.StdOut, Does.Contain("3 quarantined"));
            Directory.Delete(burned, true);
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(output, true);
            Directory.Delete(ctpOut, true);
        }
    }
}
