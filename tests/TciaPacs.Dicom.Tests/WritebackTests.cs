using NUnit.Framework;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Tests;

public sealed class WritebackTests
{
    [Test]
    public void Starting_writeback_leaves_the_file_as_written_and_a_closed_handle_is_ignored()
    {
        var path = Path.Combine(Path.GetTempPath(), $"writeback-{Guid.NewGuid():N}");
        var data = new byte[3 * 1024 * 1024 + 17];
        new Random(5).NextBytes(data);
        try
        {
            var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1);
            using (stream)
            {
                stream.Write(data, 0, 1024 * 1024);
                Writeback.Start(stream.SafeFileHandle, 0, 1024 * 1024);   // a range, as the spool does every MiB
                stream.Write(data, 1024 * 1024, data.Length - 1024 * 1024);
                Writeback.Start(stream.SafeFileHandle, 1024 * 1024);       // the rest, to the end
                Writeback.Start(stream.SafeFileHandle);                    // the whole file again: harmless
            }
            Assert.DoesNotThrow(() => Writeback.Start(stream.SafeFileHandle), "a closed handle is ignored");
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(data));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
