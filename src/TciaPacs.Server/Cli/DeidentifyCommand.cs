using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TciaPacs.Deidentification;
using TciaPacs.Deidentification.Ctp;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs deidentify IN OUT [--profile FILE | --ctp-script FILE] [--collection NAME] [--secret TEXT]</c>: for a
/// contributing site, every file of folder IN de-identified into folder OUT (same relative paths), with a progress line
/// on stderr. The basic profile applies when neither --profile nor --ctp-script is given. Exit status 1 when a file
/// could not be read or written, or a script quarantined it.
/// </summary>
internal static class DeidentifyCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "Folder (or file) of DICOM files" };
        var output = new Argument<string>("out") { Description = "Folder to write the de-identified files to" };
        var profile = new Option<string?>("--profile") { Description = "De-identification profile (JSON, see samples/deid/profile.json)" };
        var script = new Option<string?>("--ctp-script") { Description = "RSNA CTP DicomAnonymizer script (XML) instead of a profile" };
        var collection = new Option<string>("--collection") { Description = "Collection name: the pseudonym prefix", DefaultValueFactory = _ => "site" };
        var secret = new Option<string?>("--secret") { Description = "Secret keying the UID and ID hashes (16+ characters); the same secret gives the same pseudonyms on every run" };
        var command = new Command("deidentify", "De-identify a folder of DICOM files into another (PS3.15 basic profile, options, or a CTP script)")
            { input, output, profile, script, collection, secret };
        command.SetAction(parse => Run(parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(profile), parse.GetValue(script), parse.GetValue(collection)!, parse.GetValue(secret)));
        return command;
    }

    private static int Run(string input, string output, string? profileFile, string? scriptFile, string collection, string? secretText)
    {
        if (profileFile != null && scriptFile != null) { Console.Error.WriteLine("error: give --profile or --ctp-script, not both"); return 2; }
        byte[] secret;
        if (secretText != null)
        {
            if (secretText.Length < 16) { Console.Error.WriteLine("error: --secret must be at least 16 characters"); return 2; }
            secret = Encoding.UTF8.GetBytes(secretText);
        }
        else
        {
            secret = RandomNumberGenerator.GetBytes(32);
            Console.Error.WriteLine("note: no --secret: UIDs and IDs are hashed with a random secret, so another run gives other pseudonyms");
        }
        IInstanceDeidentifier deidentifier;
        try
        {
            deidentifier = scriptFile != null
                ? new CtpAnonymizer(CtpScript.Load(scriptFile), secret, collection)
                : new Deidentifier((profileFile != null ? ProfileDocument.Load(profileFile) : new ProfileDocument()).ToSettings(collection, secret));
        }
        catch (Exception ex) when (ex is IOException or FormatException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
        List<string> files;
        string root;
        if (Directory.Exists(input)) { root = input; files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList(); }
        else if (File.Exists(input)) { root = Path.GetDirectoryName(Path.GetFullPath(input))!; files = [input]; }
        else { Console.Error.WriteLine($"error: {input}: no such file or folder"); return 2; }
        Directory.CreateDirectory(output);

        var progress = new ImportProgress(files.Count, Console.Error, !Console.IsErrorRedirected);
        int written = 0, skipped = 0, quarantined = 0, failed = 0;
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(root, file);
            try
            {
                var dicom = DicomFile.Open(file);
                var result = deidentifier.Deidentify(dicom.Dataset);
                if (result.QuarantineReason != null)
                {
                    quarantined++;
                    Console.WriteLine($"quarantined: {relative}: {result.QuarantineReason}");
                }
                else
                {
                    var target = Path.Combine(output, relative);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    new DicomFile(DicomWriter.BuildMeta(dicom.Meta, result.Dataset, dicom.TransferSyntax), result.Dataset, dicom.TransferSyntax).Save(target);
                    written++;
                }
                progress.Add(new FileInfo(file).Length);
            }
            catch (DicomParseException)
            {
                skipped++;
                Console.WriteLine($"skipped: {relative}: not a DICOM file we can read");
                progress.Add(0);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
            {
                failed++;
                Console.WriteLine($"failed: {relative}: {ex.Message}");
                progress.Add(0);
            }
        }
        progress.Finish();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} files: {1} de-identified, {2} quarantined, {3} skipped, {4} failed in {5:F1} s",
            files.Count, written, quarantined, skipped, failed, progress.Elapsed.TotalSeconds));
        return failed + quarantined > 0 ? 1 : 0;
    }
}
