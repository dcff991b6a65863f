namespace TciaPacs.Dicom.Codecs;

/// <summary>How <see cref="EncapsulatedFrames"/> found which fragments make up each frame (PS3.5 A.4).</summary>
public enum FrameMapping
{
    /// <summary>Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002) (PS3.3 C.7.6.3.1.8): one fragment per frame.</summary>
    ExtendedOffsetTable,

    /// <summary>The Basic Offset Table item (PS3.5 A.4, Table A.4-1).</summary>
    BasicOffsetTable,

    /// <summary>No offset table, as many fragments as frames.</summary>
    OneFragmentPerFrame,

    /// <summary>No offset table, one frame: every fragment belongs to it.</summary>
    SingleFrame,

    /// <summary>No offset table, more fragments than frames: a frame ends with the fragment that ends with a JPEG EOI / JPEG 2000 EOC marker (FFD9), as pydicom guesses.</summary>
    EndOfImageMarkers,
}
