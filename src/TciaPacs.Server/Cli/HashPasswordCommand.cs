using System.CommandLine;
using TciaPacs.Server.Dimse;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs hash-password</c>: reads a passcode from the first line of standard input and prints the hash to put in
/// a <c>Dimse.Users</c> or <c>Http.Users</c> entry's <c>Password</c>. Standard input, not an argument, so that the passcode stays out of the
/// shell's history and of <c>ps</c>.
/// </summary>
internal static class HashPasswordCommand
{
    public static Command Create()
    {
        var command = new Command("hash-password", "Hash a user's passcode (read from standard input) for Dimse.Users or Http.Users in the configuration");
        command.SetAction(_ =>
        {
            var password = Console.IsInputRedirected ? Console.In.ReadLine() : ReadHidden();
            if (string.IsNullOrEmpty(password))
            {
                Console.Error.WriteLine("error: no passcode on standard input (e.g. printf '%s\\n' \"$PASSCODE\" | tciapacs hash-password)");
                return 2;
            }
            Console.WriteLine(PasswordHash.Create(password));
            return 0;
        });
        return command;
    }

    // From a terminal, the passcode is typed without being shown.
    private static string ReadHidden()
    {
        Console.Error.Write("passcode: ");
        var typed = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; }
            else if (!char.IsControl(key.KeyChar)) typed.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }
}
