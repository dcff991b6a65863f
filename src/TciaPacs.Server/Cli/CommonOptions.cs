using System.CommandLine;

namespace TciaPacs.Server.Cli;

/// <summary>Options shared by the archive commands.</summary>
internal static class CommonOptions
{
    public static Option<string> Data() => new("--data", "-d") { Description = "The data folder", DefaultValueFactory = _ => "./data" };
}
