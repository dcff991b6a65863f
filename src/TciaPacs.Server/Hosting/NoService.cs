namespace TciaPacs.Server.Hosting;

/// <summary>A service that was not started: nothing to stop.</summary>
internal sealed class NoService : IAsyncDisposable
{
    public static readonly NoService Instance = new();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
