using System.Buffers;
using System.Runtime.CompilerServices;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// Sends Part 10 files by C-STORE (PS3.4 B.2, PS3.7 9.1.1) on an established association: the data set bytes as
/// stored when a context with the file's transfer syntax was accepted (streamed from the file, never loaded), else
/// re-encoded into an accepted native transfer syntax when the file's is native too, or decoded into one by the
/// association's <see cref="IPixelDataDecoder"/> when the file's is a compressed syntax it decodes. With a compression
/// preference, a native instance goes encoded (the association's <see cref="IPixelDataEncoder"/>) in the first preferred
/// syntax the peer accepted for its SOP class, when that syntax holds its image; else as above.
/// </summary>
public static class StoreSender
{
    /// <summary>
    /// Opens the file of <paramref name="item"/> and reads its first bytes, ahead of sending it: a retrieval prepares
    /// the next instance while the peer is still storing the one before. Never throws for the file: what went wrong
    /// is thrown by <see cref="SendAsync(DicomAssociation, PreparedInstance, string?, ushort?, CancellationToken)"/>,
    /// in the sub-operation it belongs to.
    /// </summary>
    private static PreparedInstance Prepare(DicomAssociation association, RetrieveItem item, IReadOnlyList<string> compression, ref ContextChoice last)
    {
        if (item.Derivation is { } derivation)
        {
            // Made from its stored file on the thread pool, like a decode, while the instance before it is sent.
            var (on, how) = ChooseContext(association, item);
            var derived = new PreparedInstance(item, on);
            if (on == null) return derived;
            var (decoding, folder, syntax) = (association.PixelDataDecoder, association.TempDirectory, on.AcceptedTransferSyntax!);
            derived.Work = Task.Run(() => derived.Derive(derivation, how, decoding, folder, syntax));
            return derived;
        }
        // A retrieval's instances mostly share SOP class and transfer syntax: the previous choice is reused.
        if (last.SopClassUid != item.SopClassUid || last.TransferSyntaxUid != item.TransferSyntaxUid)
        {
            var (c, m) = ChooseContext(association, item);
            // A native instance for a peer that should get it compressed: the first preferred syntax it accepted.
            var native = !TransferSyntax.Lookup(item.TransferSyntaxUid).IsEncapsulated;
            var preferred = compression.Count > 0 && association.PixelDataEncoder != null && native
                ? compression.Select(ts => association.AcceptedContexts(item.SopClassUid).FirstOrDefault(x => x.AcceptedTransferSyntax == ts)).FirstOrDefault(x => x != null)
                : null;
            // An instance whose stored coding rebuilds exactly in another syntax (JPEG XL JPEG Recompression: its JPEG
            // streams) goes so rather than decoded, when the peer did not take the stored syntax but took that one.
            if (preferred == null && m != SendMode.AsStored && association.PixelDataEncoder != null)
                preferred = RebuildableIn(item.TransferSyntaxUid).Select(ts => association.AcceptedContexts(item.SopClassUid).FirstOrDefault(x => x.AcceptedTransferSyntax == ts)).FirstOrDefault(x => x != null);
            // An instance with no context it fits, where the requestor took a compressed syntax first (a C-GET by getscu
            // +xs, +xt, ...): encoded for it (decoded first when compressed), when the encoder holds its image in that
            // syntax; else no context.
            if (preferred == null && c == null && association.PixelDataEncoder != null
                && (native || association.PixelDataDecoder?.CanDecode(item.TransferSyntaxUid) == true))
                preferred = association.AcceptedContexts(item.SopClassUid).FirstOrDefault(x => TransferSyntax.Lookup(x.AcceptedTransferSyntax!).IsEncapsulated);
            last = new ContextChoice(item.SopClassUid, item.TransferSyntaxUid, c, m, preferred);
        }
        // Encoding and decoding are CPU work: they start here, on the thread pool, so that the instances prepared ahead
        // are encoded or decoded side by side while the peer stores the one before. What the syntax cannot hold goes as
        // chosen without the preference.
        if (last.EncodeOn is { } encodeOn)
        {
            var encoded = new PreparedInstance(item, encodeOn) { Encoder = association.PixelDataEncoder, Fallback = (last.Context, last.Mode) };
            var (encoder, temp, target) = (association.PixelDataEncoder!, association.TempDirectory, encodeOn.AcceptedTransferSyntax!);
            encoded.Work = Task.Run(() => encoded.Encode(encoder, temp, target));
            return encoded;
        }
        var prepared = Prepared(association, item, last.Context, last.Mode);
        if (prepared.Decoder is { } decoder && prepared.Context is { } context)
        {
            var (temp, target) = (association.TempDirectory, context.AcceptedTransferSyntax!);
            prepared.Work = Task.Run(() => prepared.Decode(decoder, temp, target));
        }
        return prepared;
    }

