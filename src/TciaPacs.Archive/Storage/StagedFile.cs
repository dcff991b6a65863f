namespace TciaPacs.Archive.Storage;

/// <summary>A file written and fsynced under a temporary name in its final folder, not yet visible.</summary>
public sealed record StagedFile(string TempPath, string RelativePath, string ContentHash, long Size);
