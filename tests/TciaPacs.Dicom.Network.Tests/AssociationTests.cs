using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>Our requestor against our acceptor over loopback TCP: establishment, DIMSE exchanges, limits and failures.</summary>
public sealed class AssociationTests
{
    private const string CtImage = "1.2.840.10008.5.1.4.1.1.2";
    private const string MrImage = "1.2.840.10008.5.1.4.1.1.4";

    private static DicomDataset Instance(string uid, int pixelBytes)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, CtImage);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, uid);
        ds.AddOrUpdate(DicomTags.PatientName, VR.PN, "Doe^John");
        var pixels = new byte[pixelBytes];
        new Random(1).NextBytes(pixels);
        ds.AddOrUpdate(DicomTags.PixelData, VR.OW, pixels);
        return ds;
    }

    private static async Task<ushort> StoreAsync(DicomAssociation association, DicomDataset ds)
    {
        var pc = association.AcceptedContexts(CtImage).First();
        var rq = DimseCommand.Request(CommandField.CStoreRequest, association.NextMessageId(), CtImage, true);
        rq.AffectedSopInstanceUid = ds.GetString(DicomTags.SOPInstanceUID);
        var data = Part10.WriteDataSet(ds, pc.AcceptedTransferSyntax!);
        ushort status = 0xFFFF;
        await foreach (var r in association.SendRequestAsync(pc.Id, rq, (s, ct) => s.WriteAsync(data, ct).AsTask()))
            using (r) status = r.Command.Status;
        return status;
    }

    [Test]
    public async Task C_ECHO_and_release()
    {
        await using var server = new TestServer();
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
        Assert.That(server.Log.WaitFor("ended: released"), Does.Contain("TESTSCU->SCP"));
    }

    [Test]
    public async Task C_STORE_is_fragmented_to_the_receivers_max_PDU_and_spooled_to_a_file()
    {
        // The acceptor takes P-DATA-TF of at most 4 KiB: a 300 KB data set arrives in ~75 PDUs, or the association is aborted.
        await using var server = new TestServer(new AssociationOptions { MaxPduLength = 4096 });
        await using var client = await server.ConnectAsync([(CtImage, [TransferSyntax.ExplicitVRLittleEndian.Uid])]);
        Assert.That(client.Association.PeerMaxPduLength, Is.EqualTo(4096));
        var ds = Instance("1.2.3.4.5", 300_000);
        Assert.That(await StoreAsync(client.Association, ds), Is.EqualTo(DimseStatus.Success));
        await client.ReleaseAsync();
        var stored = DicomFile.Open(server.Provider.Stored.Single());
        Assert.That(stored.TransferSyntax, Is.EqualTo(TransferSyntax.ExplicitVRLittleEndian));
        Assert.That(stored.Meta.GetString(DicomTags.MediaStorageSOPInstanceUID), Is.EqualTo("1.2.3.4.5"));
        Assert.That(stored.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(ds.GetBytes(DicomTags.PixelData).ToArray()));
        Assert.That(Directory.GetFiles(server.Spool), Is.Empty, "spool files are removed once handled");
    }

    [Test]
    public async Task A_spooled_data_set_is_hashed_as_it_arrives_when_asked()
    {
        // Small PDUs: the hash is appended fragment by fragment, and must equal the hash of the data set's bytes whole
        // (not of the Part 10 header the spool puts in front of them).
        await using var hashing = new TestServer(new AssociationOptions { MaxPduLength = 4096, DataSetHash = _ => new System.IO.Hashing.XxHash128() });
        await using var plain = new TestServer();
        var ds = Instance("1.2.3.4.6", 100_001);
        var sent = Part10.WriteDataSet(ds, TransferSyntax.ExplicitVRLittleEndian.Uid);
        foreach (var server in new[] { hashing, plain })
        {
            await using var client = await server.ConnectAsync([(CtImage, [TransferSyntax.ExplicitVRLittleEndian.Uid])]);
            Assert.That(await StoreAsync(client.Association, ds), Is.EqualTo(DimseStatus.Success));
            await client.ReleaseAsync();
        }
        Assert.That(hashing.Provider.DataSetHashes["1.2.3.4.6"], Is.EqualTo(System.IO.Hashing.XxHash128.Hash(sent)));
        var spooled = File.ReadAllBytes(hashing.Provider.Stored.Single());
        Assert.That(spooled.AsSpan(spooled.Length - sent.Length).SequenceEqual(sent), Is.True, "the data set follows the spool's header unchanged");
        Assert.That(plain.Provider.DataSetHashes["1.2.3.4.6"], Is.Null, "no hash unless the association options ask for one");
    }

    [Test]
    public async Task A_spool_is_written_back_as_it_arrives_when_asked_and_arrives_unchanged_and_a_query_after_it_is_answered()
    {
        // 3 MB in 4 KB PDUs: writeback is started every MiB and at the end. The spool must hold exactly what was sent,
        // and the option is asked once per C-STORE, for that C-STORE's association.
        var asked = new ConcurrentQueue<string>();
        await using var server = new TestServer(new AssociationOptions { MaxPduLength = 4096, SpoolWriteback = a => { asked.Enqueue(a.CalledAe); return true; } });
        var large = Instance("1.2.3.4.7", 3_000_001);
        var small = Instance("1.2.3.4.8", 10_001);
        server.Provider.FindResults.Add(small);
        await using (var client = await server.ConnectAsync([(CtImage, [TransferSyntax.ExplicitVRLittleEndian.Uid]), (SopClasses.StudyRootFind, [TransferSyntax.ImplicitVRLittleEndian.Uid])]))
        {
            Assert.That(await StoreAsync(client.Association, large), Is.EqualTo(DimseStatus.Success));
            Assert.That(await StoreAsync(client.Association, small), Is.EqualTo(DimseStatus.Success));
            // A request with an in-memory data set after them (an identifier): nothing of the spools' writeback applies.
            var pc = client.Association.AcceptedContexts(SopClasses.StudyRootFind).First();
            var identifier = new DicomDataset();
            identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, "STUDY");
            var query = Part10.WriteDataSet(identifier, pc.AcceptedTransferSyntax!);
            var statuses = new List<ushort>();
            await foreach (var r in client.Association.SendRequestAsync(pc.Id, DimseCommand.Request(CommandField.CFindRequest, client.Association.NextMessageId(), SopClasses.StudyRootFind, true),
                               (st, ct) => st.WriteAsync(query, ct).AsTask()))
                using (r) statuses.Add(r.Command.Status);
            Assert.That(statuses, Is.EqualTo(new[] { DimseStatus.Pending, DimseStatus.Success }));
            await client.ReleaseAsync();
        }
        Assert.That(asked, Has.Count.EqualTo(2));
        foreach (var (uid, ds) in new[] { ("1.2.3.4.7", large), ("1.2.3.4.8", small) })
        {
            var sent = Part10.WriteDataSet(ds, TransferSyntax.ExplicitVRLittleEndian.Uid);
            var spooled = File.ReadAllBytes(server.Provider.Stored.Single(f => f.EndsWith(uid + ".dcm", StringComparison.Ordinal)));
            Assert.That(spooled.AsSpan(spooled.Length - sent.Length).SequenceEqual(sent), Is.True, uid);
        }
    }

    [Test]
    public async Task A_C_STORE_is_handled_on_the_read_loop_only_while_its_association_is_the_servers_only_one()
    {
        // Alone, a C-STORE skips the hand-off to a pool thread; beside another association (even an idle one) it
        // must not hold up the read loop's thread, which may serve the other's I/O.
        await using var server = new TestServer();
        await using (var client = await server.ConnectAsync([(CtImage, [TransferSyntax.ExplicitVRLittleEndian.Uid])]))
        {
            Assert.That(await StoreAsync(client.Association, Instance("1.2.3.4.9", 1_000)), Is.EqualTo(DimseStatus.Success));
            await client.ReleaseAsync();
        }
        await using var idle = await server.ConnectAsync([(SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])]);
        await using (var client = await server.ConnectAsync([(CtImage, [TransferSyntax.ExplicitVRLittleEndian.Uid])]))
        {
            Assert.That(await StoreAsync(client.Association, Instance("1.2.3.4.10", 1_000)), Is.EqualTo(DimseStatus.Success));
            await client.ReleaseAsync();
        }
        Assert.That(server.Provider.StoredOnReadLoop["1.2.3.4.9"], Is.True, "the only association");
        Assert.That(server.Provider.StoredOnReadLoop["1.2.3.4.10"], Is.False, "beside another association");
    }

    [Test]
    public async Task Negotiation_answers_each_context_and_echoes_roles_and_extended_negotiation()
    {
        await using var server = new TestServer();
        await using var client = await server.ConnectAsync(
            [
                (SopClasses.Verification, ["1.2.999"]),                                    // no transfer syntax we know
                ("1.2.3.999", [TransferSyntax.ImplicitVRLittleEndian.Uid]),               // unknown abstract syntax
                (SopClasses.StudyRootGet, [TransferSyntax.ExplicitVRBigEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid]),
                (CtImage, ["1.2.840.10008.1.2.4.70"]),
            ],
            roles: [new RoleSelection(CtImage, false, true)]);
        var ac = client.Association.Accepted.PresentationContexts;
        Assert.That(ac[0].Result, Is.EqualTo(PresentationContextResult.TransferSyntaxesNotSupported));
        Assert.That(ac[1].Result, Is.EqualTo(PresentationContextResult.AbstractSyntaxNotSupported));
        Assert.That(ac[2].AcceptedTransferSyntax, Is.EqualTo(TransferSyntax.ExplicitVRBigEndian.Uid), "the requestor's order when we have no preference");
        Assert.That(ac[3].AcceptedTransferSyntax, Is.EqualTo("1.2.840.10008.1.2.4.70"), "storage accepts compressed syntaxes as received");
        Assert.That(client.Association.GrantedRole(CtImage), Is.EqualTo(new RoleSelection(CtImage, false, true)));
        await client.ReleaseAsync();
    }

    [Test]
    public void Contexts_we_send_on_take_the_callers_compression_else_the_requestors_choice()
    {
        // getscu +xy: one context per class, JPEG Baseline first, then the native syntaxes; SCP role for the requestor (C-GET).
        string[] jpegFirst = ["1.2.840.10008.1.2.4.50", TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid];
        var rq = new AssociateRequest
        {
            CalledAe = "A", CallingAe = "VIEWER",
            PresentationContexts = [new PresentationContext(1, CtImage, jpegFirst), new PresentationContext(3, MrImage, jpegFirst), new PresentationContext(5, CtImage, ["1.2.840.10008.1.2.4.80"])],
            UserInformation = new UserInformation { RoleSelections = [new RoleSelection(CtImage, false, true)] },
        };
        var policy = new NegotiationPolicy { TransferSyntaxesFor = _ => SopClasses.AllTransferSyntaxes };
        var ac = policy.Answer(rq, new AssociateRequest { CalledAe = "A", CallingAe = "VIEWER" }).PresentationContexts;
        Assert.That(ac[0].AcceptedTransferSyntax, Is.EqualTo("1.2.840.10008.1.2.4.50"), "we send CT on it: the requestor's first choice (what is stored in it goes as stored)");
        Assert.That(ac[1].AcceptedTransferSyntax, Is.EqualTo("1.2.840.10008.1.2.4.50"), "MR has no role selection: the requestor sends on it, its order decides");
        Assert.That(ac[2].AcceptedTransferSyntax, Is.EqualTo("1.2.840.10008.1.2.4.80"), "a context of one syntax: as proposed");
        // A known peer with compression configured gets it where it proposes it.
        var compressing = policy with { SendingPreference = ae => ae == "VIEWER" ? ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.50"] : [] };
        Assert.That(compressing.Answer(rq, new AssociateRequest { CalledAe = "A", CallingAe = "VIEWER" }).PresentationContexts[0].AcceptedTransferSyntax,
            Is.EqualTo("1.2.840.10008.1.2.4.50"), "the caller's compression, when proposed");
        var viewer = rq with { PresentationContexts = [new PresentationContext(1, CtImage, [TransferSyntax.ExplicitVRLittleEndian.Uid, "1.2.840.10008.1.2.4.50"])] };
        Assert.That(compressing.Answer(viewer, new AssociateRequest { CalledAe = "A", CallingAe = "VIEWER" }).PresentationContexts[0].AcceptedTransferSyntax,
            Is.EqualTo("1.2.840.10008.1.2.4.50"), "the caller's compression, when proposed, before its own order");
        Assert.That(compressing.Answer(viewer with { CallingAe = "OTHER" }, new AssociateRequest { CalledAe = "A", CallingAe = "OTHER" }).PresentationContexts[0].AcceptedTransferSyntax,
            Is.EqualTo(TransferSyntax.ExplicitVRLittleEndian.Uid), "another caller's order");
    }

    [Test]
    public void Preference_order_and_extended_negotiation_of_the_policy()
    {
        var policy = new NegotiationPolicy
        {
            TransferSyntaxesFor = _ => SopClasses.AllTransferSyntaxes,
            TransferSyntaxPreference = [TransferSyntax.ExplicitVRLittleEndian.Uid],
        };
        var rq = new AssociateRequest
        {
            CalledAe = "A", CallingAe = "B",
            PresentationContexts = [new PresentationContext(1, CtImage, [TransferSyntax.ImplicitVRLittleEndian.Uid, TransferSyntax.ExplicitVRLittleEndian.Uid])],
            UserInformation = new UserInformation
            {
                ExtendedNegotiations = [new ExtendedNegotiation(SopClasses.StudyRootFind, [1, 1, 1, 1]), new ExtendedNegotiation(SopClasses.StudyRootGet, [1])],
                UserIdentity = new UserIdentity(UserIdentity.Username, true, "bob"u8.ToArray(), []),
            },
        };
        var ac = policy.Answer(rq with { PresentationContexts = [.. rq.PresentationContexts, new PresentationContext(3, SopClasses.StudyRootFind, [TransferSyntax.ImplicitVRLittleEndian.Uid]), new PresentationContext(5, SopClasses.StudyRootGet, [TransferSyntax.ImplicitVRLittleEndian.Uid])] }, new AssociateRequest { CalledAe = "A", CallingAe = "B" });
        Assert.That(ac.PresentationContexts[0].AcceptedTransferSyntax, Is.EqualTo(TransferSyntax.ExplicitVRLittleEndian.Uid));
        // Relational queries, combined date-time matching, fuzzy person-name matching and timezone query adjustment accepted.
        Assert.That(ac.UserInformation.ExtendedNegotiations[0].ServiceClassApplicationInformation, Is.EqualTo(new byte[] { 1, 1, 1, 1 }));
        Assert.That(ac.UserInformation.ExtendedNegotiations[1].ServiceClassApplicationInformation, Is.EqualTo(new byte[] { 1 }), "relational retrieval");
        var strict = (policy with { Relational = false, FuzzyMatching = false, CombinedDateTime = false, TimezoneQueryAdjustment = false }).Answer(rq with { PresentationContexts = [new PresentationContext(3, SopClasses.StudyRootFind, [TransferSyntax.ImplicitVRLittleEndian.Uid])] }, new AssociateRequest { CalledAe = "A", CallingAe = "B" });
        Assert.That(strict.UserInformation.ExtendedNegotiations.Single().ServiceClassApplicationInformation, Is.EqualTo(new byte[4]));
        Assert.That(ac.UserInformation.UserIdentityResponse, Is.Empty, "positive response requested: an empty server response");
    }

    [Test]
    public async Task C_FIND_streams_pending_responses_and_C_CANCEL_stops_it()
    {
        await using var server = new TestServer();
        for (var i = 0; i < 100; i++)
        {
            var r = new DicomDataset();
            r.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, $"1.2.3.{i}");
            server.Provider.FindResults.Add(r);
        }
        await using var client = await server.ConnectAsync([(SopClasses.StudyRootFind, [TransferSyntax.ImplicitVRLittleEndian.Uid]), (SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])]);
        var association = client.Association;
        var pc = association.AcceptedContexts(SopClasses.StudyRootFind).First();
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, "STUDY");
        identifier.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, Array.Empty<byte>());
        var data = Part10.WriteDataSet(identifier, pc.AcceptedTransferSyntax!);

        var all = new List<ushort>();
        await foreach (var r in association.SendRequestAsync(pc.Id, DimseCommand.Request(CommandField.CFindRequest, association.NextMessageId(), SopClasses.StudyRootFind, true), (s, ct) => s.WriteAsync(data, ct).AsTask()))
            using (r) all.Add(r.Command.Status);
        Assert.That(all.Count(s => s == DimseStatus.Pending), Is.EqualTo(100));
        Assert.That(all[^1], Is.EqualTo(DimseStatus.Success));

        server.Provider.FindDelay = TimeSpan.FromMilliseconds(20);
        var statuses = new List<ushort>();
        var request = DimseCommand.Request(CommandField.CFindRequest, association.NextMessageId(), SopClasses.StudyRootFind, true);
        await foreach (var r in association.SendRequestAsync(pc.Id, request, (s, ct) => s.WriteAsync(data, ct).AsTask()))
        {
            using (r) statuses.Add(r.Command.Status);
            if (statuses.Count == 3) await association.SendCancelAsync(pc.Id, request.MessageId);
        }
        Assert.That(statuses[^1], Is.EqualTo(DimseStatus.Cancel), "the final response of a cancelled C-FIND is FE00 (PS3.4 C.4.1.1.4)");
        Assert.That(statuses.Count, Is.LessThan(20));
        Assert.That(await TestServer.EchoOnAsync(association), Is.EqualTo(DimseStatus.Success), "the association goes on after the cancel");
        await client.ReleaseAsync();
    }

    /// <summary><paramref name="count"/> stored instances (explicit VR) offered to any retrieve, in a folder of the server's.</summary>
    private static string StageRetrieveItems(TestServer server, int count, int pixelBytes)
    {
        var source = Path.Combine(server.Folder, "source");
        Directory.CreateDirectory(source);
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(source, $"{i}.dcm");
            new DicomFile(new DicomDataset(), Instance($"1.2.3.{i}", pixelBytes), TransferSyntax.ExplicitVRLittleEndian).Save(path);
            server.Provider.RetrieveItems.Add(new RetrieveItem(path, CtImage, $"1.2.3.{i}", TransferSyntax.ExplicitVRLittleEndian.Uid));
        }
        return source;
    }

    /// <summary>
    /// A study-level C-GET on a new association whose C-STORE sub-operations land in <paramref name="received"/>; all its
    /// responses. <paramref name="afterStore"/> runs after each sub-operation is answered, with the C-GET's context and
    /// message ID; <paramref name="afterGet"/> before the release.
    /// </summary>
    private static async Task<List<DimseMessage>> StudyGetAsync(TestServer server, string transferSyntax, List<string> received,
        Func<DicomAssociation, byte, ushort, Task>? afterStore = null, Func<DicomAssociation, Task>? afterGet = null)
    {
        var receiver = new Receiver(received, Directory.CreateDirectory(Path.Combine(server.Folder, "got")).FullName);
        await using var client = await server.ConnectAsync(
            [(SopClasses.StudyRootGet, [transferSyntax]), (CtImage, [transferSyntax]), (SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
            roles: [new RoleSelection(CtImage, false, true)], handler: receiver);
        var association = client.Association;
        var pc = association.AcceptedContexts(SopClasses.StudyRootGet).First();
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, "STUDY");
        identifier.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, "1.2");
        var data = Part10.WriteDataSet(identifier, pc.AcceptedTransferSyntax!);
        var request = DimseCommand.Request(CommandField.CGetRequest, association.NextMessageId(), SopClasses.StudyRootGet, true);
        if (afterStore != null) receiver.AfterStore = a => afterStore(a, pc.Id, request.MessageId);
        var responses = new List<DimseMessage>();
        await foreach (var r in association.SendRequestAsync(pc.Id, request, (s, ct) => s.WriteAsync(data, ct).AsTask()))
            responses.Add(r);
        if (afterGet != null) await afterGet(association);
        await client.ReleaseAsync();
        return responses;
    }

    [Test]
    public async Task C_GET_sends_sub_operations_on_the_same_association_with_counts()
    {
        await using var server = new TestServer();
        var source = StageRetrieveItems(server, 3, 1000);
        server.Provider.RetrieveItems.Add(new RetrieveItem(Path.Combine(source, "missing.dcm"), CtImage, "1.2.3.99", TransferSyntax.ExplicitVRLittleEndian.Uid));
        var received = new List<string>();
        var responses = await StudyGetAsync(server, TransferSyntax.ImplicitVRLittleEndian.Uid, received);
        using (var final = responses[^1])
        {
            Assert.That(final.Command.Status, Is.EqualTo(DimseStatus.SubOperationsWarning));
            Assert.That((final.Command.Completed, final.Command.Failed, final.Command.Warning), Is.EqualTo(((ushort?)3, (ushort?)1, (ushort?)0)));
            Assert.That(final.ReadDataSet()!.GetStrings(DicomTags.FailedSOPInstanceUIDList), Is.EqualTo(new[] { "1.2.3.99" }));
        }
        Assert.That(received, Has.Count.EqualTo(3));
        // Explicit VR stored, implicit VR accepted: re-encoded on the way, same values.
        var got = DicomFile.Open(received[0]);
        Assert.That(got.TransferSyntax, Is.EqualTo(TransferSyntax.ImplicitVRLittleEndian));
        Assert.That(got.Dataset.GetString(DicomTags.PatientName), Is.EqualTo("Doe^John"));
    }

    /// <summary>
    /// An instance stored with encapsulated Pixel Data under the native syntax it claims (Odil 0.12 sent such; intake now
    /// refuses them, older archives may hold some) cannot be re-encoded for a peer that accepted another syntax: its
    /// sub-operation fails with the reason, the others complete, and the association goes on.
    /// </summary>
    [Test]
    public async Task An_instance_whose_pixel_data_contradicts_its_syntax_fails_only_its_own_sub_operation()
    {
        await using var server = new TestServer();
        var source = StageRetrieveItems(server, 2, 1000);
        var broken = Instance("1.2.3.77", 0);
        broken.Remove(DicomTags.PixelData);
        broken.Add(new DicomFragmentSequence(DicomTags.PixelData, VR.OB, DicomBuffer.Empty, [new MemoryBuffer(new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 })]));
        var path = Path.Combine(source, "broken.dcm");
        File.WriteAllBytes(path, [.. Part10.Header(CtImage, "1.2.3.77", TransferSyntax.ExplicitVRLittleEndian.Uid), .. Part10.WriteDataSet(broken, "1.2.840.10008.1.2.4.50")]);
        server.Provider.RetrieveItems.Insert(1, new RetrieveItem(path, CtImage, "1.2.3.77", TransferSyntax.ExplicitVRLittleEndian.Uid));
        var received = new List<string>();
        var echoAfter = DimseStatus.ProcessingFailure;
        var responses = await StudyGetAsync(server, TransferSyntax.ImplicitVRLittleEndian.Uid, received, afterGet: async a => echoAfter = await TestServer.EchoOnAsync(a));
        using (var final = responses[^1])
        {
            Assert.That(final.Command.Status, Is.EqualTo(DimseStatus.SubOperationsWarning));
            Assert.That((final.Command.Completed, final.Command.Failed), Is.EqualTo(((ushort?)2, (ushort?)1)));
            Assert.That(final.ReadDataSet()!.GetStrings(DicomTags.FailedSOPInstanceUIDList), Is.EqualTo(new[] { "1.2.3.77" }));
        }
        Assert.That(received, Has.Count.EqualTo(2));
        Assert.That(echoAfter, Is.EqualTo(DimseStatus.Success), "the association goes on");
        Assert.That(server.Log.WaitFor("which is native"), Does.Contain("its Pixel Data is encapsulated under Explicit VR Little Endian, which is native"));
    }

    [Test]
    public async Task A_retrieval_polls_for_its_responses()
    {
        await using var server = new TestServer();
        StageRetrieveItems(server, 40, 1000);
        var before = ReplyPoll.Polls;
        var received = new List<string>();
        var responses = await StudyGetAsync(server, TransferSyntax.ExplicitVRLittleEndian.Uid, received);
        Assert.That(responses[^1].Command.Status, Is.EqualTo(DimseStatus.Success));
        Assert.That(received, Has.Count.EqualTo(40));
        Assert.That(ReplyPoll.Polls - before, Is.GreaterThan(0), "the sub-operations' responses were polled for");
    }

    [TestCase(0, 5)]
    [TestCase(3_600_000, 0)]
    public async Task C_GET_pending_responses_come_at_most_once_per_interval_and_count_down(int intervalMs, int expectedPending)
    {
        await using var server = new TestServer();
        server.Provider.PendingInterval = TimeSpan.FromMilliseconds(intervalMs);
        StageRetrieveItems(server, 6, 100);
        var received = new List<string>();
        var responses = await StudyGetAsync(server, TransferSyntax.ExplicitVRLittleEndian.Uid, received);
        var pending = responses.Where(r => DimseStatus.IsPending(r.Command.Status)).Select(r => (r.Command.Remaining, r.Command.Completed)).ToList();
        var final = responses[^1].Command;
        responses.ForEach(r => r.Dispose());
        // Never one after the last sub-operation: the final response follows it at once.
        Assert.That(pending, Has.Count.EqualTo(expectedPending));
        for (var i = 0; i < pending.Count; i++) Assert.That(pending[i], Is.EqualTo(((ushort?)(5 - i), (ushort?)(i + 1))), $"pending response {i}");
        Assert.That((final.Status, final.Completed, final.Remaining), Is.EqualTo((DimseStatus.Success, (ushort?)6, (ushort?)null)));
        Assert.That(received, Has.Count.EqualTo(6));
    }

    private static readonly byte[] StrayMetaElement = [0x02, 0x00, 0x00, 0x02, (byte)'O', (byte)'B', 0, 0, 4, 0, 0, 0, 1, 2, 3, 4];

    [TestCase(300_000, false)] // file meta information longer than the 256 KiB read ahead of the send
    [TestCase(262_140, false)] // the data set's first element header only partly in the read ahead
    [TestCase(262_136, false)] // that header just in it
    [TestCase(262_144, false)] // the data set begins where the read ahead ends
    [TestCase(262_140, true)]  // a last meta element whose header is only partly in the read ahead
    public async Task C_GET_sends_the_data_set_wherever_the_file_meta_information_ends(int dataSetStart, bool straddlingMetaElement)
    {
        await using var server = new TestServer();
        var source = Path.Combine(server.Folder, "source");
        Directory.CreateDirectory(source);
        var path = Path.Combine(source, "0.dcm");
        var original = Instance("1.2.3.0", 1000);
        void Write(int privateBytes)
        {
            var meta = new DicomDataset();
            meta.AddOrUpdate(DicomTags.PrivateInformationCreatorUID, VR.UI, "1.2.3.4");
            meta.AddOrUpdate(DicomTags.PrivateInformation, VR.OB, new byte[privateBytes]);
            new DicomFile(meta, original, TransferSyntax.ExplicitVRLittleEndian).Save(path);
        }
        long DataSetOffset() { using var f = File.OpenRead(path); return Part10.LocateDataSet(f)!.Value.Offset; }
        Write(100_000);
        Write(100_000 + dataSetStart - (int)DataSetOffset());
        Assert.That(DataSetOffset(), Is.EqualTo(dataSetStart));
        if (straddlingMetaElement)
        {
            // One more group 0002 element (OB, 4 bytes) where the data set began; our writer never puts one after (0002,0102).
            var bytes = File.ReadAllBytes(path).ToList();
            bytes.InsertRange(dataSetStart, StrayMetaElement);
            File.WriteAllBytes(path, bytes.ToArray());
            Assert.That(DataSetOffset(), Is.EqualTo(dataSetStart + 16));
        }
        server.Provider.RetrieveItems.Add(new RetrieveItem(path, CtImage, "1.2.3.0", TransferSyntax.ExplicitVRLittleEndian.Uid));

        var received = new List<string>();
        var responses = await StudyGetAsync(server, TransferSyntax.ExplicitVRLittleEndian.Uid, received);
        Assert.That(responses[^1].Command.Status, Is.EqualTo(DimseStatus.Success));
        responses.ForEach(r => r.Dispose());
        Assert.That(received, Has.Count.EqualTo(1));
        // The receiver's spool is a Part 10 header of its own, then the bytes received; a reader would take a group
        // 0002 element leading them for meta information, so the bytes are checked.
        Assert.That(File.ReadAllBytes(received[0]).AsSpan().IndexOf(StrayMetaElement), Is.EqualTo(-1), "no meta information element sent in the data set");
        var got = DicomFile.Open(received[0]).Dataset;
        Assert.That(got.Select(e => e.Tag), Is.EqualTo(original.Select(e => e.Tag)));
        Assert.That(got.GetString(DicomTags.PatientName), Is.EqualTo("Doe^John"));
        Assert.That(got.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(original.GetBytes(DicomTags.PixelData).ToArray()));
    }

    [TestCase(0)]
    [TestCase(100)]
    [TestCase(300_000)]     // more than the 256 KiB read ahead of the send: the rest is streamed when sent
    [TestCase(2_000_000)]
    public async Task C_GET_sends_each_stored_data_set_whole_whatever_its_size(int pixelBytes)
    {
        await using var server = new TestServer();
        var source = StageRetrieveItems(server, 3, pixelBytes);
        var received = new List<string>();
        var responses = await StudyGetAsync(server, TransferSyntax.ExplicitVRLittleEndian.Uid, received);
        Assert.That(responses[^1].Command.Status, Is.EqualTo(DimseStatus.Success));
        responses.ForEach(r => r.Dispose());
        Assert.That(received, Has.Count.EqualTo(3));
        foreach (var path in received)
        {
            var got = DicomFile.Open(path).Dataset;
            // The staged files are named after the last component of their SOP Instance UID.
            var original = DicomFile.Open(Path.Combine(source, got.GetString(DicomTags.SOPInstanceUID)!.Split('.')[^1] + ".dcm")).Dataset;
            Assert.That(got.GetString(DicomTags.PatientName), Is.EqualTo(original.GetString(DicomTags.PatientName)));
            Assert.That(got.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(original.GetBytes(DicomTags.PixelData).ToArray()));
        }
    }

    [Test]
    public async Task C_CANCEL_during_a_C_GET_stops_its_sub_operations_and_the_association_goes_on()
    {
        await using var server = new TestServer();
        StageRetrieveItems(server, 200, 100);
        var received = new List<string>();
        var cancelled = 0;
        ushort echo = 0;
        var responses = await StudyGetAsync(server, TransferSyntax.ExplicitVRLittleEndian.Uid, received,
            afterStore: async (association, context, getId) =>
            {
                // After the third instance: the requestor cancels (PS3.7 9.3.3.3), once.
                if (received.Count == 3 && Interlocked.Exchange(ref cancelled, 1) == 0) await association.SendCancelAsync(context, getId);
            },
            afterGet: async association => echo = await TestServer.EchoOnAsync(association));
        var final = responses[^1].Command;
        responses.ForEach(r => r.Dispose());
        Assert.That(final.Status, Is.EqualTo(DimseStatus.Cancel));
        Assert.That(final.Completed, Is.EqualTo((ushort?)received.Count), "every instance received was counted completed");
        Assert.That(received, Has.Count.InRange(3, 199), "the sub-operations stopped soon after the cancel");
        Assert.That((final.Completed ?? 0) + (final.Failed ?? 0) + (final.Warning ?? 0) + (final.Remaining ?? 0), Is.EqualTo(200), "what was not attempted is counted remaining");
        Assert.That(echo, Is.EqualTo(DimseStatus.Success), "the association goes on after the cancel");
    }

    /// <summary>Keeps each sub-operation's data set in <paramref name="folder"/> (the test server's, deleted with it).</summary>
    private sealed class Receiver(List<string> received, string folder) : IDimseRequestHandler
    {
        public Func<DicomAssociation, Task>? AfterStore { get; set; }

        public async Task HandleAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
        {
            var copy = Path.Combine(folder, $"{Guid.NewGuid():N}.dcm");
            File.Copy(request.DataSetFile!, copy);
            lock (received) received.Add(copy);
            await association.SendAsync(request.Context.Id, DimseCommand.ResponseTo(request.Command, DimseStatus.Success), (byte[]?)null, cancellationToken);
            if (AfterStore != null) await AfterStore(association);
        }
    }
}