    private static PreparedInstance Prepared(DicomAssociation association, RetrieveItem item, PresentationContext? context, SendMode mode)
    {
        var prepared = new PreparedInstance(item, context);
        if (context == null) return prepared;
        Ready(association, prepared, mode);
        return prepared;
    }

    private static void Ready(DicomAssociation association, PreparedInstance prepared, SendMode mode)
    {
        try
        {
            // A decode is left to the send, which runs it on the thread pool: it is CPU work, and this may run on a
            // socket I/O thread.
            if (mode == SendMode.Decode) prepared.Decoder = association.PixelDataDecoder;
            else if (mode == SendMode.ReEncode) prepared.Parsed = DicomFile.Open(prepared.Item.FilePath);
            else
            {
                prepared.ReadAhead(prepared.Item.FilePath);
                // A data set of odd length holds a value of odd length (stored as a sloppy sender wrote it): it goes
                // written again, each value padded to even (PS3.5 7.1.1), since dcmtk refuses an odd fragment and
                // aborts the association. A deflated one is padded as it goes (PDataStream.FinishAsync).
                if ((prepared.DataSetLength & 1) == 1 && !TransferSyntax.Lookup(prepared.Item.TransferSyntaxUid).IsDeflated)
                    prepared.Parsed = DicomFile.Open(prepared.Item.FilePath);
            }
            // Encapsulated pixel data under the native syntax it was stored in (archives older than the intake check
            // hold such instances): no native syntax can carry it. That instance's sub-operation fails, not the retrieve.
            if (prepared.Parsed is { } parsed && parsed.Dataset.Get(DicomTags.PixelData) is DicomFragmentSequence
                && !TransferSyntax.Lookup(prepared.Context!.AcceptedTransferSyntax!).IsEncapsulated)
                throw new InvalidDataException($"{prepared.Item.FilePath}: its Pixel Data is encapsulated under {TransferSyntax.Lookup(prepared.Item.TransferSyntaxUid).Name}, which is native: it cannot be sent in another syntax");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            prepared.Fail(ex);
        }
    }

    /// <summary>Sends a prepared instance; the status of the C-STORE-RSP, or <see cref="NoContext"/>. The caller disposes <paramref name="prepared"/>.</summary>
    private static async Task<ushort> SendAsync(DicomAssociation association, PreparedInstance prepared, string? moveOriginatorAe, ushort? moveOriginatorMessageId, CancellationToken cancellationToken)
    {
        var item = prepared.Item;
        // Everything that can fail on our side happens before the command goes out: a message, once begun, must be
        // completed. A decode or encode therefore writes its whole file first (a corrupt frame found halfway through the
        // message could only be answered by aborting the association). Neither throws: a failure is recorded.
        if (prepared.Work is { } work) await work.ConfigureAwait(false);
        if (prepared.Encoder != null && prepared.EncodeDeclined)
        {
            // Not held by the syntax (or not an image): as it would have gone without the preference.
            var (fallback, mode) = prepared.Fallback;
            prepared.Context = fallback;
            if (fallback != null) Ready(association, prepared, mode);
        }
        if (prepared.Context is not { } context) return NoContext;
        prepared.ThrowIfFailed();
        var request = DimseCommand.Request(CommandField.CStoreRequest, association.NextMessageId(), item.SopClassUid, hasDataSet: true);
        request.AffectedSopInstanceUid = prepared.SentSopInstanceUid ?? item.SopInstanceUid;
        if (moveOriginatorAe != null)
        {
            request.MoveOriginatorAeTitle = moveOriginatorAe;
            request.MoveOriginatorMessageId = moveOriginatorMessageId;
        }
        Func<Stream, CancellationToken, Task> write = prepared.Parsed is { } parsed ? WriteTranscoded(parsed, context.AcceptedTransferSyntax!) : prepared.WriteAsStoredAsync;
        await foreach (var response in association.SendRequestAsync(context.Id, request, write, cancellationToken).ConfigureAwait(false))
        {
            using (response)
            {
                if (!DimseStatus.IsPending(response.Command.Status)) return response.Command.Status;
            }
        }
        throw new AssociationAbortedException("no C-STORE-RSP");
    }

