namespace TciaPacs.Archive.Catalog;

/// <summary>An instance row as recovery needs it: identity, file and hash.</summary>
public sealed record CatalogInstance(string SopInstanceUid, string SeriesInstanceUid, string StudyInstanceUid, string RelativePath, string ContentHash, long Size, string TransferSyntaxUid);
