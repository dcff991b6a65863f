using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;

namespace TciaPacs.Server.Cli;

internal static class Transcoding
{
    private static readonly DicomTranscoder Transcoder = new(CodecRegistry.Default);

    public static DicomFile Transcode(DicomFile file, TransferSyntax target) => Transcoder.Transcode(file, target);
}
