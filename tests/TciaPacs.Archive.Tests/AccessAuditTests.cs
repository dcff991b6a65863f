using NUnit.Framework;
using TciaPacs.Archive.Audit;

namespace TciaPacs.Archive.Tests;

/// <summary>The access audit trail: one event per caller, door, study and series in ten minutes, a file per UTC day, filters.</summary>
public sealed class AccessAuditTests
{
    [Test]
    public async Task Retrievals_are_recorded_once_per_window_in_a_file_per_day()
    {
        var data = Path.Combine(Path.GetTempPath(), "tciapacs-audit-" + Guid.NewGuid().ToString("N")[..8]);
        var now = new DateTimeOffset(2026, 12, 8, 23, 55, 0, TimeSpan.Zero);
        try
        {
            await using (var audit = new AccessAudit(data, () => now))
            {
                audit.Record("reader", "dicomweb", "retrieve", "trial", "1.2.3", "1.2.3.1", 10, "10.0.0.1");
                now += TimeSpan.FromSeconds(5);
                audit.Record("reader", "dicomweb", "retrieve", "trial", "1.2.3", "1.2.3.1", 1, "10.0.0.1"); // the next frame: the same event
                audit.Record("reader", "dicomweb", "retrieve", "trial", "1.2.3", null, 20, "10.0.0.1");     // the whole study: another
                audit.Record("reader", "nbia", "retrieve", "trial", "1.2.3", "1.2.3.1", 10, "10.0.0.1");    // another door
                audit.Record("SITE", "dimse", "move", "trial", "1.2.3", null, 20, "10.0.0.2");
                audit.Record("reader", "dicomweb", "retrieve", "trial", "1.2.3", "1.2.3.1", 1, "10.0.0.9");   // from elsewhere: another
                now += AccessAudit.Window;                                                                  // ten minutes on, past midnight
                audit.Record("reader", "dicomweb", "retrieve", "trial", "1.2.3", "1.2.3.1", 10, "10.0.0.1");
                await audit.FlushAsync();
                var all = audit.Read(new DateOnly(2026, 12, 8), new DateOnly(2026, 12, 9), _ => true, 100);
                Assert.That(all.Select(e => (e.Who, e.Door, e.Action, e.SeriesInstanceUid, e.Instances)), Is.EqualTo(new[]
                {
                    ("reader", "dicomweb", "retrieve", (string?)"1.2.3.1", 10), ("reader", "dicomweb", "retrieve", null, 20), ("reader", "nbia", "retrieve", "1.2.3.1", 10),
                    ("SITE", "dimse", "move", null, 20), ("reader", "dicomweb", "retrieve", "1.2.3.1", 1), ("reader", "dicomweb", "retrieve", "1.2.3.1", 10),
                }));
                Assert.That(audit.Read(new DateOnly(2026, 12, 8), new DateOnly(2026, 12, 8), _ => true, 100), Has.Count.EqualTo(5), "the last event is the next day's");
                Assert.That(audit.Read(new DateOnly(2026, 12, 8), new DateOnly(2026, 12, 9), e => e.Door == "dimse", 100).Single().Remote, Is.EqualTo("10.0.0.2"));
                Assert.That(audit.Read(new DateOnly(2026, 12, 8), new DateOnly(2026, 12, 9), _ => true, 2), Has.Count.EqualTo(2), "the limit");
            }
            Assert.That(Directory.GetFiles(Path.Combine(data, "audit")).Select(Path.GetFileName).Order(),
                Is.EqualTo(new[] { "access-2026-12-08.jsonl", "access-2026-12-09.jsonl" }));
            // A line cut short by a crash is skipped, not fatal.
            File.AppendAllText(Path.Combine(data, "audit", "access-2026-12-09.jsonl"), "{\"at\": \"2026-12-09T00:0");
            await using var reopened = new AccessAudit(data, () => now);
            Assert.That(reopened.Read(new DateOnly(2026, 12, 9), new DateOnly(2026, 12, 9), _ => true, 100), Has.Count.EqualTo(1));
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, true);
        }
    }
}
