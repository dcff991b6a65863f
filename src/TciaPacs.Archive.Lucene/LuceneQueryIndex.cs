using Lucene.Net.Analysis.Core;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Store;
using Lucene.Net.Util;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using LuceneDirectory = Lucene.Net.Store.Directory;
using LuceneQuery = Lucene.Net.Search.Query;

namespace TciaPacs.Archive.Lucene;

/// <summary>
/// The query index (<see cref="IQueryIndex"/>) in Lucene.Net 4.8: one long-lived <see cref="IndexWriter"/>, a
/// <see cref="SearcherManager"/> refreshed on commit and in the background, one document per instance with
/// DICOM-aware terms (no analyzer). Search answers each matching key at the level of its attribute and combines
/// them per entity of the query level, so it never misses an entity whose attributes come from one of its instances.
/// </summary>
public sealed class LuceneQueryIndex : IQueryIndex
{
    private readonly LuceneDirectory _directory;
    private readonly bool _ownsDirectory;
    private readonly IndexWriter _writer;
    private readonly SearcherManager _searchers;
    private readonly Timer? _refresh;
    private readonly DocumentBuilder _builder;
    private readonly QueryTranslator _translator;
    private int _disposed;
    // Set by every change and cleared by the refresh that makes it visible: a query right after an acknowledged store
    // must see it (a C-FIND after a C-STORE), so a search after changes refreshes first instead of waiting for the timer.
    private int _changed;

    /// <summary>Opens (or creates) the index in folder <paramref name="path"/>.</summary>
    public LuceneQueryIndex(string path, LuceneQueryIndexOptions? options = null)
        : this(FSDirectory.Open(System.IO.Directory.CreateDirectory(path)), options, ownsDirectory: true)
    {
    }

    /// <summary>Uses <paramref name="directory"/> (a RAMDirectory in tests); disposes it if <paramref name="ownsDirectory"/>.</summary>
    public LuceneQueryIndex(LuceneDirectory directory, LuceneQueryIndexOptions? options = null, bool ownsDirectory = false)
    {
        options ??= new LuceneQueryIndexOptions();
        _directory = directory;
        _ownsDirectory = ownsDirectory;
        Attributes = options.Attributes;
        var map = new AttributeMap(options.Attributes);
        _builder = new DocumentBuilder(map);
        _translator = new QueryTranslator(map);
        var config = new IndexWriterConfig(LuceneVersion.LUCENE_48, new KeywordAnalyzer())
        {
            OpenMode = OpenMode.CREATE_OR_APPEND,
            RAMBufferSizeMB = options.RamBufferSizeMB,
        };
        _writer = new IndexWriter(directory, config);
        _signature = Signature(options.Attributes);
        // An index built with another attribute list (the configuration changed) cannot answer for the new one: empty
        // it, so that start-up recovery sees it lags the catalog and rebuilds it.
        var committed = DirectoryReader.IndexExists(directory) ? CommittedSignature(directory) : null;
        if (committed != null && committed != _signature) _writer.DeleteAll();
        _writer.SetCommitData(new Dictionary<string, string> { [SignatureKey] = _signature });
        if (committed != _signature) _writer.Commit();
        _searchers = new SearcherManager(_writer, true, null);
        if (options.RefreshInterval is { } every)
            _refresh = new Timer(_ => Refresh(), null, every, every);
    }

    private const string SignatureKey = "tciapacs.attributes";
    private readonly string _signature;

    /// <summary>The attribute list as stored in each commit: name, VR and level of every indexed attribute.</summary>
    private static string Signature(IReadOnlyList<IndexedAttribute> attributes) =>
        $"{DocumentFormat};" + string.Join(';', attributes.Select(a => $"{a.Keyword}|{a.Tag}|{a.VR}|{a.Level}"));

    /// <summary>The version of the document layout (<see cref="DocumentBuilder"/>): a change rebuilds existing indexes.</summary>
    private const string DocumentFormat = "format 2";

    private static string? CommittedSignature(LuceneDirectory directory)
    {
        var infos = new SegmentInfos();
        infos.Read(directory);
        return infos.UserData.TryGetValue(SignatureKey, out var value) ? value : "";
    }

    /// <summary>An index held in memory (tests, tools).</summary>
    public static LuceneQueryIndex InMemory(LuceneQueryIndexOptions? options = null) => new(new RAMDirectory(), options, ownsDirectory: true);

    public IReadOnlyList<IndexedAttribute> Attributes { get; }

