using System.CommandLine;
using System.Diagnostics;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Server.Cli;

/// <summary><c>tciapacs echo HOST PORT [--aet AE] [--aec AE]</c>: C-ECHO (Verification, PS3.4 A) and the round-trip time.</summary>
internal static class EchoCommand
{
    public static Command Create()
    {
        var host = ScuOptions.Host();
        var port = ScuOptions.Port();
        var aet = ScuOptions.CallingAe();
        var aec = ScuOptions.CalledAe();
        var timeout = ScuOptions.Timeout();
        var identity = ScuOptions.Identity();
        var command = new Command("echo", "Verify a DICOM peer (C-ECHO)") { host, port, aet, aec, timeout, identity.User, identity.Password };
        command.SetAction(parse => ScuOptions.Run(async ct =>
        {
            var clock = Stopwatch.StartNew();
            var contexts = DicomClient.Propose([(SopClasses.Verification, SopClasses.Native)]);
            await using var client = await DicomClient.ConnectAsync(parse.GetValue(host)!, parse.GetValue(port), ScuOptions.Request(parse.GetValue(aet)!, parse.GetValue(aec)!, contexts, identity: ScuOptions.IdentityOf(parse, identity)),
                ScuOptions.Association(parse.GetValue(timeout)), cancellationToken: ct);
            var association = client.Association;
            var context = association.AcceptedContexts(SopClasses.Verification).FirstOrDefault();
            if (context == null)
            {
                Console.Error.WriteLine("error: the peer does not accept Verification");
                return 1;
            }
            ushort status = 0xFFFF;
            await foreach (var rsp in association.SendRequestAsync(context.Id, DimseCommand.Request(CommandField.CEchoRequest, association.NextMessageId(), SopClasses.Verification, false), null, ct))
                using (rsp) status = rsp.Command.Status;
            await client.ReleaseAsync(ct);
            Console.WriteLine($"C-ECHO {parse.GetValue(aec)}@{parse.GetValue(host)}:{parse.GetValue(port)}: status {ScuOptions.Status(status)} in {clock.Elapsed.TotalMilliseconds:F0} ms");
            return status == DimseStatus.Success ? 0 : 1;
        }));
        return command;
    }
}
