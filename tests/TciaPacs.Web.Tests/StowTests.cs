using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using TciaPacs.Dicom;

namespace TciaPacs.Web.Tests;

/// <summary>STOW-RS with bad input: per-instance failures, nothing half-stored, memory bounded.</summary>
public sealed class StowTests : WebServerFixture
{
    private static int _next;

    private static string Uid() => $"1.2.826.0.1.3680043.10.546.{Interlocked.Increment(ref _next)}.{Environment.TickCount64}";

    private static byte[] Instance(out string study, out string sop)
    {
        study = Uid();
        sop = study + ".1.1";
        return MakeInstance(study, study + ".1", sop);
    }

    private static ushort[] FailureReasons(DicomDataset body) =>
        body.GetSequence(DicomTags.FailedSOPSequence)?.Items.Select(i => (ushort)i.GetInts(DicomTags.FailureReason)[0]).ToArray() ?? [];

    private static int Referenced(DicomDataset body) => body.GetSequence(DicomTags.ReferencedSOPSequence)?.Items.Count ?? 0;

    [Test]
    public async Task A_non_dicom_part_fails_alone_and_the_others_are_stored()
    {
        var good = Instance(out var study, out _);
        var (response, body) = await StowAsync([good, Encoding.ASCII.GetBytes("this is not a DICOM file at all")]);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(Referenced(body), Is.EqualTo(1));
        Assert.That(FailureReasons(body), Is.EqualTo(new ushort[] { 0xC000 }));
        Assert.That(response.Headers.Warning.ToString(), Does.Contain("part 2"));
        using var back = await Http.SendAsync(Get($"{Base}/studies/{study}", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"));
        Assert.That((await ReadParts(back)).Single().Body, Is.EqualTo(good));
    }

    [Test]
    public async Task All_parts_failing_is_409_and_a_part_of_another_type_fails()
    {
        var content = StowContent([Encoding.ASCII.GetBytes("{}")], "application/json");
        using var response = await Http.PostAsync($"{Base}/studies", content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var body = Dicom.Formats.Json.DicomJson.Deserialize(await response.Content.ReadAsStringAsync());
        Assert.That(FailureReasons(body), Is.EqualTo(new ushort[] { 0xC000 }));
    }

    [Test]
    public async Task Instances_of_another_study_than_the_target_are_refused()
    {
        var file = Instance(out var study, out var sop);
        var (response, body) = await StowAsync([file], $"/studies/{Uid()}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(FailureReasons(body), Is.EqualTo(new ushort[] { 0xA901 }));
        Assert.That(body.GetSequence(DicomTags.FailedSOPSequence)!.Items[0].GetString(DicomTags.ReferencedSOPInstanceUID), Is.EqualTo(sop));
        var (ok, okBody) = await StowAsync([file], $"/studies/{study}");
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(okBody.GetString(DicomTags.RetrieveURL), Is.EqualTo($"{Base}/studies/{study}"));
    }

    [Test]
    public async Task The_same_instance_twice_is_a_success_and_other_content_under_its_uid_is_refused()
    {
        var file = Instance(out var study, out var sop);
        Assert.That((await StowAsync([file])).Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await StowAsync([file])).Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var other = MakeInstance(study, study + ".1", sop, ds => ds.AddOrUpdate(DicomTags.PatientName, VR.PN, "Other^Content"));
        var (response, body) = await StowAsync([other]);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(FailureReasons(body), Is.EqualTo(new ushort[] { 0x0111 }));
    }

    [TestCase("application/dicom", HttpStatusCode.UnsupportedMediaType)]
    [TestCase("application/json", HttpStatusCode.UnsupportedMediaType)]
    [TestCase("multipart/related; type=\"application/dicom+json\"; boundary=x", HttpStatusCode.BadRequest)]
    [TestCase("multipart/related; type=\"application/dicom+xml\"; boundary=x", HttpStatusCode.UnsupportedMediaType)]
    [TestCase("multipart/related; type=\"application/dicom\"", HttpStatusCode.BadRequest)]
    public async Task A_body_that_is_not_multipart_dicom_is_refused_whole(string contentType, HttpStatusCode expected)
    {
        var content = new ByteArrayContent(Instance(out _, out _));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await Http.PostAsync($"{Base}/studies", content);
        Assert.That(response.StatusCode, Is.EqualTo(expected), await response.Content.ReadAsStringAsync());
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Not.Empty, "a reason");
    }

    /// <summary>Metadata and bulk data parts: what the pair describes is stored, and WADO-RS gives back the same elements and pixels.</summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task Metadata_with_bulk_data_parts_is_stored_as_the_instance_it_describes(bool metadataFirst)
    {
        var file = Instance(out var study, out var sop);
        var original = DicomFile.Read(new MemoryStream(file)).Dataset;
        var uri = $"{Base}/bulk/{Guid.NewGuid():N}";
        var json = Dicom.Formats.Json.DicomJson.SerializeArray([original], new Dicom.Formats.Json.DicomJsonOptions { BulkDataUriFactory = (e, _) => e.Tag == DicomTags.PixelData ? uri : null });
        var pixels = original.Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray();
        using var response = await Http.PostAsync($"{Base}/studies", MetadataContent(json, [(uri, pixels)], metadataFirst));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(Referenced(Dicom.Formats.Json.DicomJson.Deserialize(text)), Is.EqualTo(1));

        using var back = await Http.SendAsync(Get($"{Base}/studies/{study}/series/{study}.1/instances/{sop}", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"));
        var stored = DicomFile.Read(new MemoryStream((await ReadParts(back)).Single().Body)).Dataset;
        Assert.That(stored.Select(e => e.Tag), Is.EqualTo(original.Select(e => e.Tag)));
        foreach (var e in original)
            Assert.That(stored.Get(e.Tag)!.Buffer.GetBytes().ToArray(), Is.EqualTo(e.Buffer.GetBytes().ToArray()), e.Tag.ToString());
    }

    [Test]
    public async Task Metadata_whose_bulk_data_part_is_missing_fails_and_stores_nothing()
    {
        var file = Instance(out var study, out _);
        var original = DicomFile.Read(new MemoryStream(file)).Dataset;
        var json = Dicom.Formats.Json.DicomJson.SerializeArray([original], new Dicom.Formats.Json.DicomJsonOptions { BulkDataUriFactory = (e, _) => e.Tag == DicomTags.PixelData ? "bulk/missing" : null });
        using var response = await Http.PostAsync($"{Base}/studies", MetadataContent(json, [("bulk/other", new byte[8])], true));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), text);
        Assert.That(FailureReasons(Dicom.Formats.Json.DicomJson.Deserialize(text)), Is.EqualTo(new ushort[] { 0xC000 }));
        Assert.That(response.Headers.Warning.ToString(), Does.Contain("bulk/missing"));
        Assert.That((await Http.SendAsync(Get($"{Base}/studies/{study}/metadata"))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(Directory.EnumerateFiles(TempDirectory), Is.Empty, "spooled parts are removed");
    }

    [Test]
    public async Task Metadata_that_is_not_dicom_json_fails_with_a_reason()
    {
        using var response = await Http.PostAsync($"{Base}/studies", MetadataContent("[{\"00080018\": {\"vr\": \"UI\", \"Value\": [1, 2", [], true));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), text);
        Assert.That(response.Headers.Warning.ToString(), Does.Contain("not valid DICOM JSON"));
    }

    private static MultipartContent MetadataContent(string json, IEnumerable<(string Location, byte[] Bytes)> bulk, bool metadataFirst)
    {
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom+json\""));
        var metadata = new StringContent(json, Encoding.UTF8);
        metadata.Headers.ContentType = new MediaTypeHeaderValue("application/dicom+json");
        var parts = new List<HttpContent>();
        foreach (var (location, bytes) in bulk)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            part.Headers.TryAddWithoutValidation("Content-Location", location);
            parts.Add(part);
        }
        if (metadataFirst) parts.Insert(0, metadata);
        else parts.Add(metadata);
        foreach (var p in parts) content.Add(p);
        return content;
    }

