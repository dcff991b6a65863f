using System.CommandLine;
using TciaPacs.Server.Cli;

namespace TciaPacs.Server;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("TciaPacs: a DICOM archive for research image collections.")
        {
            ServeCommand.Create(),
            HashPasswordCommand.Create(),
            ImportCommand.Create(),
            ReindexCommand.Create(),
            RecompressCommand.Create(),
            QueryCommand.Create(),
            DumpCommand.Create(),
            TranscodeCommand.Create(),
            DeidentifyCommand.Create(),
            ScanPhiCommand.Create(),
            QuarantineCommand.Create(),
            EchoCommand.Create(),
            StoreCommand.Create(),
            CommitCommand.Create(),
            QueryRetrieveCommands.Find(),
            QueryRetrieveCommands.Move(),
            QueryRetrieveCommands.Get(),
        };
        return root.Parse(args).Invoke();
    }
}
