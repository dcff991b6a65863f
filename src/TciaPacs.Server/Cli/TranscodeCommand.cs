using System.CommandLine;
using TciaPacs.Dicom;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs transcode IN OUT --transfer-syntax UID [--quality Q]</c>. Into a lossy syntax (JPEG Baseline, JPEG
/// Extended) the output is a new, derived instance (new SOP Instance UID, PS3.3 C.7.6.1.1.5), as with dcmtk's dcmcjpeg.
/// </summary>
internal static class TranscodeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "Input DICOM file" };
        var output = new Argument<string>("out") { Description = "Output DICOM file" };
        var ts = new Option<string>("--transfer-syntax", "-t") { Description = "Target transfer syntax UID (or keyword, e.g. ExplicitVRBigEndian)", Required = true };
        var quality = new Option<int?>("--quality", "-q") { Description = $"JPEG quality factor (1-100) for JPEG Baseline or Extended, as dcmcjpeg +q (default {TciaPacs.Dicom.Codecs.Jpeg.JpegCodec.DefaultQuality}); the output is a new, derived instance" };
        var command = new Command("transcode", "Rewrite a DICOM file in another transfer syntax") { input, output, ts, quality };
        command.SetAction(parse => Run(parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(ts)!, Console.Error, parse.GetValue(quality)));
        return command;
    }

    public static int Run(string input, string output, string tsText, TextWriter errors, int? quality = null)
    {
        var uid = DicomUids.All.FirstOrDefault(u => u.Type == DicomUidType.TransferSyntax && (u.Keyword == tsText || u.Value == tsText))?.Value ?? tsText;
        if (!DicomUids.IsValid(uid))
        {
            errors.WriteLine($"error: '{tsText}' is not a transfer syntax UID or keyword (e.g. 1.2.840.10008.1.2.1 or ExplicitVRLittleEndian)");
            return 2;
        }
        var target = TransferSyntax.Lookup(uid);
        var transcoder = TciaPacs.Dicom.Codecs.DicomTranscoder.Default;
        if (quality != null)
        {
            if (!target.IsLossy || !TciaPacs.Dicom.Codecs.Jpeg.JpegCodec.All.Any(c => c.TransferSyntax.Equals(target)))
            {
                errors.WriteLine($"error: --quality applies to JPEG Baseline (1.2.840.10008.1.2.4.50) and JPEG Extended (1.2.840.10008.1.2.4.51), not {target.Name}");
                return 2;
            }
            if (quality is < 1 or > 100)
            {
                errors.WriteLine($"error: --quality {quality} is outside 1 to 100");
                return 2;
            }
            transcoder = new TciaPacs.Dicom.Codecs.DicomTranscoder(TciaPacs.Dicom.Codecs.CodecRegistry.Default.With(new TciaPacs.Dicom.Codecs.Jpeg.JpegCodec(target, quality.Value)));
        }
        try
        {
            // Written beside the output, then moved over it: one frame in memory whatever the file's size, and the
            // input may be the output.
            var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.part");
            transcoder.TranscodeFile(input, target, temp);
            File.Move(temp, output, overwrite: true);
            return 0;
        }
        catch (DicomParseException ex)
        {
            errors.WriteLine($"error: {input}: at byte {ex.Offset}: {ex.Reason}");
            return 1;
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or IOException or TciaPacs.Dicom.Codecs.DicomCodecException)
        {
            errors.WriteLine($"error: {input}: {ex.Message}");
            return 1;
        }
    }
}
