using NUnit.Framework;
using TciaPacs.Archive.Storage;

namespace TciaPacs.Archive.Tests;

/// <summary>The shared sync of the file store: every waiter is released, by a sync that began after it asked.</summary>
[TestFixture]
public sealed class FileStoreDurabilityTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("tciapacs-durable-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task ManyConcurrentWaitersAreAllReleased()
    {
        using var store = new FileStore(_dir);
        var waits = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            await File.WriteAllBytesAsync(Path.Combine(store.Root, $"f{i}"), new byte[4096]);
            await store.MakeDurableAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return true;
        })));
        Assert.That(waits, Has.All.True);
    }

    [Test]
    public async Task WaitsOneAfterAnotherEachComplete()
    {
        using var store = new FileStore(_dir);
        for (var i = 0; i < 20; i++)
            await store.MakeDurableAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task AfterDisposeAWaitFailsInsteadOfHanging()
    {
        var store = new FileStore(_dir);
        await store.MakeDurableAsync().WaitAsync(TimeSpan.FromSeconds(30));
        store.Dispose();
        if (!OperatingSystem.IsLinux()) Assert.Ignore("no shared sync off Linux: each file is fsynced by itself");
        Assert.That(async () => await store.MakeDurableAsync().WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void DisposeWithoutAnyWaitDoesNotBlock()
    {
        var store = new FileStore(_dir);
        var disposed = Task.Run(store.Dispose);
        Assert.That(disposed.Wait(TimeSpan.FromSeconds(10)), Is.True);
    }
}