    /// <summary>
    /// Sends <paramref name="items"/> one at a time (no asynchronous operations window), the next ones opened and read
    /// (or decoded, or encoded, side by side on the thread pool: one per core, at most <see cref="MaxAhead"/>) while the
    /// peer stores the one before, and yields each outcome. What failed for one instance, on our side or the peer's
    /// (<see cref="IsSendFailure"/>), is yielded with it; anything else is thrown. Stopping the iteration stops the
    /// sending: the instances prepared ahead are dropped.
    /// </summary>
    public static async IAsyncEnumerable<SentInstance> SendEachAsync(DicomAssociation association, IReadOnlyList<RetrieveItem> items, string? moveOriginatorAe,
        ushort? moveOriginatorMessageId, [EnumeratorCancellation] CancellationToken cancellationToken, IReadOnlyList<string>? compression = null)
    {
        if (items.Count == 0) yield break;
        compression ??= [];
        var choice = default(ContextChoice);
        var depth = Math.Clamp(Environment.ProcessorCount, 1, MaxAhead);
        var ahead = new Queue<PreparedInstance>();
        var prepared = 0;
        ahead.Enqueue(Prepare(association, items[prepared++], compression, ref choice));
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                using var current = ahead.Dequeue();
                // The send runs until it waits for the peer's C-STORE-RSP; the next instances are prepared meanwhile.
                var sending = SendAsync(association, current, moveOriginatorAe, moveOriginatorMessageId, cancellationToken);
                while (ahead.Count < depth && prepared < items.Count) ahead.Enqueue(Prepare(association, items[prepared++], compression, ref choice));
                ushort status = 0;
                Exception? error = null;
                try
                {
                    status = await sending.ConfigureAwait(false);
                }
                catch (Exception ex) when (IsSendFailure(ex))
                {
                    error = ex;
                }
                yield return new SentInstance(items[i], status, error);
            }
        }
        finally
        {
            // A decode or encode still running would write its file after the instance is gone: it finishes first.
            while (ahead.TryDequeue(out var dropped))
            {
                if (dropped.Work is { } work) await work.ConfigureAwait(false);
                dropped.Dispose();
            }
        }
    }

    /// <summary>The most instances prepared ahead of the one being sent (each holds an open file and a read buffer).</summary>
    public const int MaxAhead = 4;

    /// <summary>A failure that belongs to one instance's send: its file, its encoding, or the association it went on.</summary>
    public static bool IsSendFailure(Exception ex) =>
        ex is IOException or InvalidDataException or DicomParseException or AssociationAbortedException or OperationCanceledException or UnauthorizedAccessException;

    /// <summary>
    /// The syntaxes an instance stored in <paramref name="transferSyntaxUid"/> can be sent in without decoding it: JPEG
    /// XL JPEG Recompression rebuilds the JPEG each frame was made from (PS3.5 8.2.16), a baseline or extended
    /// sequential one, byte for byte. The encoder (<see cref="IPixelDataEncoder"/>) does the rebuilding.
    /// </summary>
    public static IReadOnlyList<string> RebuildableIn(string transferSyntaxUid) =>
        transferSyntaxUid == "1.2.840.10008.1.2.4.111" ? ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"] : [];

    /// <summary>Not a DIMSE status: no accepted presentation context fits the instance (counted as a failed sub-operation).</summary>
    public const ushort NoContext = 0xA702;

    /// <summary>
    /// The accepted context an instance goes on, and how: as stored when its syntax was accepted; else in an accepted
    /// native syntax, re-encoded from a native one or decoded from a compressed one the association's decoder handles
    /// (Explicit VR Little Endian when accepted: it keeps every VR). No context: the sub-operation fails.
    /// </summary>
    public static (PresentationContext? Context, SendMode Mode) ChooseContext(DicomAssociation association, RetrieveItem item)
    {
        var contexts = association.AcceptedContexts(item.SopClassUid).ToList();
        if (contexts.FirstOrDefault(c => c.AcceptedTransferSyntax == item.TransferSyntaxUid) is { } exact) return (exact, SendMode.AsStored);
        var natives = contexts.Where(c => !TransferSyntax.Lookup(c.AcceptedTransferSyntax!).IsEncapsulated).ToList();
        if (natives.Count == 0) return (null, SendMode.AsStored);
        // Native data, or an instance made without its pixel data, is written again in a native syntax.
        if (!TransferSyntax.Lookup(item.TransferSyntaxUid).IsEncapsulated || item.Derivation is { KeepsPixelData: false }) return (natives[0], SendMode.ReEncode);
        if (association.PixelDataDecoder?.CanDecode(item.TransferSyntaxUid) != true) return (null, SendMode.AsStored);
        return (natives.FirstOrDefault(c => c.AcceptedTransferSyntax == TransferSyntax.ExplicitVRLittleEndian.Uid) ?? natives[0], SendMode.Decode);
    }

    /// <summary>The context and mode chosen for a SOP class and stored syntax, and the context to encode on when a preferred compressed syntax was accepted.</summary>
    private readonly record struct ContextChoice(string? SopClassUid, string? TransferSyntaxUid, PresentationContext? Context, SendMode Mode, PresentationContext? EncodeOn = null);

    // Large values stay in the file (FileBuffer) and are copied through; the data set is never whole in memory. The
    // writer is synchronous, so its socket writes block: on a thread-pool thread, never on the thread that runs socket
    // completions (with inline completions a sub-operation starts there, and a blocked write would wait for itself).
    private static Func<Stream, CancellationToken, Task> WriteTranscoded(DicomFile file, string transferSyntaxUid) => (output, ct) =>
        Task.Run(() => DicomWriter.WriteDataset(output, file.Dataset, TransferSyntax.Lookup(transferSyntaxUid)), ct);
}

