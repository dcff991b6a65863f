using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>Opens corpus files; a file our reader does not parse is not a case for these tests (the Dicom tests cover it).</summary>
internal static class CorpusCases
{
    public static DicomDataset Open(string relative)
    {
        DicomFile file;
        try
        {
            file = DicomFile.Open(Corpus.PathOf(relative));
        }
        catch (Exception ex) when (ex is DicomParseException or IOException or InvalidDataException or EndOfStreamException)
        {
            Assert.Fail($"Corpus.Readable() listed this file but it does not parse: {ex.Message}");
            throw;
        }
        Assert.That(CanLoadValues(file.Dataset), "a file that parses must have every value loadable");
        return file.Dataset;
    }

    private static bool CanLoadValues(DicomDataset ds)
    {
        foreach (var e in ds)
        {
            try
            {
                switch (e)
                {
                    case DicomSequence sq when !sq.Items.All(CanLoadValues):
                        return false;
                    case DicomFragmentSequence f:
                        f.OffsetTable.GetBytes();
                        foreach (var b in f.Fragments) b.GetBytes();
                        break;
                    default:
                        e.Buffer.GetBytes();
                        break;
                }
            }
            catch (Exception ex) when (ex is DicomParseException or IOException or InvalidOperationException)
            {
                return false;
            }
        }
        return true;
    }
}
