using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

/// <summary>Runs the real <c>tciapacs</c> executable (built next to this test assembly) as a separate process.</summary>
internal static class Tciapacs
{
    public static ExternalTool.Result Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "tciapacs.dll");
        return ExternalTool.Run("dotnet", [dll, .. args], TimeSpan.FromMinutes(3));
    }
}
