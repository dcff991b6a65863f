using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

public sealed class ImportCommandTests
{
    [Test]
    public void Import_reports_stored_duplicate_and_rejected_with_reasons()
    {
        var input = ArchiveTestData.TempFolder("imp-in");
        var data = ArchiveTestData.TempFolder("imp-data");
        try
        {
            ArchiveTestData.Write(input, 1, studies: 2, series: 2, instances: 3);
            File.WriteAllText(Path.Combine(input, "notes.txt"), "not DICOM");
            var first = Tciapacs.Run("import", "--config", ArchiveTestData.AsSentConfig, input, "--data", data, "--parallel", "3");
            Assert.That(first.ExitCode, Is.EqualTo(1), first.StdOut + first.StdErr);
            Assert.That(first.StdOut, Does.Contain("13 files: 12 stored, 0 duplicate, 0 quarantined, 1 rejected"));
            Assert.That(first.StdOut, Does.Contain($"rejected: {Path.Combine(input, "notes.txt")}: cannot parse"));
            Assert.That(first.StdErr, Does.Contain("13/13 files"));

            File.Delete(Path.Combine(input, "notes.txt"));
            var again = Tciapacs.Run("import", "--config", ArchiveTestData.AsSentConfig, input, "--data", data, "--verbose");
            Assert.That(again.ExitCode, Is.EqualTo(0), again.StdOut + again.StdErr);
            Assert.That(again.StdOut, Does.Contain("12 files: 0 stored, 12 duplicate"));
            Assert.That(again.StdOut.Split('\n').Count(l => l.StartsWith("duplicate\t", StringComparison.Ordinal)), Is.EqualTo(12));
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    [Test]
    public void Import_reindex_and_query_read_the_same_configuration_as_serve()
    {
        var input = ArchiveTestData.TempFolder("cfg-in");
        var data = ArchiveTestData.TempFolder("cfg-data");
        var config = Path.Combine(input, "..", Path.GetFileName(input) + ".json");
        try
        {
            ArchiveTestData.Write(input, 3, studies: 1, series: 1, instances: 2);
            // The data folder and the collection come from the file; no --data flag.
            File.WriteAllText(config, $$"""
                // comments are allowed, as in samples/tciapacs.json
                { "DataDirectory": {{System.Text.Json.JsonSerializer.Serialize(data)}},
                  "Storage": { "DefaultCollection": "from-config" },
                  "Index": { "ExtraAttributes": [ "PatientComments PATIENT" ] } }
                """);
            var import = Tciapacs.Run("import", input, "--config", config);
            Assert.That(import.ExitCode, Is.Zero, import.StdOut + import.StdErr);
            Assert.That(File.Exists(Path.Combine(data, "catalog.db")), "the configured data folder is used");
            // A key after --collection stays a key (the option takes one name per occurrence).
            var inCollection = Tciapacs.Run("query", "--config", config, "--level", "STUDY", "--collection", "from-config", "StudyDate=");
            Assert.That(inCollection.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3), inCollection.StdOut + inCollection.StdErr);
            Assert.That(inCollection.StdOut, Does.StartWith("StudyDate"), "StudyDate= is a return key, not a collection name");
            var inDefault = Tciapacs.Run("query", "--config", config, "--level", "STUDY", "--collection", "default");
            Assert.That(inDefault.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.LessThan(3), "nothing went to the built-in default collection");
            var reindex = Tciapacs.Run("reindex", "--config", config);
            Assert.That(reindex.ExitCode, Is.Zero, reindex.StdOut + reindex.StdErr);
            Assert.That(reindex.StdOut, Does.Contain("2 instances indexed"));

            File.WriteAllText(config, "{ \"Index\": { \"ExtraAttributes\": [ \"NotAKeyword PATIENT\" ] } }");
            var broken = Tciapacs.Run("import", input, "--config", config);
            Assert.That(broken.ExitCode, Is.EqualTo(2));
            Assert.That(broken.StdErr, Does.StartWith("error: ").And.Contain("NotAKeyword"));
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
            File.Delete(config);
        }
    }

    /// <summary>
    /// Storage.Compression and Storage.CollectionCompression: native images are stored in the collection's lossless
    /// syntax (after de-identification where the collection de-identifies), decodable to the pixels imported; a
    /// collection set to None stores as received; compressed data is never re-encoded; a lossy or unknown syntax stops
    /// the command before anything is stored, naming the ones allowed.
    /// </summary>
    [Test]
    public void Import_compresses_native_images_per_collection()
    {
        var input = ArchiveTestData.TempFolder("compress-in");
        var data = ArchiveTestData.TempFolder("compress-data");
        var config = Path.Combine(input, "..", Path.GetFileName(input) + ".json");
        try
        {
            var ct = Corpus.PathOf("transfer-syntax/explicit-vr-le/CT_small.dcm");
            var mr = Corpus.PathOf("transfer-syntax/implicit-vr-le/MR_small_implicit.dcm");
            var jpeg = Corpus.PathOf("transfer-syntax/jpeg-baseline/SC_rgb_dcmtk_+eb+cy+np.dcm");
            var seg = Corpus.PathOf("modality/SEG/liver.dcm"); // 1-bit: JPEG cannot hold it, the next syntax in the list can
            File.WriteAllText(config, """
                { "Deidentification": { "Default": { "Profile": "None" }, "Collections": { "deid": { "Profile": "Basic", "PhiScan": "Off" } } },
                  "Storage": { "Compression": "JPEGLosslessSV1, DeflatedImageFrameCompression", "CollectionCompression": { "raw": "None", "deid": "1.2.840.10008.1.2.4.80" } } }
                """);
            foreach (var (file, collection) in new[] { (ct, "default"), (jpeg, "default"), (seg, "default"), (mr, "raw"), (mr, "deid") })
            {
                var r = Tciapacs.Run("import", file, "--config", config, "--data", data, "--collection", collection);
                Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
            }
            var stored = Directory.EnumerateFiles(Path.Combine(data, "files"), "*.dcm", SearchOption.AllDirectories)
                .Select(f => DicomFile.Open(f)).ToList();
            string SyntaxOf(string modality, string? collection = null) =>
                stored.Single(f => f.Dataset.GetString(DicomTags.Modality) == modality && (collection == null || (collection == "deid") == (f.Dataset.GetString(DicomTags.PatientIdentityRemoved) == "YES"))).TransferSyntax.Uid;
            Assert.That(SyntaxOf("CT"), Is.EqualTo(TransferSyntax.JPEGLosslessSV1.Uid), "the default compression");
            Assert.That(SyntaxOf("OT"), Is.EqualTo(TransferSyntax.JPEGBaseline8Bit.Uid), "compressed data stored as received");
            Assert.That(SyntaxOf("SEG"), Is.EqualTo(TransferSyntax.DeflatedImageFrameCompression.Uid), "the second syntax of the list, for what the first cannot hold");
            Assert.That(SyntaxOf("MR", "raw"), Is.EqualTo(TransferSyntax.ImplicitVRLittleEndian.Uid), "a collection set to None");
            Assert.That(SyntaxOf("MR", "deid"), Is.EqualTo(TransferSyntax.JPEGLSLossless.Uid), "de-identified, then compressed");
            foreach (var (source, modality, collection) in new[] { (ct, "CT", (string?)null), (mr, "MR", "deid"), (seg, "SEG", null) })
            {
                var file = stored.Single(f => f.Dataset.GetString(DicomTags.Modality) == modality && (collection == null || f.TransferSyntax.Uid == TransferSyntax.JPEGLSLossless.Uid));
                var decoded = TciaPacs.Dicom.Codecs.DicomTranscoder.Default.Transcode(file, TransferSyntax.ExplicitVRLittleEndian);
                Assert.That(decoded.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(DicomFile.Open(source).Dataset.GetBytes(DicomTags.PixelData).ToArray()), modality);
            }

            foreach (var bad in new[] { "JPEGBaseline8Bit", "1.2.3.4" })
            {
                File.WriteAllText(config, $$"""{ "Storage": { "Compression": "{{bad}}" } }""");
                var refused = Tciapacs.Run("import", ct, "--config", config, "--data", data);
                Assert.That(refused.ExitCode, Is.EqualTo(2), refused.StdOut + refused.StdErr);
                Assert.That(refused.StdErr, Does.StartWith("error: Storage.Compression: ").And.Contain(bad).And.Contain("JPEGLSLossless (1.2.840.10008.1.2.4.80)"));
            }
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
            File.Delete(config);
        }
    }

    /// <summary>
    /// Ingest compression of a multi-frame instance larger than its encoded frames could be held in memory: 400 frames
    /// of 512x512 noisy 12-bit samples (200 MB native; JPEG-LS makes little of noise), stored in JPEG-LS by an import
    /// whose peak resident memory stays far below either, since each encoded frame goes to a scratch file as it is made.
    /// </summary>
    [Test]
    public void Ingest_compression_keeps_one_frame_in_memory()
    {
        var input = ArchiveTestData.TempFolder("big-in");
        var data = ArchiveTestData.TempFolder("big-data");
        var config = input + ".json";
        try
        {
            const int Frames = 400, Side = 512;
            var frameBytes = Side * Side * 2;
            var raw = Path.Combine(input, "pixels.raw");
            var random = new Random(7);
            var frame = new byte[frameBytes];
            using (var output = File.Create(raw))
                for (var f = 0; f < Frames; f++)
                {
                    for (var i = 0; i < frameBytes; i += 2) (frame[i], frame[i + 1]) = ((byte)random.Next(256), (byte)random.Next(16));
                    output.Write(frame);
                }
            var source = DicomFile.Open(Corpus.PathOf("transfer-syntax/explicit-vr-le/CT_small.dcm"));
            var ds = source.Dataset.Clone();
            ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)Side);
            ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)Side);
            ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
            ds.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)12);
            ds.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)11);
            ds.AddOrUpdate(DicomTags.PixelRepresentation, VR.US, (ushort)0);
            ds.AddOrUpdate(DicomTags.NumberOfFrames, VR.IS, Frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
            ds.Add(new DicomElement(DicomTags.PixelData, VR.OW, new TciaPacs.Dicom.IO.FileBuffer(raw, 0, (long)Frames * frameBytes)));
            var big = Path.Combine(input, "big.dcm");
            new DicomFile(source.Meta, ds, TransferSyntax.ExplicitVRLittleEndian).Save(big);
            File.Delete(raw);
            File.WriteAllText(config, """{ "Deidentification": { "Default": { "Profile": "None" } }, "Storage": { "Compression": "JPEGLSLossless" } }""");

            var (r, peak) = Tciapacs.RunMeasured("import", big, "--config", config, "--data", data);
            Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
            var stored = DicomFile.Open(Directory.EnumerateFiles(Path.Combine(data, "files"), "*.dcm", SearchOption.AllDirectories).Single());
            Assert.That(stored.TransferSyntax, Is.EqualTo(TransferSyntax.JPEGLSLossless), r.StdErr);
            var frames = EncapsulatedFrames.FromDataset(stored.Dataset);
            Assert.That(frames.Count, Is.EqualTo(Frames));
            var encodedTotal = Enumerable.Range(0, Frames).Sum(f => (long)frames.GetFrame(f).Length);
            TestContext.Out.WriteLine($"peak RSS {peak / 1e6:F0} MB; native {Frames * (long)frameBytes / 1e6:F0} MB, encoded {encodedTotal / 1e6:F0} MB");
            Assert.That(peak, Is.LessThan(encodedTotal * 3 / 4), "the import never held the encoded frames together");
            var info = PixelDataInfo.FromDataset(stored.Dataset);
            var codec = CodecRegistry.Default.Get(TransferSyntax.JPEGLSLossless);
            var original = DicomFile.Open(big).Dataset.Get(DicomTags.PixelData)!.Buffer;
            foreach (var f in new[] { 0, Frames - 1 })
            {
                var decoded = new byte[frameBytes];
                codec.DecodeFrame(frames.GetFrame(f).Span, info, decoded);
                var expected = new byte[frameBytes];
                using (var reader = new TciaPacs.Dicom.IO.FileBufferReader()) reader.Read((TciaPacs.Dicom.IO.FileBuffer)original, (long)f * frameBytes, expected);
                Assert.That(decoded, Is.EqualTo(expected), $"frame {f + 1}");
            }
            Assert.That(Directory.EnumerateFiles(data, "*.part", SearchOption.AllDirectories), Is.Empty, "no scratch file left");
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
            File.Delete(config);
        }
    }

    /// <summary>
    /// <c>recompress</c>: an archive that stored as received re-encodes its native images afterwards; each comes back
    /// byte for byte, the old files are gone, queries see the new syntax, compressed data and other collections are
    /// left alone, and a second run has nothing to do.
    /// </summary>
    [Test]
    public void Recompress_re_encodes_stored_native_images_and_keeps_their_pixels()
    {
        var data = ArchiveTestData.TempFolder("recompress-data");
        var config = data + ".json";
        try
        {
            var ct = Corpus.PathOf("transfer-syntax/explicit-vr-le/CT_small.dcm");
            var mr = Corpus.PathOf("transfer-syntax/implicit-vr-le/MR_small_implicit.dcm");
            var jpeg = Corpus.PathOf("transfer-syntax/jpeg-baseline/SC_rgb_dcmtk_+eb+cy+np.dcm");
            var seg = Corpus.PathOf("modality/SEG/liver.dcm");
            File.WriteAllText(config, """{ "Deidentification": { "Default": { "Profile": "None" } } }""");
            foreach (var (file, collection) in new[] { (ct, "default"), (jpeg, "default"), (seg, "default"), (mr, "other") })
                Assert.That(Tciapacs.Run("import", file, "--config", config, "--data", data, "--collection", collection).ExitCode, Is.Zero);
            List<DicomFile> Stored() => Directory.EnumerateFiles(Path.Combine(data, "files"), "*.dcm", SearchOption.AllDirectories).Select(f => DicomFile.Open(f)).ToList();
            string SyntaxOf(string modality) => Stored().Single(f => f.Dataset.GetString(DicomTags.Modality) == modality).TransferSyntax.Uid;
            var before = Stored().Select(f => f.TransferSyntax.Uid).Order().ToList();

            var nothing = Tciapacs.Run("recompress", "--config", config, "--data", data);
            Assert.That(nothing.ExitCode, Is.EqualTo(2), "no syntax configured or given");
            Assert.That(nothing.StdErr, Does.Contain("nothing to re-encode into").And.Contain("HTJ2KLosslessRPCL"));
            var dry = Tciapacs.Run("recompress", "--config", config, "--data", data, "--syntax", "HTJ2KLosslessRPCL, DeflatedImageFrameCompression", "--dry-run");
            Assert.That(dry.ExitCode, Is.Zero, dry.StdOut + dry.StdErr);
            Assert.That(dry.StdOut, Does.Contain("would re-encode 3 instances"));
            Assert.That(Stored().Select(f => f.TransferSyntax.Uid).Order(), Is.EqualTo(before), "a dry run changes nothing");

            var run = Tciapacs.Run("recompress", "--config", config, "--data", data, "--syntax", "HTJ2KLosslessRPCL, DeflatedImageFrameCompression", "--collection", "default");
            Assert.That(run.ExitCode, Is.Zero, run.StdOut + run.StdErr);
            Assert.That(run.StdOut, Does.Contain("recompress: 2 re-encoded, 0 left as stored, 0 failed"));
            Assert.That(Stored(), Has.Count.EqualTo(4), "each old file deleted once its replacement is recorded");
            Assert.That(SyntaxOf("CT"), Is.EqualTo(TransferSyntax.HTJ2KLosslessRPCL.Uid));
            Assert.That(SyntaxOf("SEG"), Is.EqualTo(TransferSyntax.DeflatedImageFrameCompression.Uid), "the second syntax, for what the first cannot hold");
            Assert.That(SyntaxOf("OT"), Is.EqualTo(TransferSyntax.JPEGBaseline8Bit.Uid), "already compressed: left alone");
            Assert.That(SyntaxOf("MR"), Is.EqualTo(TransferSyntax.ImplicitVRLittleEndian.Uid), "another collection: left alone");
            foreach (var (source, modality) in new[] { (ct, "CT"), (seg, "SEG") })
            {
                var stored = Stored().Single(f => f.Dataset.GetString(DicomTags.Modality) == modality);
                var decoded = TciaPacs.Dicom.Codecs.DicomTranscoder.Default.Transcode(stored, TransferSyntax.ExplicitVRLittleEndian);
                Assert.That(decoded.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(DicomFile.Open(source).Dataset.GetBytes(DicomTags.PixelData).ToArray()), modality);
            }
            var query = Tciapacs.Run("query", "--data", data, "--level", "image", "TransferSyntaxUID=1.2.840.10008.1.2.4.202", "SOPInstanceUID=");
            Assert.That(query.StdErr + query.StdOut, Does.Contain("1 image result(s)").And.Contain(DicomFile.Open(ct).Dataset.GetString(DicomTags.SOPInstanceUID)), "the catalog knows the new syntax");

            var again = Tciapacs.Run("recompress", "--config", config, "--data", data, "--syntax", "JPEGLSLossless", "--collection", "default");
            Assert.That(again.ExitCode, Is.Zero, again.StdOut + again.StdErr);
            Assert.That(again.StdOut, Does.Contain("recompress: 0 re-encoded"), "compressed instances are not looked at again");
        }
        finally
        {
            Directory.Delete(data, true);
            File.Delete(config);
        }
    }

    [Test]
    public void Query_prints_a_table_and_dicom_json()
    {
        var input = ArchiveTestData.TempFolder("q-in");
        var data = ArchiveTestData.TempFolder("q-data");
        try
        {
            ArchiveTestData.Write(input, 2, studies: 3, series: 2, instances: 2);
            Assert.That(Tciapacs.Run("import", "--config", ArchiveTestData.AsSentConfig, input, "--data", data).ExitCode, Is.Zero);
            var table = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "PatientName=çelik*", "StudyDate=", "00081030=", "NumberOfStudyRelatedInstances=");
            Assert.That(table.ExitCode, Is.Zero, table.StdErr);
            var lines = table.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines[0], Does.StartWith("PatientName  StudyDate  StudyDescription  NumberOfStudyRelatedInstances  StudyInstanceUID"));
            Assert.That(lines, Has.Length.EqualTo(4), table.StdOut);
            Assert.That(lines[2], Does.Contain("Çelik^Zoë").And.Contain("Study 0").And.Contain("4"));
            var json = Tciapacs.Run("query", "--data", data, "--level", "SERIES", "Modality=MR", "--limit", "2", "--offset", "1", "--json");
            Assert.That(json.ExitCode, Is.Zero, json.StdErr);
            var array = System.Text.Json.JsonDocument.Parse(json.StdOut).RootElement;
            Assert.That(array.GetArrayLength(), Is.EqualTo(2));
            Assert.That(array[0].GetProperty("00080060").GetProperty("Value")[0].GetString(), Is.EqualTo("MR"));
            var fuzzy = Tciapacs.Run("query", "--data", data, "--level", "PATIENT", "PatientName=zoe cel", "--fuzzy");
            Assert.That(fuzzy.StdOut, Does.Contain("P2-0"));
            var bad = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "NoSuchKeyword=1");
            Assert.That(bad.ExitCode, Is.EqualTo(2));
            Assert.That(bad.StdErr, Does.Contain("neither a DICOM keyword nor a tag"));
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    [Test]
    public void Reindex_after_deleting_the_catalog_gives_the_same_query_results()
    {
        var data = ArchiveTestData.TempFolder("rx-data");
        var input = ArchiveTestData.TempFolder("rx-in");
        try
        {
            ArchiveTestData.Write(input, 3, studies: 4, series: 2, instances: 3);
            Tciapacs.Run("import", "--config", ArchiveTestData.AsSentConfig, input, "--data", data);
            Tciapacs.Run("import", "--config", ArchiveTestData.AsSentConfig, Path.Combine(Corpus.Root, "modality"), "--data", data, "--collection", "corpus");
            string[][] queries =
            [
                ["--level", "PATIENT", "PatientID=", "PatientName=", "NumberOfPatientRelatedInstances="],
                ["--level", "STUDY", "StudyDate=20110101-", "ModalitiesInStudy=", "NumberOfStudyRelatedSeries="],
                ["--level", "SERIES", "Modality=CT", "SeriesNumber=", "NumberOfSeriesRelatedInstances="],
                ["--level", "IMAGE", "InstanceNumber=2", "SOPClassUID="],
                ["--level", "STUDY", "--collection", "corpus", "PatientName=*a*"],
            ];
            var before = queries.Select(q => Tciapacs.Run(["query", "--data", data, "--json", .. q]).StdOut).ToList();
            foreach (var f in Directory.EnumerateFiles(data, "catalog.db*")) File.Delete(f);
            var reindex = Tciapacs.Run("reindex", "--data", data);
            Assert.That(reindex.ExitCode, Is.Zero, reindex.StdOut + reindex.StdErr);
            Assert.That(reindex.StdOut, Does.Contain("instances indexed, 0 files not indexed"));
            var after = queries.Select(q => Tciapacs.Run(["query", "--data", data, "--json", .. q]).StdOut).ToList();
            Assert.That(after, Is.EqualTo(before));
            Assert.That(before.All(b => b.Length > 10), Is.True);
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }
}
