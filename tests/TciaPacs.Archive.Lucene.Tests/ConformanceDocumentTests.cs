using System.Text;
using TciaPacs.Archive.Indexing;
using TciaPacs.Testing;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>
/// conformance/indexed-attributes.md is generated from <see cref="IndexedAttributes.Default"/>; this test fails when
/// they differ. Regenerate with <c>TCIAPACS_WRITE_CONFORMANCE=1 dotnet test --filter ConformanceDocument</c>.
/// </summary>
[TestFixture]
public sealed class ConformanceDocumentTests
{
    public static string Render()
    {
        var sb = new StringBuilder();
        sb.Append("# Indexed attributes\n\n");
        sb.Append("Generated from `IndexedAttributes.Default` (src/TciaPacs.Archive/Indexing/IndexedAttributes.cs) by\n");
        sb.Append("tests/TciaPacs.Archive.Lucene.Tests/ConformanceDocumentTests.cs, which fails when this file and the list differ.\n\n");
        sb.Append("The Lucene query index (`LuceneQueryIndex`) indexes these attributes of every instance. Its answer is a pre-filter:\n");
        sb.Append("it may return more entities than match, never fewer; the query engine confirms every result with the PS3.4 C.2.2.2\n");
        sb.Append("matcher. Keys on other attributes are not used by the index, only by the engine. The level is the Query/Retrieve\n");
        sb.Append("level (PS3.4 C.6.1.1) of the module the attribute belongs to; `Image` is the IMAGE (instance) level.\n\n");
        sb.Append("Extra attributes, private ones included, are configured as `TAG[@CREATOR] [VR] LEVEL` strings, e.g.\n");
        sb.Append("`ProtocolName Series` or `0019,xx0C@GEMS_ACQU_01 DS Series` (a private tag with `xx` for its block, found through\n");
        sb.Append("its private creator, PS3.5 7.8.1). A private key in a query is used when the query also carries its creator element.\n");
        sb.Append("They go in the configuration's `Index.ExtraAttributes` list (see samples/tciapacs.json), read alike by `serve`, `import` and\n");
        sb.Append("`reindex`; when the list changes, the index is emptied at the next start and rebuilt from the catalog and the files.\n\n");
        sb.Append("How values are indexed, by VR:\n\n");
        sb.Append("| VR | Indexed as | Matching (PS3.4 C.2.2.2) |\n|---|---|---|\n");
        sb.Append("| UI, AE, AS, CS, LO, LT, SH, ST, UC, UR, UT | exact term per value | single value, list of UIDs, wildcard `*` `?` (case-sensitive) |\n");
        sb.Append("| PN | whole value upper-cased; each component group trimmed and upper-cased; folded words | literal (case-insensitive, by group), wildcard (case-insensitive), fuzzy (each folded query word a prefix of a name word) |\n");
        sb.Append("| DS, IS, US, SS, UL, SL, FL, FD, … | the number as one canonical term (round-trip form of the double), plus the trimmed text | single value compared as numbers |\n");
        sb.Append("| DA, TM, DT | the span each value covers, in UTC ticks (start, end; trie fields, 8 bits a term) | ranges, open or closed, by overlap |\n");
        sb.Append("| SQ | has-items marker; item values flattened one level | sequence matching (approximated: item keys may be met by different items) |\n\n");
        sb.Append("Every attribute also marks absent or empty values, for empty value matching (`\"\"`).\n");
        sb.Append("Modalities in Study and SOP Classes in Study are answered from the Modality and SOP Class UID of the study's instances.\n\n");
        sb.Append($"{IndexedAttributes.Default.Count} attributes.\n\n");
        sb.Append("| Tag | Keyword | VR | Level |\n|---|---|---|---|\n");
        foreach (var a in IndexedAttributes.Default)
        {
            var note = IndexedAttributes.DerivedFrom.TryGetValue(a.Tag, out var source) ? $" (from {source})" : "";
            sb.Append($"| {a.Tag} | {a.Keyword}{note} | {a.VR} | {a.Level} |\n");
        }
        return sb.ToString();
    }

    [Test]
    public void ConformanceDocumentMatchesTheList()
    {
        var path = Path.Combine(Corpus.RepositoryRoot, "conformance", "indexed-attributes.md");
        var expected = Render();
        if (Environment.GetEnvironmentVariable("TCIAPACS_WRITE_CONFORMANCE") == "1") File.WriteAllText(path, expected);
        Assert.That(File.Exists(path), $"{path} is missing: run with TCIAPACS_WRITE_CONFORMANCE=1");
        Assert.That(File.ReadAllText(path).ReplaceLineEndings("\n"), Is.EqualTo(expected), "conformance/indexed-attributes.md differs from IndexedAttributes.Default: regenerate it");
    }
}
