namespace TciaPacs.Archive.Storing;

/// <summary>What to do when a SOP Instance UID already stored arrives with other content (identical content is always a no-op).</summary>
public enum DuplicatePolicy
{
    /// <summary>Keep what is stored; the new instance is refused with a warning (status 0111, as dcm4chee's default).</summary>
    Reject,
    /// <summary>Replace what is stored (Orthanc's OverwriteInstances = true).</summary>
    Overwrite,
}
