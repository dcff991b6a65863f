namespace TciaPacs.Archive.Catalog;

/// <summary>Where an instance's file is, what it is and how it is encoded, with its study's collection: what retrieval (WADO, C-MOVE, C-GET) needs.</summary>
public sealed record InstanceFile(string SopInstanceUid, string SeriesInstanceUid, string StudyInstanceUid, string RelativePath, string TransferSyntaxUid, string Collection,
    string SopClassUid);
