namespace TciaPacs.Archive.Storing;

/// <summary>The door an instance came in by; every door goes through the same <see cref="StorePipeline"/>.</summary>
public enum StoreDoor
{
    /// <summary>DIMSE C-STORE (PS3.4 B.2).</summary>
    Dimse,
    /// <summary>DICOMweb STOW-RS (PS3.18 10.5).</summary>
    Stow,
    /// <summary><c>tciapacs import</c> from the file system.</summary>
    Import,
    /// <summary>Startup recovery or <c>tciapacs reindex</c>, adopting a file already in the file store.</summary>
    Recovery,
}
