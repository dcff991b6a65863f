namespace TciaPacs.Archive.Catalog;

/// <summary>
/// Where an instance's file is, what it is and how it is encoded, with its study's collection: what retrieval (WADO,
/// C-MOVE, C-GET) needs. <see cref="Size"/> is the file's size in bytes, or -1 where the source did not read it.
/// </summary>
public sealed record InstanceFile(string SopInstanceUid, string SeriesInstanceUid, string StudyInstanceUid, string RelativePath, string TransferSyntaxUid, string Collection,
    string SopClassUid, long Size = -1);
