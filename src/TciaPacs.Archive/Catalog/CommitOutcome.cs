namespace TciaPacs.Archive.Catalog;

/// <summary>What the catalog did with an entry, decided atomically inside its write transaction.</summary>
public enum CommitOutcome
{
    Inserted,
    /// <summary>An instance with the same UID and other content was replaced (its old file is now unreferenced).</summary>
    Replaced,
    /// <summary>The same UID with the same content hash is already there: nothing changed.</summary>
    Identical,
    /// <summary>The same UID with other content is already there and replacing was not asked for: nothing changed.</summary>
    ContentConflict,
    /// <summary>The study is stored under another patient (or collection), or the series under another study: nothing changed.</summary>
    IdentityConflict,
}
