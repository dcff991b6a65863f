using NUnit.Framework;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>Guards the point of this project: without the variable its tests would only repeat the default mode's.</summary>
public class InlineCompletionsModeTests
{
    [Test]
    public void The_test_host_runs_socket_completions_inline() =>
        Assert.That(Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"), Is.EqualTo("1"),
            "inline-completions.runsettings was not applied to the test host (RunSettingsFilePath in the project file)");
}
