using System.Diagnostics;
using System.Globalization;
using TciaPacs.Archive;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Lucene;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Query latency of the archive (issue 3), outside BenchmarkDotNet because building the archive is the slow part:
/// <c>dotnet run -c Release --project tests/TciaPacs.Benchmarks -- query-latency [N...] [--queries Q]</c> (default
/// N = 10000 100000, Q = 200). For each N: a new data folder in the temp folder with the SQLite catalog and the Lucene
/// index (as <c>tciapacs</c> composes them), filled with N small header-only instances (8x8 pixels) generated in memory
/// and stored through <see cref="DicomArchive.StoreAsync"/> (the real pipeline: fsync, group commit, index), then Q
/// queries of each kind, each timed with a Stopwatch around <see cref="QueryEngine.Execute"/> (results materialised),
/// after 20 warm-up queries. With <c>--direct</c> the instances go straight to the catalog and the index (no files, no
/// fsync per file), which builds 100,000 in a fraction of the time. Prints p50/p95/max and the mean number of results per kind.
/// </summary>
internal static class QueryLatency
{
    // Shape: 10 instances per series, 3 series per study, 2 studies per patient; 1 patient in 20 is called Doe.
    private const int PerSeries = 10, SeriesPerStudy = 3, StudiesPerPatient = 2;
    private static readonly string[] Families = ["Smith", "Jones", "Müller", "Dupont", "Garcia", "Rossi", "Novak", "Kim", "Sato", "Silva",
        "Brown", "Martin", "Weber", "Moreau", "Lopez", "Ricci", "Horvat", "Park", "Suzuki", "Doe"];
    private static readonly string[] Modalities = ["CT", "MR", "PT"];
    private const string Root = "1.2.826.0.1.3680043.10.543.77";
    private static readonly DateOnly FirstDate = new(2015, 1, 1);
    private const int DateSpanDays = 3650;

