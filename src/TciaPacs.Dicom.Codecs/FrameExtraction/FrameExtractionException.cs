namespace TciaPacs.Dicom.Codecs.FrameExtraction;

/// <summary>Why a frame-level retrieve cannot make its instance: the failures of PS3.4 Tables Y.4-1 and Y.4-2 (AA00–AA04).</summary>
public enum FrameExtractionFailure
{
    /// <summary>None of the frames requested were found in the SOP Instance (AA00).</summary>
    NoFramesFound,
    /// <summary>Unable to create new object for this SOP Class (AA01): the instance is no multi-frame image.</summary>
    NotMultiFrame,
    /// <summary>Unable to extract frames (AA02): its pixel data cannot be split into them.</summary>
    CannotExtract,
    /// <summary>Time-based request received for a non-time-based original SOP Instance (AA03).</summary>
    NotTimeBased,
    /// <summary>Invalid Request (AA04): the Frame Range Key breaks PS3.4 Y.3.2.</summary>
    InvalidRequest,
}

public sealed class FrameExtractionException(FrameExtractionFailure failure, string message) : Exception(message)
{
    public FrameExtractionFailure Failure { get; } = failure;
}
