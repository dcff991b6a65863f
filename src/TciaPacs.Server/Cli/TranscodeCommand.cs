using System.CommandLine;
using TciaPacs.Dicom;

namespace TciaPacs.Server.Cli;

/// <summary><c>tciapacs transcode IN OUT --transfer-syntax UID</c>.</summary>
internal static class TranscodeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "Input DICOM file" };
        var output = new Argument<string>("out") { Description = "Output DICOM file" };
        var ts = new Option<string>("--transfer-syntax", "-t") { Description = "Target transfer syntax UID (or keyword, e.g. ExplicitVRBigEndian)", Required = true };
        var command = new Command("transcode", "Rewrite a DICOM file in another transfer syntax") { input, output, ts };
        command.SetAction(parse => Run(parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(ts)!, Console.Error));
        return command;
    }

    public static int Run(string input, string output, string tsText, TextWriter errors)
    {
        var uid = DicomUids.All.FirstOrDefault(u => u.Type == DicomUidType.TransferSyntax && (u.Keyword == tsText || u.Value == tsText))?.Value ?? tsText;
        if (!DicomUids.IsValid(uid))
        {
            errors.WriteLine($"error: '{tsText}' is not a transfer syntax UID or keyword (e.g. 1.2.840.10008.1.2.1 or ExplicitVRLittleEndian)");
            return 2;
        }
        var target = TransferSyntax.Lookup(uid);
        try
        {
            // Written beside the output, then moved over it: one frame in memory whatever the file's size, and the
            // input may be the output.
            var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.part");
            TciaPacs.Dicom.Codecs.DicomTranscoder.Default.TranscodeFile(input, target, temp);
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
