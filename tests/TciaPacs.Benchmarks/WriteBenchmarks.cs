using BenchmarkDotNet.Attributes;
using TciaPacs.Dicom;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Writing a CT instance (read fully into memory beforehand) as Part 10 to a reused MemoryStream, in Explicit and
/// Implicit VR Little Endian. The source is Explicit VR LE, so the Implicit case also measures re-encoding.
/// </summary>
[MemoryDiagnoser]
public class WriteBenchmarks
{
    private DicomFile _file = null!;
    private MemoryStream _output = null!;

    [ParamsSource(nameof(Inputs))]
    public string Input { get; set; } = BenchmarkInputs.CtSmall;

    public static IEnumerable<string> Inputs => BenchmarkInputs.Names;

    [GlobalSetup]
    public void Setup()
    {
        var bytes = File.ReadAllBytes(BenchmarkInputs.PathOf(Input));
        _file = DicomFile.Read(new MemoryStream(bytes, writable: false));
        _output = new MemoryStream(bytes.Length * 2);
    }

    [Benchmark]
    public long SaveExplicitVRLittleEndian() => Save(TransferSyntax.ExplicitVRLittleEndian);

    [Benchmark]
    public long SaveImplicitVRLittleEndian() => Save(TransferSyntax.ImplicitVRLittleEndian);

    private long Save(TransferSyntax ts)
    {
        _output.SetLength(0);
        _file.Save(_output, ts);
        return _output.Length;
    }
}
