using NUnit.Framework;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>Combined date and time range matching (PS3.4 C.2.2.2.5) in the matcher, against separate matching.</summary>
public sealed class CombinedDateTimeTests
{
    private static DicomDataset Study(string date, string? time)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, date);
        if (time != null) ds.AddOrUpdate(DicomTags.StudyTime, VR.TM, time);
        return ds;
    }

    private static DicomQuery Query(string date, string time, bool combined) =>
        new(QueryLevel.Study, [QueryKey.Create(DicomTags.StudyDate, VR.DA, date), QueryKey.Create(DicomTags.StudyTime, VR.TM, time)]) { CombinedDateTime = combined };

    [TestCase("20200101", "0900", false, false)]
    [TestCase("20200101", "2300", true, false)] // after 12:00 on the first day: in the combined range only
    [TestCase("20200102", "0900", true, false)] // before 13:00 on the last day: in the combined range only
    [TestCase("20200102", "1400", false, false)]
    [TestCase("20200101", "1230", true, true)]
    [TestCase("20200103", "1230", false, false)]
    [TestCase("20200101", null, true, false)] // no time: the whole day, which overlaps the range
    public void A_date_range_and_a_time_range_make_one_range(string date, string? time, bool combined, bool separate)
    {
        var entity = Study(date, time);
        Assert.That(QueryMatcher.Matches(entity, Query("20200101-20200102", "1200-1300", combined: true)), Is.EqualTo(combined), "combined");
        Assert.That(QueryMatcher.Matches(entity, Query("20200101-20200102", "1200-1300", combined: false)), Is.EqualTo(separate), "each on its own");
    }

    [Test]
    public void Open_ends_and_single_values()
    {
        // From 12:00 on 2020-01-01 on; up to 13:00 on 2020-01-02; one day between two times.
        Assert.That(QueryMatcher.Matches(Study("20300101", "0000"), Query("20200101-", "1200-", combined: true)), Is.True);
        Assert.That(QueryMatcher.Matches(Study("20200101", "1159"), Query("20200101-", "1200-", combined: true)), Is.False);
        Assert.That(QueryMatcher.Matches(Study("19990101", "2359"), Query("-20200102", "-1300", combined: true)), Is.True);
        Assert.That(QueryMatcher.Matches(Study("20200102", "1301"), Query("-20200102", "-1300", combined: true)), Is.False);
        Assert.That(QueryMatcher.Matches(Study("20200101", "1000"), Query("20200101", "0900-1100", combined: true)), Is.True);
        Assert.That(QueryMatcher.Matches(Study("20200101", "1200"), Query("20200101", "0900-1100", combined: true)), Is.False);
        // Overnight: from 22:00 on the first day to 06:00 on the next, which as a time range alone would be empty.
        Assert.That(QueryMatcher.Matches(Study("20240101", "2300"), Query("20240101-20240102", "2200-0600", combined: true)), Is.True);
        Assert.That(QueryMatcher.Matches(Study("20240102", "0500"), Query("20240101-20240102", "2200-0600", combined: true)), Is.True);
        Assert.That(QueryMatcher.Matches(Study("20240102", "0700"), Query("20240101-20240102", "2200-0600", combined: true)), Is.False);
        Assert.That(QueryMatcher.Matches(Study("20240101", "2300"), Query("20240101-20240102", "2200-0600", combined: false)), Is.False);
        // Only a date key: combined matching has nothing to pair and the date matches alone.
        var dateOnly = new DicomQuery(QueryLevel.Study, [QueryKey.Create(DicomTags.StudyDate, VR.DA, "20200101")]) { CombinedDateTime = true };
        Assert.That(QueryMatcher.Matches(Study("20200101", "2300"), dateOnly), Is.True);
        Assert.That(dateOnly.CombinedPairs(), Is.Empty);
    }
}
