using TciaPacs.Dicom;

namespace TciaPacs.Server.Cli;

internal static class Transcoding
{
    public static DicomFile Transcode(DicomFile file, TransferSyntax target) => file;
}
