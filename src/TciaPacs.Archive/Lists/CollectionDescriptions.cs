using System.Security.Cryptography;
using System.Text;

namespace TciaPacs.Archive.Lists;

/// <summary>
/// What a curator says of a collection, as TCIA's collection pages and NBIA's collection descriptions do: what it is,
/// where it is described (a DOI), under which licence its data may be used, and how to cite it.
/// </summary>
public sealed record CollectionDescription(string Collection, string Description, string? DescriptionUri, string? LicenseName, string? LicenseUrl, string? Citation,
    string UpdatedBy, DateTimeOffset Updated);

/// <summary>
/// The collections' descriptions, one JSON document each under <c>DATA/collections</c> (written durably), named after
/// a hash of the collection's name, which may hold any character (TCIA's names hold spaces).
/// </summary>
public sealed class CollectionDescriptions(string dataDirectory)
{
    private readonly NamedDocumentStore<CollectionDescription> _store = new(dataDirectory, "collections");

    private static string NameOf(string collection) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(collection)))[..32];

    public CollectionDescription? Get(string collection) => _store.Get(NameOf(collection)) is { } d && d.Collection == collection ? d : null;

    public IReadOnlyList<CollectionDescription> All() => [.. _store.All().OrderBy(d => d.Collection, StringComparer.Ordinal)];

    public void Save(CollectionDescription description) => _store.Save(NameOf(description.Collection), description);

    public bool Delete(string collection) => Get(collection) != null && _store.Delete(NameOf(collection));
}
