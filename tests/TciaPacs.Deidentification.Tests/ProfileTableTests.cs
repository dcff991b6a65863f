using NUnit.Framework;
using TciaPacs.Deidentification.Profile;
using TciaPacs.Dicom;

namespace TciaPacs.Deidentification.Tests;

public sealed class ProfileTableTests
{
    [Test]
    public void The_generated_table_has_every_row_of_E_1_1_and_its_edition()
    {
        Assert.That(ConfidentialityProfile.Edition, Is.EqualTo("2024b"));
        Assert.That(ConfidentialityProfile.RowCount, Is.EqualTo(620));
        Assert.That(ConfidentialityProfile.Rows, Has.Count.EqualTo(620));
        // The table in the repository is what the generator makes of the standard's table today.
        var tsv = Path.Combine(TciaPacs.Testing.Corpus.RepositoryRoot, "..", "shared", "dicom-standard", "ps3.15-E.1-1-confidentiality-profile.tsv");
        var lines = File.ReadAllLines(tsv).Skip(1).Where(l => l.Length > 0 && !l.Split('	')[0].Contains('X') && !l.StartsWith("(GGGG", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(617));
        foreach (var line in lines)
        {
            var c = line.Split('\t');
            var row = ConfidentialityProfile.Find(DicomTag.Parse(c[0]));
            Assert.That(row, Is.Not.Null, c[0]);
            Assert.That(row!.Basic.Code(), Is.EqualTo(c[4]), c[0]);
        }
    }

    [TestCase("PatientName", ProfileOption.None, ProfileAction.Zero)]
    [TestCase("PatientID", ProfileOption.None, ProfileAction.ZeroOrDummy)]
    [TestCase("StudyDate", ProfileOption.None, ProfileAction.Zero)]
    [TestCase("StudyDate", ProfileOption.RetainLongitudinalFullDates, ProfileAction.Keep)]
    [TestCase("StudyDate", ProfileOption.RetainLongitudinalModifiedDates, ProfileAction.Clean)]
    [TestCase("SOPInstanceUID", ProfileOption.None, ProfileAction.ReplaceUid)]
    [TestCase("SOPInstanceUID", ProfileOption.RetainUids, ProfileAction.Keep)]
    [TestCase("StationName", ProfileOption.RetainDeviceIdentity, ProfileAction.Keep)]
    [TestCase("InstitutionName", ProfileOption.RetainInstitutionIdentity, ProfileAction.Keep)]
    [TestCase("PatientSex", ProfileOption.RetainPatientCharacteristics, ProfileAction.Keep)]
    [TestCase("StudyDescription", ProfileOption.None, ProfileAction.Remove)]
    [TestCase("StudyDescription", ProfileOption.CleanDescriptors, ProfileAction.Clean)]
    [TestCase("ContentSequence", ProfileOption.CleanStructuredContent, ProfileAction.Clean)]
    [TestCase("GraphicAnnotationSequence", ProfileOption.CleanGraphics, ProfileAction.Clean)]
    [TestCase("ReferencedImageSequence", ProfileOption.None, ProfileAction.RemoveOrZeroOrReplaceUids)]
    // Device calibration date: kept under Retain Device Identity, but still shifted under Modified Dates.
    [TestCase("DateOfLastCalibration", ProfileOption.RetainDeviceIdentity, ProfileAction.Keep)]
    [TestCase("DateOfLastCalibration", ProfileOption.RetainDeviceIdentity | ProfileOption.RetainLongitudinalModifiedDates, ProfileAction.Clean)]
    public void Resolves_actions_under_options(string keyword, ProfileOption options, ProfileAction expected)
    {
        var row = ConfidentialityProfile.Find(DicomTag.Parse(keyword))!;
        Assert.That(ConfidentialityProfile.Resolve(row, options), Is.EqualTo(expected));
    }

    [Test]
    public void Repeating_groups_and_private_attributes_have_their_rows()
    {
        Assert.That(ConfidentialityProfile.Find(new DicomTag(0x6002, 0x3000))!.Name, Is.EqualTo("Overlay Data"));
        Assert.That(ConfidentialityProfile.Find(new DicomTag(0x5004, 0x0010))!.Name, Is.EqualTo("Curve Data"));
        Assert.That(ConfidentialityProfile.Find(new DicomTag(0x0029, 0x1010))!.Basic, Is.EqualTo(ProfileAction.Remove));
        Assert.That(ConfidentialityProfile.Resolve(ConfidentialityProfile.PrivateAttributes, ProfileOption.RetainSafePrivate), Is.EqualTo(ProfileAction.Clean));
        Assert.That(ConfidentialityProfile.Find(DicomTags.Rows), Is.Null);
    }

    [Test]
    public void Combined_codes_never_remove()
    {
        foreach (var a in Enum.GetValues<ProfileAction>().Where(a => a.Code().Contains('/')))
            Assert.That(a.Effective(), Is.Not.EqualTo(ProfileAction.Remove), a.Code());
    }
}
