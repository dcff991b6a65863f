using NUnit.Framework;
using TciaPacs.Deidentification.Phi;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Deidentification.Tests;

/// <summary>How well the PHI scanner does: detection of planted identifiers a profile keeps, and its alarms over the corpus after the basic profile.</summary>
public sealed class ScannerRateTests
{
    // Each planted place, and the override that makes the profile keep it.
    private static readonly (string Attributes, string Place)[] Kept =
    [
        ("StudyDescription", "patient name in Study Description"),
        ("ImageComments", "birth date and physician in Image Comments"),
        ("OperatorsName", "operator's name"),
        ("PerformingPhysicianName", "physician's name"),
        ("InstitutionAddress", "institution address"),
        ("RequestAttributesSequence RequestedProcedureID", "the patient ID in the Request Attributes Sequence"),
        ("RequestAttributesSequence ReferencedStudySequence ReferencedPatientSequence OtherPatientIDs", "the patient ID three levels deep"),
        ("AccessionNumber", "accession number"),
        ("PatientBirthDate", "birth date"),
        ("ReferringPhysicianName", "referring physician"),
    ];

    [Test]
    public void Every_instance_whose_planted_value_the_profile_keeps_is_flagged()
    {
        var detected = 0;
        foreach (var (attributes, place) in Kept)
        {
            var settings = new DeidentificationSettings { Secret = DeidentifierTests.Secret, Overrides = attributes.Split(' ').Select(a => new AttributeOverride(a, OverrideAction.Keep)).ToList() };
            var result = new Deidentifier(settings).Deidentify(PhiLaden.Image(1, 1, 0));
            var findings = PhiScanner.Scan(result.Dataset, result.Original, result.Pseudonym);
            if (findings.Any(f => f.Severity >= PhiSeverity.Medium)) detected++;
            else TestContext.Out.WriteLine($"missed: {place}");
        }
        // The SR text item kept by Clean Structured Content without cleaning (override keep of Content Sequence).
        var sr = new Deidentifier(new DeidentificationSettings { Secret = DeidentifierTests.Secret, Overrides = [new("ContentSequence", OverrideAction.Keep), new("TextValue", OverrideAction.Keep)] })
            .Deidentify(PhiLaden.Report(1, 1));
        if (PhiScanner.Scan(sr.Dataset, sr.Original, sr.Pseudonym).Any(f => f.Path.Contains("(0040,A160)", StringComparison.Ordinal))) detected++;
        TestContext.Out.WriteLine($"detection: {detected}/{Kept.Length + 1}");
        Assert.That(detected, Is.EqualTo(Kept.Length + 1));
    }

    [Test]
    public void Alarms_over_the_corpus_after_the_basic_profile()
    {
        int files = 0, flagged = 0, burnedIn = 0;
        var byRule = new Dictionary<string, int>();
        foreach (var relative in Corpus.Readable().Select(c => (string)c.Arguments[0]!))
        {
            var input = DicomFile.Open(Corpus.PathOf(relative), DicomReadOptions.HeaderOnly).Dataset;
            var result = DeidentifierTests.Basic().Deidentify(input);
            var findings = PhiScanner.Scan(result.Dataset, result.Original, result.Pseudonym).Where(f => f.Severity >= PhiSeverity.Medium).ToList();
            files++;
            if (findings.Count == 0) continue;
            flagged++;
            // Burned-in risk is a property of the pixels, not a header false positive.
            if (findings.All(f => f.Rule is "burned-in-annotation" or "screen-save" or "secondary-capture" or "overlay")) burnedIn++;
            foreach (var r in findings.Select(f => f.Rule).Distinct()) byRule[r] = byRule.GetValueOrDefault(r) + 1;
            foreach (var f in findings.Where(f => f.Rule is not ("burned-in-annotation" or "screen-save" or "secondary-capture" or "overlay")))
                TestContext.Out.WriteLine($"alarm: {relative} {f}");
        }
        var headerAlarms = flagged - burnedIn;
        TestContext.Out.WriteLine($"{files} files; {flagged} flagged ({burnedIn} for burned-in risk only, {headerAlarms} for header text); by rule: {string.Join(", ", byRule.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}");
        // After the basic profile, alarms on header text are false positives (or identifiers in attributes E.1-1 keeps):
        // keep them rare, or quarantine would hold back clean data.
        Assert.That(headerAlarms, Is.LessThanOrEqualTo(files / 20), "header alarms after the basic profile over 5%");
    }
}
