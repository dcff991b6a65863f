namespace TciaPacs.Testing;

/// <summary>What a JPEG 2000 codestream's main header says (ITU-T T.800 A.6.1), for tests that compare decoders.</summary>
public static class Jpeg2000Stream
{
    /// <summary>Whether the default coding style (COD) uses the reversible 5-3 wavelet: such a stream decodes exactly.</summary>
    public static bool IsReversible(ReadOnlySpan<byte> stream)
    {
        // COD: marker, length (2), Scod, progression order, layers (2), transform, levels, block width, height, style, wavelet.
        var at = stream.IndexOf([(byte)0xFF, (byte)0x52]);
        if (at < 0 || at + 13 >= stream.Length) throw new InvalidDataException("no COD marker segment in the JPEG 2000 stream");
        return stream[at + 13] == 1;
    }
}
