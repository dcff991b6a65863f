using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TciaPacs.Dicom.Codecs.JpegXl;

/// <summary>
/// The decoder of libjxl, the reference implementation of JPEG XL (ISO/IEC 18181), loaded when first needed from the
/// system (Debian: libjxl0.7 and later). A JPEG XL decoder is no small thing to write, and libjxl is the one every
/// other tool uses; without it the JPEG XL syntaxes are simply not decoded (<see cref="Instance"/> is null and
/// <see cref="Missing"/> says what to install). Only the calls frame decoding needs are bound, by function pointer,
/// so that no unsafe code and no fixed library version are needed.
/// </summary>
internal sealed class LibJxl
{
    public const string Missing = "JPEG XL frames are decoded with libjxl, which is not installed (Debian: apt-get install libjxl0.7)";

    // decode.h: JxlDecoderStatus values and the events subscribed to.
    private const int Success = 0, Error = 1, NeedMoreInput = 2, NeedImageOutBuffer = 5, JpegNeedMoreOutput = 6;
    private const int BasicInfo = 0x40, FullImage = 0x1000, JpegReconstruction = 0x2000;
    // types.h: JxlDataType and JxlEndianness.
    private const int TypeUint8 = 2, TypeUint16 = 3, LittleEndian = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PixelFormat
    {
        public uint NumChannels;
        public int DataType;
        public int Endianness;
        public nuint Align;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate IntPtr CreateFn(IntPtr memoryManager);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void DestroyFn(IntPtr decoder);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int SubscribeEventsFn(IntPtr decoder, int events);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int SetInputFn(IntPtr decoder, IntPtr data, nuint size);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void CloseInputFn(IntPtr decoder);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int ProcessInputFn(IntPtr decoder);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int GetBasicInfoFn(IntPtr decoder, [Out] byte[] info);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int ImageOutBufferSizeFn(IntPtr decoder, ref PixelFormat format, out nuint size);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int SetImageOutBufferFn(IntPtr decoder, ref PixelFormat format, IntPtr buffer, nuint size);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int SetJpegBufferFn(IntPtr decoder, IntPtr data, nuint size);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate nuint ReleaseJpegBufferFn(IntPtr decoder);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate uint VersionFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int SetImageOutBitDepthFn(IntPtr decoder, ref BitDepth bitDepth);

    // JxlBitDepth (libjxl 0.8 and later): JXL_BIT_DEPTH_FROM_CODESTREAM = 1 gives the codestream's own integers.
    [StructLayout(LayoutKind.Sequential)]
    private struct BitDepth
    {
        public int Type;
        public uint BitsPerSample;
        public uint ExponentBitsPerSample;
    }

    private readonly CreateFn _create;
    private readonly DestroyFn _destroy;
    private readonly SubscribeEventsFn _subscribe;
    private readonly SetInputFn _setInput;
    private readonly CloseInputFn _closeInput;
    private readonly ProcessInputFn _process;
    private readonly GetBasicInfoFn _basicInfo;
    private readonly ImageOutBufferSizeFn _outSize;
    private readonly SetImageOutBufferFn _setOut;
    private readonly SetJpegBufferFn _setJpeg;
    private readonly ReleaseJpegBufferFn _releaseJpeg;
    private readonly SetImageOutBitDepthFn? _setBitDepth;

    /// <summary>libjxl's version as major.minor.patch.</summary>
    public string Version { get; }

    private static readonly Lazy<LibJxl?> Loaded = new(Load);

    /// <summary>The loaded library, or null when no libjxl is installed.</summary>
    public static LibJxl? Instance => Loaded.Value;

    private LibJxl(IntPtr library)
    {
        T Bind<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));
        _create = Bind<CreateFn>("JxlDecoderCreate");
        _destroy = Bind<DestroyFn>("JxlDecoderDestroy");
        _subscribe = Bind<SubscribeEventsFn>("JxlDecoderSubscribeEvents");
        _setInput = Bind<SetInputFn>("JxlDecoderSetInput");
        _closeInput = Bind<CloseInputFn>("JxlDecoderCloseInput");
        _process = Bind<ProcessInputFn>("JxlDecoderProcessInput");
        _basicInfo = Bind<GetBasicInfoFn>("JxlDecoderGetBasicInfo");
        _outSize = Bind<ImageOutBufferSizeFn>("JxlDecoderImageOutBufferSize");
        _setOut = Bind<SetImageOutBufferFn>("JxlDecoderSetImageOutBuffer");
        _setJpeg = Bind<SetJpegBufferFn>("JxlDecoderSetJPEGBuffer");
        _releaseJpeg = Bind<ReleaseJpegBufferFn>("JxlDecoderReleaseJPEGBuffer");
        if (NativeLibrary.TryGetExport(library, "JxlDecoderSetImageOutBitDepth", out var setBitDepth))
            _setBitDepth = Marshal.GetDelegateForFunctionPointer<SetImageOutBitDepthFn>(setBitDepth);
        var version = Bind<VersionFn>("JxlDecoderVersion")();
        Version = $"{version / 1000000}.{version / 1000 % 1000}.{version % 1000}";
    }

    private static LibJxl? Load()
    {
        // The soname carries the version (libjxl.so.0.7 in Debian 12, .0.10 and .0.11 later); the unversioned name
        // exists only with the -dev package.
        string[] names = ["libjxl.so.0.7", "libjxl.so.0.8", "libjxl.so.0.9", "libjxl.so.0.10", "libjxl.so.0.11", "libjxl.so.0.12", "libjxl.so", "libjxl"];
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                try { return new LibJxl(handle); }
                catch (EntryPointNotFoundException) { NativeLibrary.Free(handle); }
            }
        return null;
    }

    /// <summary>What a JPEG XL codestream holds, read before its pixels.</summary>
    public readonly record struct Image(int Width, int Height, int BitsPerSample, int ColorChannels, bool FloatingPoint);

    /// <summary>
    /// Decodes one codestream (or container) to interleaved samples of <paramref name="channels"/> channels, 8-bit or
    /// 16-bit little endian. <paramref name="check"/> sees the image's header first and throws when it does not fit.
    /// Samples keep the image's own bit depth: libjxl 0.8 and later are asked for the codestream's integers; 0.7, which
    /// scales integer output to the whole range of the output type (a 12-bit 4095 comes as 65535), is scaled back
    /// (exact for lossless coding: scaling there and back both round to nearest).
    /// </summary>
    public byte[] DecodePixels(ReadOnlySpan<byte> codestream, int channels, bool sixteenBits, Action<Image> check)
    {
        var format = new PixelFormat { NumChannels = (uint)channels, DataType = sixteenBits ? TypeUint16 : TypeUint8, Endianness = LittleEndian };
        byte[]? output = null;
        var image = default(Image);
        Run(codestream, BasicInfo | FullImage, (decoder, status, pins) =>
        {
            switch (status)
            {
                case BasicInfo:
                    image = ReadBasicInfo(decoder);
                    check(image);
                    return true;
                case NeedImageOutBuffer:
                    Check(_outSize(decoder, ref format, out var size), "the output size");
                    output = new byte[(int)size];
                    Check(_setOut(decoder, ref format, pins.Pin(output), size), "the output buffer");
                    if (_setBitDepth is not null)
                    {
                        var depth = new BitDepth { Type = 1 };
                        Check(_setBitDepth(decoder, ref depth), "the output bit depth");
                    }
                    return true;
                case FullImage:
                    return true;
                default:
                    return false;
            }
        });
        if (output is null) throw new DicomCodecException("The JPEG XL codestream ended before its image.");
        if (_setBitDepth is null) Rescale(output, sixteenBits, image.BitsPerSample);
        return output;
    }

    /// <summary>
    /// The JPEG stream a JPEG XL JPEG Recompression codestream was made from, rebuilt byte for byte from its JPEG
    /// reconstruction data (ISO/IEC 18181-2 "jbrd" box).
    /// </summary>
    /// <param name="initialSize">The first buffer's size (grown by doubling as libjxl asks); tests make it small.</param>
    public byte[] ReconstructJpeg(ReadOnlySpan<byte> codestream, int? initialSize = null)
    {
        byte[]? jpeg = null;
        var firstSize = initialSize ?? Math.Max(64 * 1024, codestream.Length * 2);
        var written = 0;
        var reconstructing = false;
        Run(codestream, JpegReconstruction | FullImage, (decoder, status, pins) =>
        {
            switch (status)
            {
                case JpegReconstruction:
                    reconstructing = true;
                    jpeg = new byte[firstSize];
                    Check(_setJpeg(decoder, pins.Pin(jpeg), (nuint)jpeg.Length), "the JPEG buffer");
                    return true;
                case JpegNeedMoreOutput:
                    written = jpeg!.Length - (int)_releaseJpeg(decoder);
                    Array.Resize(ref jpeg, checked(jpeg.Length * 2));
                    Check(_setJpeg(decoder, pins.Pin(jpeg) + written, (nuint)(jpeg.Length - written)), "the JPEG buffer");
                    return true;
                case FullImage:
                    if (reconstructing) written = jpeg!.Length - (int)_releaseJpeg(decoder);
                    return true;
                case NeedImageOutBuffer:
                    throw new DicomCodecException("The JPEG XL codestream holds no JPEG reconstruction data, which JPEG XL JPEG Recompression requires (PS3.5 8.2.16).");
                default:
                    return false;
            }
        });
        if (!reconstructing) throw new DicomCodecException("The JPEG XL codestream holds no JPEG reconstruction data, which JPEG XL JPEG Recompression requires (PS3.5 8.2.16).");
        return jpeg![..written];
    }

    /// <summary>Runs the decoder over a whole codestream, handing every event to <paramref name="onEvent"/> until it succeeds.</summary>
    private void Run(ReadOnlySpan<byte> codestream, int events, Func<IntPtr, int, Pins, bool> onEvent)
    {
        var decoder = _create(IntPtr.Zero);
        if (decoder == IntPtr.Zero) throw new OutOfMemoryException("libjxl could not create a decoder.");
        using var pins = new Pins();
        try
        {
            Check(_subscribe(decoder, events), "the events");
            var input = codestream.ToArray();
            Check(_setInput(decoder, pins.Pin(input), (nuint)input.Length), "the input");
            _closeInput(decoder);
            while (true)
            {
                var status = _process(decoder);
                if (status == Success) return;
                if (status == Error) throw new DicomCodecException("libjxl could not decode the JPEG XL frame: the codestream is corrupt or not JPEG XL.");
                if (status == NeedMoreInput) throw new DicomCodecException("The JPEG XL frame is cut short: its codestream ends before its image.");
                if (!onEvent(decoder, status, pins)) throw new DicomCodecException($"libjxl stopped with status {status}, which this decoder does not handle.");
            }
        }
        finally
        {
            _destroy(decoder);
        }
    }

    private Image ReadBasicInfo(IntPtr decoder)
    {
        // JxlBasicInfo (codestream_header.h): 204 bytes; the fields read here are at fixed offsets.
        var info = new byte[256];
        Check(_basicInfo(decoder, info), "the basic information");
        int At(int offset) => (int)BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(offset));
        return new Image(Width: At(4), Height: At(8), BitsPerSample: At(12), ColorChannels: At(52), FloatingPoint: At(16) != 0);
    }

    /// <summary>libjxl scales integer output to the type's whole range (a 12-bit sample 4095 comes as 65535): back to the image's depth.</summary>
    private static void Rescale(byte[] samples, bool sixteenBits, int bits)
    {
        var full = sixteenBits ? 16 : 8;
        if (bits <= 0 || bits >= full) return;
        var max = (1 << bits) - 1;
        var typeMax = (1 << full) - 1;
        if (sixteenBits)
            for (var i = 0; i + 1 < samples.Length; i += 2)
            {
                var v = BinaryPrimitives.ReadUInt16LittleEndian(samples.AsSpan(i));
                BinaryPrimitives.WriteUInt16LittleEndian(samples.AsSpan(i), (ushort)((v * max + typeMax / 2) / typeMax));
            }
        else
            for (var i = 0; i < samples.Length; i++) samples[i] = (byte)((samples[i] * max + typeMax / 2) / typeMax);
    }

    private static void Check(int status, string what)
    {
        if (status != Success) throw new DicomCodecException($"libjxl refused {what} (status {status}).");
    }

    /// <summary>Arrays pinned while the decoder holds pointers into them, freed with it.</summary>
    private sealed class Pins : IDisposable
    {
        private readonly List<GCHandle> _handles = [];

        public IntPtr Pin(byte[] array)
        {
            var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
            _handles.Add(handle);
            return handle.AddrOfPinnedObject();
        }

        public void Dispose()
        {
            foreach (var h in _handles) h.Free();
            _handles.Clear();
        }
    }
}