    /// <summary>
    /// Instances visible to searches. After a crash, uncommitted instances are gone from the index while the catalog
    /// has them: compare with the catalog's count at start-up and rebuild (or re-index the difference) when they differ.
    /// </summary>
    public int InstanceCount
    {
        get
        {
            if (Interlocked.Exchange(ref _changed, 0) == 1) _searchers.MaybeRefreshBlocking();
            var searcher = _searchers.Acquire();
            try { return searcher.IndexReader.NumDocs; }
            finally { _searchers.Release(searcher); }
        }
    }

    public void Index(IndexedInstance instance)
    {
        // A new instance has no document to replace: skipping the delete-by-term saves its lookup at every flush.
        if (instance.IsNew) _writer.AddDocument(_builder.Build(instance));
        else _writer.UpdateDocument(new Term(FieldNames.Sop, instance.SopInstanceUid), _builder.Build(instance));
        Volatile.Write(ref _changed, 1);
    }

    public void Delete(string sopInstanceUid)
    {
        _writer.DeleteDocuments(new Term(FieldNames.Sop, sopInstanceUid));
        Volatile.Write(ref _changed, 1);
    }

    public void Commit()
    {
        _writer.Commit();
        _searchers.MaybeRefreshBlocking();
    }

    public void Clear()
    {
        _writer.DeleteAll();
        Commit();
    }

    public IReadOnlyList<string> Search(DicomQuery query, int maxResults)
    {
        if (maxResults <= 0 || query.Collections is { Count: 0 }) return [];
        if (Interlocked.Exchange(ref _changed, 0) == 1) _searchers.MaybeRefreshBlocking();
        var scope = CollectionScope(query.Collections);
        var keys = _translator.Translate(query);
        var levelField = FieldNames.OfLevel(query.Level);
        var searcher = _searchers.Acquire();
        try
        {
            // Each key gives the set of entities, at the coarser of its attribute's level and the query level, that
            // have an instance matching it: an attribute of a study is the same for all the study's instances, and
            // an attribute below the query level (Modality in a STUDY query) matches when any instance has it.
            var checks = new List<KeyCheck>();
            foreach (var key in keys)
            {
                var level = (QueryLevel)Math.Min((int)key.Level, (int)query.Level);
                var collector = new KeyCollector(FieldNames.OfLevel(level), []);
                searcher.Search(Scoped(key.Query, scope), collector);
                if (collector.Keys.Count == 0) return [];
                checks.Add(new KeyCheck(FieldNames.OfLevel(level), collector.Keys));
            }
            HashSet<string> result;
            if (checks.Count > 0 && checks.All(c => c.Field == levelField))
            {
                checks.Sort((a, b) => a.Keys.Count.CompareTo(b.Keys.Count));
                result = new HashSet<string>(checks[0].Keys, StringComparer.Ordinal);
                foreach (var c in checks.Skip(1)) result.IntersectWith(c.Keys);
            }
            else
            {
                var scan = new KeyCollector(levelField, checks);
                searcher.Search(Scoped(NarrowestScan(checks), scope), scan);
                result = scan.Keys;
            }
            return result.Order(StringComparer.Ordinal).Take(maxResults).ToList();
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>Documents of the smallest key set, when it is small enough to list; else all documents.</summary>
    private static LuceneQuery NarrowestScan(List<KeyCheck> checks)
    {
        var smallest = checks.OrderBy(c => c.Keys.Count).FirstOrDefault();
        if (smallest == null || smallest.Keys.Count > 1000) return new MatchAllDocsQuery();
        var bq = new BooleanQuery();
        foreach (var k in smallest.Keys) bq.Add(QueryTranslator.Term(smallest.Field, k), Occur.SHOULD);
        return bq;
    }

    // The caller's collections (DicomQuery.Collections), applied to every key and to the final scan; long lists nest.
    private static LuceneQuery? CollectionScope(IReadOnlySet<string>? collections)
    {
        if (collections == null) return null;
        var outer = new BooleanQuery();
        foreach (var chunk in collections.Chunk(1000))
        {
            var inner = new BooleanQuery();
            foreach (var c in chunk) inner.Add(QueryTranslator.Term(FieldNames.Collection, c), Occur.SHOULD);
            outer.Add(inner, Occur.SHOULD);
        }
        return outer;
    }

    private static LuceneQuery Scoped(LuceneQuery query, LuceneQuery? scope)
    {
        if (scope == null) return query;
        return new BooleanQuery { { query, Occur.MUST }, { scope, Occur.MUST } };
    }

    private void Refresh()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        try { _searchers.MaybeRefresh(); }
        // Raced with Dispose: Lucene.Net reports a closed writer or manager as AlreadyClosedException (internal type).
        catch (Exception e) when (e is ObjectDisposedException || e.GetType().Name == "AlreadyClosedException") { }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _refresh?.Dispose();
        _searchers.Dispose();
        _writer.Dispose(); // commits what is pending
        if (_ownsDirectory) _directory.Dispose();
    }
}
