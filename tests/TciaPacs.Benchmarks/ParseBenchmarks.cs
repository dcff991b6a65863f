using BenchmarkDotNet.Attributes;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Reading a Part 10 CT instance: header only (stop before Pixel Data, as indexing does) and in full, from bytes
/// already in memory and from a file path. Opened by path, values of 64 KiB or more stay in the file as references
/// (<see cref="DicomReadOptions.LargeValueThreshold"/>), so the 512x512 Pixel Data is not read there.
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private byte[] _bytes = [];
    private string _path = "";

    [ParamsSource(nameof(Inputs))]
    public string Input { get; set; } = BenchmarkInputs.CtSmall;

    public static IEnumerable<string> Inputs => BenchmarkInputs.Names;

    [GlobalSetup]
    public void Setup()
    {
        _path = BenchmarkInputs.PathOf(Input);
        _bytes = File.ReadAllBytes(_path);
    }

    [Benchmark]
    public DicomFile HeaderOnlyFromMemory() => DicomFile.Read(new MemoryStream(_bytes, writable: false), DicomReadOptions.HeaderOnly);

    [Benchmark]
    public DicomFile FullFromMemory() => DicomFile.Read(new MemoryStream(_bytes, writable: false));

    [Benchmark]
    public DicomFile FullFromPath() => DicomFile.Open(_path);
}