    public static int Run(string[] args)
    {
        var sizes = new List<int>();
        var queries = 200;
        var direct = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--queries") queries = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--direct") direct = true;
            else sizes.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
        }
        if (sizes.Count == 0) sizes = [10_000, 100_000];
        foreach (var n in sizes) RunOne(n, queries, direct).GetAwaiter().GetResult();
        return 0;
    }

    private static int Studies(int n) => Math.Max(1, n / (PerSeries * SeriesPerStudy));
    private static string PatientId(int patient) => $"QL-{patient:D6}";
    private static string StudyUid(int study) => $"{Root}.{study}";
    private static string SeriesUid(int study, int series) => $"{Root}.{study}.{series}";
    private static string SopUid(int study, int series, int i) => $"{Root}.{study}.{series}.{i}";
    private static DateOnly StudyDate(int study) => FirstDate.AddDays((int)((uint)(study * 2654435761u) % DateSpanDays));
    private static string Da(DateOnly d) => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static byte[] Instance(int index)
    {
        var (seriesIndex, i) = Math.DivRem(index, PerSeries);
        var (study, series) = Math.DivRem(seriesIndex, SeriesPerStudy);
        var patient = study / StudiesPerPatient;
        var modality = Modalities[(study + series) % Modalities.Length];
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        ds.AddOrUpdate(DicomTags.SOPClassUID, modality == "MR" ? "1.2.840.10008.5.1.4.1.1.4" : modality == "PT" ? "1.2.840.10008.5.1.4.1.1.128" : "1.2.840.10008.5.1.4.1.1.2");
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, SopUid(study, series, i));
        ds.AddOrUpdate(DicomTags.StudyDate, Da(StudyDate(study)));
        ds.AddOrUpdate(DicomTags.StudyTime, $"{8 + study % 10:00}{study % 60:00}00");
        ds.AddOrUpdate(DicomTags.AccessionNumber, $"ACC{study:D7}");
        ds.AddOrUpdate(DicomTags.Modality, modality);
        ds.AddOrUpdate(DicomTags.ReferringPhysicianName, "Ref^Doctor");
        ds.AddOrUpdate(DicomTags.StudyDescription, $"Study {study % 7}");
        ds.AddOrUpdate(DicomTags.SeriesDescription, $"{modality} series {series + 1}");
        ds.AddOrUpdate(DicomTags.PatientName, $"{Families[patient % Families.Length]}^Given{patient}");
        ds.AddOrUpdate(DicomTags.PatientID, PatientId(patient));
        ds.AddOrUpdate(DicomTags.PatientBirthDate, Da(new DateOnly(1940, 1, 1).AddDays(patient % 20000)));
        ds.AddOrUpdate(DicomTags.PatientSex, patient % 2 == 0 ? "M" : "F");
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, StudyUid(study));
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, SeriesUid(study, series));
        ds.AddOrUpdate(DicomTags.StudyID, $"S{study}");
        ds.AddOrUpdate(DicomTags.SeriesNumber, (series + 1).ToString(CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.InstanceNumber, (i + 1).ToString(CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.SamplesPerPixel, VR.US, (ushort)1);
        ds.AddOrUpdate(DicomTags.PhotometricInterpretation, "MONOCHROME2");
        ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)8);
        ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)8);
        ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
        ds.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)12);
        ds.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)11);
        ds.AddOrUpdate(DicomTags.PixelRepresentation, VR.US, (ushort)0);
        ds.AddOrUpdate(DicomTags.PixelData, VR.OW, new ushort[64]);
        using var ms = new MemoryStream();
        new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).Save(ms);
        return ms.ToArray();
    }

    private static async Task RunOne(int n, int queryCount, bool direct)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tciapacs-query-latency-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var catalog = SqliteCatalog.OpenDataDirectory(dir);
            var index = new LuceneQueryIndex(Path.Combine(dir, "index"));
            var archive = new DicomArchive(dir, catalog, new StoreOptions(), filters: [], index: index);
            await using (archive.ConfigureAwait(false))
            {
                Console.WriteLine($"== N = {n:N0} instances ({Studies(n):N0} studies, {Studies(n) * SeriesPerStudy:N0} series, {(Studies(n) + 1) / 2:N0} patients); data folder {dir}");
                var build = Stopwatch.StartNew();
                var failed = 0;
                var done = 0;
                await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
                {
                    if (direct)
                    {
                        await CommitDirect(catalog, index, Instance(i), ct).ConfigureAwait(false);
                        var committed = Interlocked.Increment(ref done);
                        if (committed % 10_000 == 0) Console.Error.WriteLine($"   {committed:N0} committed, {build.Elapsed.TotalSeconds:F0} s");
                        return;
                    }
                    var r = await archive.StoreAsync(StoreRequest.FromStream(new MemoryStream(Instance(i))), ct).ConfigureAwait(false);
                    if (!r.IsStored) { if (Interlocked.Increment(ref failed) <= 3) Console.Error.WriteLine($"store {i} failed: {r.Reason}"); }
                    var d = Interlocked.Increment(ref done);
                    if (d % 10_000 == 0) Console.Error.WriteLine($"   {d:N0} stored, {build.Elapsed.TotalSeconds:F0} s");
                }).ConfigureAwait(false);
                if (direct) index.Commit();
                archive.Query.Execute(new DicomQuery(QueryLevel.Study, [QueryKey.Create(DicomTags.PatientID, VR.LO, PatientId(0))]));
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "   built in {0:F1} s ({1:F0} instances/s {4}), {2} failed; catalog {3:N0} instances",
                    build.Elapsed.TotalSeconds, n / build.Elapsed.TotalSeconds, failed, archive.Catalog.CountInstances(), direct ? "committed to catalog and index directly, no files" : "through StoreAsync"));
                Measure(archive, n, queryCount);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static void Measure(DicomArchive archive, int n, int queryCount)
    {
        var studies = Studies(n);
        var patients = (studies + StudiesPerPatient - 1) / StudiesPerPatient;
        var rng = new Random(42);
        static QueryKey K(DicomTag tag, VR vr, string value) => QueryKey.Create(tag, vr, value);
        // Return keys as a typical C-FIND/QIDO client would ask for, so response building is included.
        QueryKey[] studyReturn = [K(DicomTags.PatientName, VR.PN, ""), K(DicomTags.PatientID, VR.LO, ""), K(DicomTags.StudyInstanceUID, VR.UI, ""),
            K(DicomTags.StudyDate, VR.DA, ""), K(DicomTags.StudyDescription, VR.LO, ""), K(DicomTags.ModalitiesInStudy, VR.CS, ""), K(DicomTags.NumberOfStudyRelatedInstances, VR.IS, "")];
        QueryKey[] seriesReturn = [K(DicomTags.SeriesInstanceUID, VR.UI, ""), K(DicomTags.Modality, VR.CS, ""), K(DicomTags.SeriesNumber, VR.IS, ""), K(DicomTags.NumberOfSeriesRelatedInstances, VR.IS, "")];
        QueryKey[] imageReturn = [K(DicomTags.SOPInstanceUID, VR.UI, ""), K(DicomTags.SOPClassUID, VR.UI, ""), K(DicomTags.InstanceNumber, VR.IS, "")];
        (string Name, QueryLevel Level, Func<QueryKey[]> Keys)[] kinds =
        [
            ("PatientID=<one patient>", QueryLevel.Study, () => [K(DicomTags.PatientID, VR.LO, PatientId(rng.Next(patients)))]),
            ("PatientName=Doe* (5 % of patients)", QueryLevel.Study, () => [K(DicomTags.PatientName, VR.PN, "Doe*")]),
            ("PatientName=Smith^Given<k>* (one patient)", QueryLevel.Study, () => [K(DicomTags.PatientName, VR.PN, $"Smith^Given{rng.Next(patients / 20) * 20}*")]),
            ("StudyDate=<7-day range>", QueryLevel.Study, () =>
            {
                var d = FirstDate.AddDays(rng.Next(DateSpanDays - 7));
                return [K(DicomTags.StudyDate, VR.DA, $"{Da(d)}-{Da(d.AddDays(6))}")];
            }),
            ("ModalitiesInStudy=MR & StudyDate=<30 days>", QueryLevel.Study, () =>
            {
                var d = FirstDate.AddDays(rng.Next(DateSpanDays - 30));
                return [K(DicomTags.ModalitiesInStudy, VR.CS, "MR"), K(DicomTags.StudyDate, VR.DA, $"{Da(d)}-{Da(d.AddDays(29))}")];
            }),
            ("StudyInstanceUID=<one study>", QueryLevel.Series, () => [K(DicomTags.StudyInstanceUID, VR.UI, StudyUid(rng.Next(studies)))]),
            ("StudyInstanceUID=<one> & Modality=CT", QueryLevel.Series, () => [K(DicomTags.StudyInstanceUID, VR.UI, StudyUid(rng.Next(studies))), K(DicomTags.Modality, VR.CS, "CT")]),
            ("SeriesDescription=MR* & StudyDate=<7 days>", QueryLevel.Series, () =>
            {
                var d = FirstDate.AddDays(rng.Next(DateSpanDays - 7));
                return [K(DicomTags.SeriesDescription, VR.LO, "MR*"), K(DicomTags.StudyDate, VR.DA, $"{Da(d)}-{Da(d.AddDays(6))}")];
            }),
            ("SeriesInstanceUID=<one series> (10 inst.)", QueryLevel.Image, () => [K(DicomTags.SeriesInstanceUID, VR.UI, RandomSeries(rng, studies))]),
            ("SOPInstanceUID=<one instance>", QueryLevel.Image, () =>
            {
                var s = rng.Next(studies);
                return [K(DicomTags.SOPInstanceUID, VR.UI, SopUid(s, rng.Next(SeriesPerStudy), rng.Next(PerSeries)))];
            }),
        ];
        Console.WriteLine();
        Console.WriteLine($"| N | Level | Matching keys | Queries | Mean results | p50 [ms] | p95 [ms] | Max [ms] |");
        Console.WriteLine("|---:|:---|:---|---:|---:|---:|---:|---:|");
        foreach (var (name, level, keys) in kinds)
        {
            var returnKeys = level switch { QueryLevel.Study => studyReturn, QueryLevel.Series => seriesReturn, _ => imageReturn };
            DicomQuery Next()
            {
                var matching = keys();
                return new(level, [.. matching, .. returnKeys.Where(r => !matching.Any(k => k.Tag == r.Tag))]);
            }
            for (var w = 0; w < 20; w++) archive.Query.Execute(Next());
            var times = new double[queryCount];
            long results = 0;
            for (var q = 0; q < queryCount; q++)
            {
                var query = Next();
                var sw = Stopwatch.StartNew();
                results += archive.Query.Execute(query).Count;
                times[q] = sw.Elapsed.TotalMilliseconds;
            }
            Array.Sort(times);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0:N0} | {1} | {2} | {3} | {4:F1} | {5:F2} | {6:F2} | {7:F2} |",
                n, level, name, queryCount, (double)results / queryCount, Percentile(times, 0.50), Percentile(times, 0.95), times[^1]));
        }
        Console.WriteLine();
    }

    /// <summary>
    /// --direct: what the pipeline commits for a stored instance (catalog row, index document; as EntryFactory and
    /// StorePipeline.UpdateIndex do), without writing or fsyncing a file, to build a large catalog quickly. The rows
    /// point at files that do not exist, which queries never open.
    /// </summary>
    private static async Task CommitDirect(SqliteCatalog catalog, LuceneQueryIndex index, byte[] bytes, CancellationToken ct)
    {
        var header = DicomFile.Read(new MemoryStream(bytes), TciaPacs.Dicom.IO.DicomReadOptions.HeaderOnly).Dataset;
        var (patient, study, series, instance) = LevelAttributes.Split(header);
        var patientId = header.GetString(DicomTags.PatientID) ?? "";
        var sop = header.GetString(DicomTags.SOPInstanceUID)!;
        var entry = new CatalogEntry
        {
            Collection = StoreRequest.DefaultCollection,
            PatientId = patientId,
            PatientKey = PatientKey.Create(patientId, header.GetString(DicomTags.IssuerOfPatientID)),
            StudyInstanceUid = header.GetString(DicomTags.StudyInstanceUID)!,
            SeriesInstanceUid = header.GetString(DicomTags.SeriesInstanceUID)!,
            SopInstanceUid = sop,
            SopClassUid = header.GetString(DicomTags.SOPClassUID)!,
            TransferSyntaxUid = TransferSyntax.ExplicitVRLittleEndian.Uid,
            RelativePath = $"direct/{sop}.dcm",
            ContentHash = sop,
            Size = bytes.Length,
            IngestTime = DateTimeOffset.UtcNow,
            PatientAttributes = patient,
            StudyAttributes = study,
            SeriesAttributes = series,
            InstanceAttributes = instance,
            ReplaceExisting = false,
        };
        await catalog.CommitAsync(entry, cancellationToken: ct).ConfigureAwait(false);
        header.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, TransferSyntax.ExplicitVRLittleEndian.Uid);
        index.Index(new IndexedInstance(entry.Collection, entry.PatientKey, entry.StudyInstanceUid, entry.SeriesInstanceUid, sop, header));
    }

    private static string RandomSeries(Random rng, int studies) => SeriesUid(rng.Next(studies), rng.Next(SeriesPerStudy));

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
