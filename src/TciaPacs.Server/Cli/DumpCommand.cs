using System.CommandLine;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Server.Cli;

/// <summary><c>tciapacs dump FILE...</c>: one block per file like dcmdump, or PS3.18 JSON / PS3.19 XML.</summary>
internal static class DumpCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Arity = ArgumentArity.OneOrMore, Description = "DICOM files (Part 10 or bare data sets)" };
        var json = new Option<bool>("--json") { Description = "Write DICOM JSON (PS3.18 Annex F)" };
        var xml = new Option<bool>("--xml") { Description = "Write Native DICOM Model XML (PS3.19 Annex A)" };
        var headerOnly = new Option<bool>("--header-only") { Description = "Stop before Pixel Data" };
        var command = new Command("dump", "Print the elements of DICOM files") { files, json, xml, headerOnly };
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(files) ?? [];
            var format = parse.GetValue(json) ? DumpFormat.Json : parse.GetValue(xml) ? DumpFormat.Xml : DumpFormat.Text;
            var options = parse.GetValue(headerOnly) ? DicomReadOptions.HeaderOnly : DicomReadOptions.Default;
            return Run(paths, format, options, Console.Out, Console.Error);
        });
        return command;
    }

    public enum DumpFormat { Text, Json, Xml }

    public static int Run(IReadOnlyList<string> paths, DumpFormat format, DicomReadOptions options, TextWriter output, TextWriter errors)
    {
        var failures = 0;
        // Console.Out flushes on every write: a buffered UTF-8 writer on standard output makes large dumps much faster.
        var writer = ReferenceEquals(output, Console.Out)
            ? new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false }
            : output;
        var first = true;
        foreach (var path in paths)
        {
            DicomFile file;
            try
            {
                file = DicomFile.Open(path, options);
            }
            catch (DicomParseException ex)
            {
                writer.Flush();
                errors.WriteLine($"error: {path}: at byte {ex.Offset}: {ex.Reason}");
                failures++;
                continue;
            }
            catch (IOException ex)
            {
                writer.Flush();
                errors.WriteLine($"error: {path}: {ex.Message}");
                failures++;
                continue;
            }
            catch (UnauthorizedAccessException ex)
            {
                writer.Flush();
                errors.WriteLine($"error: {path}: {ex.Message}");
                failures++;
                continue;
            }
            switch (format)
            {
                case DumpFormat.Text:
                    if (!first) writer.WriteLine();
                    if (paths.Count > 1) writer.WriteLine($"# {path}");
                    DatasetDumper.Dump(file, writer);
                    break;
                case DumpFormat.Json:
                    writer.WriteLine(FormatWriters.Json(file));
                    break;
                case DumpFormat.Xml:
                    writer.WriteLine(FormatWriters.Xml(file));
                    break;
            }
            foreach (var w in file.Warnings) errors.WriteLine($"warning: {path}: {w}");
            first = false;
        }
        writer.Flush();
        return failures == 0 ? 0 : 1;
    }
}