    [Test]
    public async Task A_truncated_body_stores_the_complete_parts_and_fails_the_cut_one()
    {
        var first = Instance(out var study1, out _);
        var second = Instance(out var study2, out _);
        var body = new MemoryStream();
        void Write(string s) => body.Write(Encoding.ASCII.GetBytes(s));
        Write("--b1\r\nContent-Type: application/dicom\r\n\r\n");
        body.Write(first);
        Write("\r\n--b1\r\nContent-Type: application/dicom\r\n\r\n");
        body.Write(second.AsSpan(0, second.Length / 2)); // no closing boundary
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=b1");
        using var response = await Http.PostAsync($"{Base}/studies", content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        Assert.That((await Http.SendAsync(Get($"{Base}/studies/{study1}/metadata"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Http.SendAsync(Get($"{Base}/studies/{study2}/metadata"))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the cut part is not stored");
        Assert.That(Directory.EnumerateFiles(TempDirectory), Is.Empty);
    }

    [Test]
    public async Task A_large_upload_is_streamed_and_a_2_GiB_one_cut_off_halfway_leaves_nothing_in_bounded_memory()
    {
        const int pixelBytes = 160 * 1024 * 1024;
        var before = Archive.Catalog.CountInstances();
        var baseline = Process.GetCurrentProcess().WorkingSet64;
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
                await Task.Delay(50);
            }
        });

        // A complete 160 MB instance, streamed by the client from a generator.
        var study = Uid();
        var header = LargeHeader(study, pixelBytes);
        var content = new StreamContent(new GeneratedBody("big1", header, pixelBytes, complete: true));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=big1");
        using (var response = await Http.PostAsync($"{Base}/studies", content))
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var stored = Archive.Catalog.CountInstances();
        Assert.That(stored, Is.EqualTo(before + 1));

        // A 2 GiB upload over a raw socket, cut off halfway (after 1 GiB of its pixels): the connection closes.
        const long cutPixelBytes = 2L * 1024 * 1024 * 1024 - 4096;
        var study2 = Uid();
        var header2 = LargeHeader(study2, cutPixelBytes);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, Server.Port);
            var stream = client.GetStream();
            var start = Encoding.ASCII.GetBytes("--cut\r\nContent-Type: application/dicom\r\n\r\n");
            var requestHead = $"POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/related; type=\"application/dicom\"; boundary=cut\r\nContent-Length: {start.Length + header2.Length + cutPixelBytes + 10}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(requestHead));
            await stream.WriteAsync(start);
            await stream.WriteAsync(header2);
            var chunk = new byte[1 << 20];
            for (var sent = 0L; sent < cutPixelBytes / 2; sent += chunk.Length) await stream.WriteAsync(chunk);
            client.Client.Close(0);
        }
        var clock = Stopwatch.StartNew();
        while (Directory.EnumerateFiles(TempDirectory).Any() && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(100);
        sampling.Cancel();
        await sampler;
        Assert.That(Directory.EnumerateFiles(TempDirectory), Is.Empty, "the spooled part of the cut upload is deleted");
        Assert.That(Archive.Catalog.CountInstances(), Is.EqualTo(stored), "nothing of the cut upload is stored");
        Assert.That((await Http.SendAsync(Get($"{Base}/studies/{study2}/metadata"))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var grown = (peak - baseline) / (1024 * 1024);
        TestContext.Out.WriteLine($"working set grew by at most {grown} MB while 160 MB and 1 GiB (of an announced 2 GiB) went up");
        Assert.That(grown, Is.LessThan(120), "bodies are streamed, not held in memory");

        // And the big one comes back whole, streamed from disk.
        using var back = await Http.SendAsync(Get($"{Base}/studies/{study}", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"), HttpCompletionOption.ResponseHeadersRead);
        var total = 0L;
        await using (var s = await back.Content.ReadAsStreamAsync())
        {
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await s.ReadAsync(buffer)) > 0) total += n;
        }
        Assert.That(total, Is.GreaterThan(pixelBytes));
    }

    /// <summary>The Part 10 header of an instance whose Pixel Data (OB, <paramref name="pixelBytes"/> long) follows.</summary>
    private static byte[] LargeHeader(string study, long pixelBytes)
    {
        var file = MakeInstance(study, study + ".1", study + ".1.1", ds =>
        {
            ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)Math.Min(pixelBytes / 8192, ushort.MaxValue));
            ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)8192);
            ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)8);
            ds.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)8);
            ds.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)7);
            ds.Remove(DicomTags.PixelData);
        }, pixels: true);
        // Explicit VR Little Endian OB: tag, "OB", 2 reserved bytes, 4-byte length (PS3.5 7.1.2).
        var element = new byte[12];
        BitConverter.TryWriteBytes(element.AsSpan(0), (ushort)0x7FE0);
        BitConverter.TryWriteBytes(element.AsSpan(2), (ushort)0x0010);
        element[4] = (byte)'O';
        element[5] = (byte)'B';
        BitConverter.TryWriteBytes(element.AsSpan(8), checked((uint)pixelBytes));
        return [.. file, .. element];
    }

    /// <summary>A multipart body generated as it is read: boundary, header, zeros for the pixels, closing boundary.</summary>
    private sealed class GeneratedBody(string boundary, byte[] header, long pixels, bool complete) : Stream
    {
        private readonly byte[] _head = [.. Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n"), .. header];
        private readonly byte[] _tail = complete ? Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n") : [];
        private long _position;

        public override long Length => _head.Length + pixels + _tail.Length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var span = buffer.AsSpan(offset, count);
            var written = 0;
            while (written < span.Length && _position < Length)
            {
                int n;
                if (_position < _head.Length)
                {
                    n = (int)Math.Min(span.Length - written, _head.Length - _position);
                    _head.AsSpan((int)_position, n).CopyTo(span[written..]);
                }
                else if (_position < _head.Length + pixels)
                {
                    n = (int)Math.Min(span.Length - written, _head.Length + pixels - _position);
                    span.Slice(written, n).Clear();
                }
                else
                {
                    var at = (int)(_position - _head.Length - pixels);
                    n = Math.Min(span.Length - written, _tail.Length - at);
                    _tail.AsSpan(at, n).CopyTo(span[written..]);
                }
                written += n;
                _position += n;
            }
            return written;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
