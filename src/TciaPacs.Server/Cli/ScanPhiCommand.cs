using System.CommandLine;
using System.Text.Json;
using TciaPacs.Deidentification;
using TciaPacs.Deidentification.Phi;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs scan-phi DIR|FILE... [--format csv|json] [--min-severity Low|Medium|High]</c>: the PHI scanner over
/// files, one report per file (CSV rows: file, path, rule, severity, description; a file without findings gets one row
/// with rule "none"). Values are never printed. Exit status 1 when any file has a finding.
/// </summary>
internal static class ScanPhiCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.OneOrMore, Description = "DICOM files or folders (searched recursively)" };
        var format = new Option<string>("--format") { Description = "csv or json", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var min = new Option<PhiSeverity>("--min-severity") { Description = "Ignore findings below this severity", DefaultValueFactory = _ => PhiSeverity.Low };
        var command = new Command("scan-phi", "Scan DICOM files for identifiers left in their headers (and burned-in risk)") { paths, format, min };
        command.SetAction(parse => Run(parse.GetValue(paths)!, parse.GetValue(format)!, parse.GetValue(min)));
        return command;
    }

    private static int Run(string[] inputs, string format, PhiSeverity min)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) files.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(input)) files.Add(input);
            else { Console.Error.WriteLine($"error: {input}: no such file or folder"); return 2; }
        }
        var reports = new List<(string File, string? Error, IReadOnlyList<PhiFinding> Findings)>();
        foreach (var file in files)
        {
            try
            {
                // The whole data set (pixel data stays in the file): private groups after the pixel data are scanned too.
                var ds = DicomFile.Open(file).Dataset;
                // The original's identifiers are unknown here; a Patient's Name equal to the Patient ID is a pseudonym.
                var findings = PhiScanner.Scan(ds, OriginalIdentifiers.None, ds.GetString(DicomTags.PatientID)).Where(f => f.Severity >= min).ToList();
                reports.Add((file, null, findings));
            }
            catch (Exception ex) when (ex is DicomParseException or IOException or UnauthorizedAccessException)
            {
                reports.Add((file, ex is DicomParseException ? "not a DICOM file we can read" : ex.Message, []));
            }
        }
        if (format == "json")
        {
            var json = reports.Select(r => new
            {
                file = r.File,
                error = r.Error,
                findings = r.Findings.Select(f => new { path = f.Path, rule = f.Rule, severity = f.Severity.ToString(), description = f.Description }),
            });
            Console.WriteLine(JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.WriteLine("file,path,rule,severity,description");
            foreach (var (file, error, findings) in reports)
            {
                if (error != null) Console.WriteLine($"{Csv(file)},,error,,{Csv(error)}");
                else if (findings.Count == 0) Console.WriteLine($"{Csv(file)},,none,,");
                foreach (var f in findings) Console.WriteLine($"{Csv(file)},{Csv(f.Path)},{f.Rule},{f.Severity},{Csv(f.Description)}");
            }
        }
        var flagged = reports.Count(r => r.Findings.Count > 0);
        Console.Error.WriteLine($"{reports.Count} files: {flagged} with findings, {reports.Count(r => r.Error != null)} unreadable");
        return flagged > 0 ? 1 : 0;
    }

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
