using BenchmarkDotNet.Attributes;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;

namespace TciaPacs.Benchmarks;

/// <summary>
/// DICOM JSON (PS3.18 Annex F) of a CT data set: with every value inline (Pixel Data as Base64), and as a WADO-RS
/// metadata response would be, with values of 1 KiB or more written as BulkDataURIs (PS3.18 F.2.6).
/// </summary>
[MemoryDiagnoser]
public class JsonBenchmarks
{
    private static readonly DicomJsonOptions BulkDataUris = new()
    {
        BulkDataUriFactory = (element, _) => $"bulkdata/{element.Tag.Value:X8}",
    };

    private DicomDataset _dataset = null!;

    [ParamsSource(nameof(Inputs))]
    public string Input { get; set; } = BenchmarkInputs.CtSmall;

    public static IEnumerable<string> Inputs => BenchmarkInputs.Names;

    [GlobalSetup]
    public void Setup()
    {
        var bytes = File.ReadAllBytes(BenchmarkInputs.PathOf(Input));
        _dataset = DicomFile.Read(new MemoryStream(bytes, writable: false)).Dataset;
    }

    [Benchmark]
    public string SerializeInline() => DicomJson.Serialize(_dataset);

    [Benchmark]
    public string SerializeWithBulkDataUris() => DicomJson.Serialize(_dataset, BulkDataUris);
}