/// <summary>How <see cref="StoreSender"/> sends an instance on its chosen context.</summary>
public enum SendMode
{
    /// <summary>The data set's bytes as stored.</summary>
    AsStored,
    /// <summary>Parsed and written again in another native transfer syntax.</summary>
    ReEncode,
    /// <summary>Its compressed pixel data decoded (<see cref="IPixelDataDecoder"/>) into a native transfer syntax.</summary>
    Decode,
}

/// <summary>What became of one instance sent by <see cref="StoreSender.SendEachAsync"/>: the C-STORE-RSP status (or <see cref="StoreSender.NoContext"/>), or the failure that stopped its send.</summary>
public readonly record struct SentInstance(RetrieveItem Item, ushort Status, Exception? Error);

/// <summary>
/// An instance ready to go by C-STORE (<see cref="StoreSender.Prepare"/>): its presentation context, and either its
/// file open at the data set with the first bytes already read, or its parsed data set when it must be re-encoded, or
/// what went wrong.
/// </summary>
internal sealed class PreparedInstance : IDisposable
{
    // Read ahead of the send: a whole instance of up to this size, so that a retrieval of small instances reads each
    // while the peer stores the previous one; larger ones stream the rest when sent.
    private const int ReadAheadBytes = 256 * 1024;

    private Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private long _length;
    private byte[]? _head;
    private int _headLength;   // bytes of the file in _head, from its start
    private int _dataSetStart; // where the data set begins in it (after the file meta information)
    private long _resumeAt;    // where the reads after the buffer's continue in the file
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _failure;
    private string? _decodedPath; // the decoded or encoded copy, deleted on dispose
    private string? _madePath;    // a derived instance written out to be decoded, deleted on dispose

