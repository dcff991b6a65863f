using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace TciaPacs.Archive.Storage;

/// <summary>
/// A write-through stream that hashes the data set part of a Part 10 file as it is written: the preamble, "DICM" and
/// the File Meta Information group (PS3.10 7.1) are skipped, so the same data set sent twice with another meta header
/// (another Source AE, another implementation) has the same hash. A stream without a preamble is hashed whole.
/// The hash is XXH128 (32 hex digits): it finds identical resends and torn files, which needs no cryptographic
/// strength, at a tenth of SHA-256's CPU (SHA-256 was 9 % of an import's CPU). Archives written before keep SHA-256
/// (64 hex digits) in their catalog and file names; <see cref="ContentHash"/> compares across the two.
/// </summary>
internal sealed class ContentHashingStream(Stream inner, ContentHashAlgorithm algorithm = ContentHashAlgorithm.XxHash128) : Stream
{
    private readonly Hasher _hash = Hasher.Create(algorithm);
    private readonly byte[] _head = new byte[144];
    private int _headLength;
    private long _position;
    private long _datasetStart = -1;

    public string HashHex()
    {
        if (_datasetStart < 0) { _datasetStart = 0; _hash.Append(_head.AsSpan(0, _headLength)); }
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Consume(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Consume(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Consume(ReadOnlySpan<byte> data)
    {
        var start = _position;
        _position += data.Length;
        if (_datasetStart < 0)
        {
            var take = Math.Min(_head.Length - _headLength, data.Length);
            data[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
            if (_headLength < _head.Length) return;
            _datasetStart = DatasetOffset(_head);
            if (_datasetStart < _head.Length) _hash.Append(_head.AsSpan((int)_datasetStart));
        }
        // Bytes of this write at or after the data set start that the head buffer did not already cover.
        var from = Math.Max(Math.Max(_datasetStart, _head.Length), start);
        if (from < _position) _hash.Append(data[(int)(from - start)..]);
    }

    /// <summary>Offset of the data set: 128 + 4 + the (0002,0000) element (12 bytes, explicit VR LE) + its value.</summary>
    private static long DatasetOffset(byte[] head)
    {
        if (head[128] != 'D' || head[129] != 'I' || head[130] != 'C' || head[131] != 'M') return 0;
        var tag = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(132));
        if (tag != 0x00000002 || head[136] != 'U' || head[137] != 'L') return 0;
        return 144 + BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(140));
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _position;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The two algorithms behind one interface (XxHash128 is a NonCryptographicHashAlgorithm, SHA-256 an IncrementalHash).</summary>
    private abstract class Hasher : IDisposable
    {
        public static Hasher Create(ContentHashAlgorithm algorithm) =>
            algorithm == ContentHashAlgorithm.Sha256 ? new Sha256Hasher() : new XxHasher();

        public abstract void Append(ReadOnlySpan<byte> data);
        public abstract byte[] GetHashAndReset();
        public virtual void Dispose() { }
    }

    private sealed class XxHasher : Hasher
    {
        private readonly XxHash128 _hash = new();
        public override void Append(ReadOnlySpan<byte> data) => _hash.Append(data);
        public override byte[] GetHashAndReset() => _hash.GetHashAndReset();
    }

    private sealed class Sha256Hasher : Hasher
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);
        public override byte[] GetHashAndReset() => _hash.GetHashAndReset();
        public override void Dispose() => _hash.Dispose();
    }
}

/// <summary>Content hashes of stored files, as hex: XXH128 now, SHA-256 in archives written before.</summary>
internal enum ContentHashAlgorithm { XxHash128, Sha256 }

internal static class ContentHash
{
    /// <summary>The algorithm of a stored hash, by its length (64 hex digits: SHA-256; 32: XXH128).</summary>
    public static ContentHashAlgorithm AlgorithmOf(string hash) => hash.Length == 64 ? ContentHashAlgorithm.Sha256 : ContentHashAlgorithm.XxHash128;

    /// <summary>The content hash of the Part 10 file at <paramref name="path"/> (data set only, as the store computes it).</summary>
    public static async Task<string> OfFileAsync(string path, ContentHashAlgorithm algorithm, CancellationToken ct)
    {
        await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var hashing = new ContentHashingStream(Stream.Null, algorithm);
        await input.CopyToAsync(hashing, ct).ConfigureAwait(false);
        return hashing.HashHex();
    }
}

/// <summary>
/// The content hash files are named and compared by, for a caller that hashes a data set while writing it (a DIMSE
/// association spooling a C-STORE), so that the store need not read the file again (<see cref="Storing.StoreRequest.DataSetHash"/>).
/// </summary>
public static class DataSetHashing
{
    /// <summary>A new hasher of the current algorithm (XXH128), to be fed the data set's bytes only: not the preamble or file meta.</summary>
    public static NonCryptographicHashAlgorithm Create() => new XxHash128();

    /// <summary>The hash of a hasher from <see cref="Create"/> as <see cref="Storing.StoreRequest.DataSetHash"/> takes it.</summary>
    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);
}
