namespace TciaPacs.Archive.Tests;

/// <summary>A test class whose every test gets a fresh folder name under the system's temporary folder, deleted after it.</summary>
public abstract class TempFolderTest
{
    /// <summary>Not created: a test that needs it there creates it (some check what a missing folder does).</summary>
    protected string Folder { get; private set; } = "";

    [SetUp]
    public void NameTempFolder() => Folder = Path.Combine(Path.GetTempPath(), "tciapacs-" + GetType().Name + "-" + Guid.NewGuid().ToString("N")[..12]);

    // Runs after the derived class's own TearDown (NUnit runs base TearDowns last).
    [TearDown]
    public void DeleteTempFolder()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, true);
    }
}
