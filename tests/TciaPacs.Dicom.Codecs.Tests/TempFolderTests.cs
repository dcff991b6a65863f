using NUnit.Framework;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>A fresh folder per test (<see cref="Temp"/>), deleted after it.</summary>
public abstract class TempFolderTests
{
    protected string Temp = "";

    [SetUp]
    public void CreateTemp() => Temp = Directory.CreateTempSubdirectory("tciapacs-codecs-").FullName;

    [TearDown]
    public void DeleteTemp() => Directory.Delete(Temp, true);
}