    internal PreparedInstance(RetrieveItem item, PresentationContext? context)
    {
        Item = item;
        Context = context;
    }

    public RetrieveItem Item { get; }
    internal PresentationContext? Context { get; set; }
    internal DicomFile? Parsed { get; set; }
    internal IPixelDataDecoder? Decoder { get; set; }
    internal IPixelDataEncoder? Encoder { get; init; }

    /// <summary>The decode or encode started when the instance was prepared; it never throws (a failure is recorded).</summary>
    internal Task? Work { get; set; }

    /// <summary>The SOP Instance UID of what is sent when it is not the stored instance's (a lossy encoding makes a new instance).</summary>
    internal string? SentSopInstanceUid { get; private set; }

    /// <summary>The encoder found that the syntax cannot hold the instance's image: it goes on <see cref="Fallback"/>.</summary>
    internal bool EncodeDeclined { get; private set; }

    /// <summary>With an <see cref="Encoder"/>: the context and mode the instance goes on when the encoder cannot hold its image.</summary>
    internal (PresentationContext? Context, SendMode Mode) Fallback { get; init; }

    /// <summary>
    /// Encodes the instance into a file of <paramref name="transferSyntaxUid"/> in <paramref name="folder"/> and reads
    /// ahead from it; false when the syntax cannot hold its image. A failure (an unreadable file) is recorded, as for a decode.
    /// </summary>
    internal bool Encode(IPixelDataEncoder encoder, string folder, string transferSyntaxUid)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"encoded-{Guid.NewGuid():N}.part");
            if (!encoder.TryEncode(Item.FilePath, transferSyntaxUid, path))
            {
                File.Delete(path);
                EncodeDeclined = true;
                return false;
            }
            _decodedPath = path;
            // A lossy encoding is a new instance (PS3.3 C.7.6.1.1.5): the request names the UID the encoder gave it.
            if (TransferSyntax.Lookup(transferSyntaxUid).IsLossy)
                SentSopInstanceUid = DicomFile.Open(path, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ');
            ReadAhead(path);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(ex is IOException or UnauthorizedAccessException or InvalidDataException or DicomParseException
                ? ex
                : new InvalidDataException($"{Item.FilePath}: its pixel data could not be encoded in {TransferSyntax.Lookup(transferSyntaxUid).Name}: {ex.Message}", ex));
        }
        return true;
    }

    /// <summary>
    /// Makes the instance by <paramref name="derivation"/> from its stored file, to be written as it is chosen to go
    /// (<paramref name="mode"/>); one whose compressed pixel data must be decoded is first written to a file in
    /// <paramref name="folder"/>, then decoded like a stored file. A failure is recorded, as for a decode.
    /// </summary>
    internal void Derive(InstanceDerivation derivation, SendMode mode, IPixelDataDecoder? decoder, string folder, string transferSyntaxUid)
    {
        try
        {
            var made = derivation.Make(Item.FilePath);
            if (mode != SendMode.Decode || decoder == null)
            {
                Parsed = made;
                return;
            }
            Directory.CreateDirectory(folder);
            _madePath = Path.Combine(folder, $"derived-{Guid.NewGuid():N}.part");
            using (var output = new FileStream(_madePath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
                made.Save(output);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(ex is IOException or UnauthorizedAccessException or InvalidDataException or DicomParseException
                ? ex
                : new InvalidDataException($"{Item.FilePath}: the instance to send could not be made from it: {ex.Message}", ex));
            return;
        }
        Decode(decoder, folder, transferSyntaxUid, _madePath);
    }

    /// <summary>
    /// Decodes the instance (its stored file, or <paramref name="sourcePath"/>) into a file of the native
    /// <paramref name="transferSyntaxUid"/> in <paramref name="folder"/> and reads ahead from it, or records why it
    /// could not. Named <c>*.part</c> like the spool files beside it, so that a server's start-up removes any a crash
    /// left behind.
    /// </summary>
    internal void Decode(IPixelDataDecoder decoder, string folder, string transferSyntaxUid, string? sourcePath = null)
    {
        try
        {
            Directory.CreateDirectory(folder);
            _decodedPath = Path.Combine(folder, $"decoded-{Guid.NewGuid():N}.part");
            decoder.Decode(sourcePath ?? Item.FilePath, transferSyntaxUid, _decodedPath);
            ReadAhead(_decodedPath);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var stored = TransferSyntax.Lookup(Item.TransferSyntaxUid);
            Fail(ex is IOException or UnauthorizedAccessException
                ? ex
                : new InvalidDataException($"{Item.FilePath}: its {stored.Name} pixel data could not be decoded: {ex.Message}", ex));
        }
    }

    /// <summary>
    /// Opens the file and reads its start, file meta information included, in one read; the data set's offset is
    /// found in those bytes. (A stream per file cost a 4 KiB buffer, a read for the meta information, one for the
    /// data and one more that found the end: on a retrieval's critical path, since the peer's C-STORE-RSP waits for
    /// this to finish on the same thread.)
    /// </summary>
    internal void ReadAhead(string path)
    {
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        _length = RandomAccess.GetLength(_file);
        _head = ArrayPool<byte>.Shared.Rent(ReadAheadBytes);
        // Synchronous: an asynchronous read is a thread-pool hand-off on Linux, and a stored file is usually in the
        // page cache; a read from disk blocks one pool thread for at most one buffer.
        var want = (int)Math.Min(_head.Length, _length);
        while (_headLength < want && RandomAccess.Read(_file, _head.AsSpan(_headLength, want - _headLength), _headLength) is var n and > 0) _headLength += n;
        using var start = new MemoryStream(_head, 0, _headLength, writable: false);
        // Exact when the whole file is in the buffer, or when the element after the meta information was (its group
        // is what ends the meta information).
        var located = Part10.LocateDataSet(start);
        if (located is { } l && l.Offset <= _headLength && (_headLength == _length || l.Offset + 8 <= _headLength))
        {
            _dataSetStart = (int)l.Offset;
            _resumeAt = _headLength;
        }
        else if (_headLength == _length) throw new InvalidDataException($"{path}: no file meta information, or one longer than the file");
        else
        {
            // Meta information longer than the buffer: found in the file, and the data set read from there.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            _resumeAt = (Part10.LocateDataSet(file) ?? throw new InvalidDataException($"{path}: no file meta information")).Offset;
            _headLength = _dataSetStart = 0;
        }
    }

    /// <summary>The bytes of the data set after <see cref="ReadAhead"/>: the file less its preamble and meta information.</summary>
    internal long DataSetLength => _length - (_resumeAt - (_headLength - _dataSetStart));

    internal void Fail(Exception ex) => _failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);

    internal void ThrowIfFailed() => _failure?.Throw();

    internal async Task WriteAsStoredAsync(Stream output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(_head.AsMemory(_dataSetStart, _headLength - _dataSetStart), cancellationToken).ConfigureAwait(false);
        int n;
        for (var at = _resumeAt; at < _length && (n = RandomAccess.Read(_file!, _head, at)) > 0; at += n)
            await output.WriteAsync(_head.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        if (_head != null) ArrayPool<byte>.Shared.Return(_head);
        _head = null;
        foreach (var path in new[] { _decodedPath, _madePath })
        {
            if (path == null) continue;
            try { File.Delete(path); }
            catch (IOException) { } // removed at the next start with the other *.part files
        }
        _decodedPath = _madePath = null;
    }
}

