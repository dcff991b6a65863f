namespace TciaPacs.Dicom;

/// <summary>What kind of value a VR holds, which decides how it is decoded.</summary>
public enum VRKind : byte
{
    None,
    Text,        // character strings split on backslash (AE AS CS DA DS DT IS LO PN SH TM UC UI)
    SingleText,  // character strings that are never split (LT ST UT UR)
    Binary,      // numbers and byte streams (AT FD FL OB OD OF OL OV OW SL SS SV UL US UV UN)
    Sequence,
}

/// <summary>A value representation (PS3.5 6.2): its two-character code and the traits the codec needs.</summary>
public readonly struct VR : IEquatable<VR>
{
    private readonly ushort _code;

    private VR(char a, char b) => _code = (ushort)((a << 8) | b);
    private VR(ushort code) => _code = code;

    /// <summary>The two bytes as they stand in an explicit VR header, first character high.</summary>
    public ushort Code => _code;

    public string Name => _code == 0 ? "NONE" : new string([(char)(_code >> 8), (char)(_code & 0xFF)]);

    public override string ToString() => Name;
    public bool Equals(VR other) => _code == other._code;
    public override bool Equals(object? obj) => obj is VR v && Equals(v);
    public override int GetHashCode() => _code;
    public static bool operator ==(VR a, VR b) => a._code == b._code;
    public static bool operator !=(VR a, VR b) => a._code != b._code;

    public static readonly VR NONE = default;
    public static readonly VR AE = new('A', 'E');
    public static readonly VR AS = new('A', 'S');
    public static readonly VR AT = new('A', 'T');
    public static readonly VR CS = new('C', 'S');
    public static readonly VR DA = new('D', 'A');
    public static readonly VR DS = new('D', 'S');
    public static readonly VR DT = new('D', 'T');
    public static readonly VR FD = new('F', 'D');
    public static readonly VR FL = new('F', 'L');
    public static readonly VR IS = new('I', 'S');
    public static readonly VR LO = new('L', 'O');
    public static readonly VR LT = new('L', 'T');
    public static readonly VR OB = new('O', 'B');
    public static readonly VR OD = new('O', 'D');
    public static readonly VR OF = new('O', 'F');
    public static readonly VR OL = new('O', 'L');
    public static readonly VR OV = new('O', 'V');
    public static readonly VR OW = new('O', 'W');
    public static readonly VR PN = new('P', 'N');
    public static readonly VR SH = new('S', 'H');
    public static readonly VR SL = new('S', 'L');
    public static readonly VR SQ = new('S', 'Q');
    public static readonly VR SS = new('S', 'S');
    public static readonly VR ST = new('S', 'T');
    public static readonly VR SV = new('S', 'V');
    public static readonly VR TM = new('T', 'M');
    public static readonly VR UC = new('U', 'C');
    public static readonly VR UI = new('U', 'I');
    public static readonly VR UL = new('U', 'L');
    public static readonly VR UN = new('U', 'N');
    public static readonly VR UR = new('U', 'R');
    public static readonly VR US = new('U', 'S');
    public static readonly VR UT = new('U', 'T');
    public static readonly VR UV = new('U', 'V');

    /// <summary>All 34 VRs of PS3.5 Table 6.2-1.</summary>
    public static readonly IReadOnlyList<VR> All =
    [
        AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV,
    ];

    /// <summary>Reads the two VR bytes of an explicit VR header; false when they are not a VR of the standard.</summary>
    public static bool TryFromBytes(byte a, byte b, out VR vr)
    {
        vr = new VR((ushort)((a << 8) | b));
        return vr.IsKnown;
    }

    public static bool TryParse(string? text, out VR vr)
    {
        vr = default;
        if (text is not { Length: 2 }) return false;
        return TryFromBytes((byte)text[0], (byte)text[1], out vr);
    }

    public static VR Parse(string text) => TryParse(text, out var vr) ? vr : throw new FormatException($"'{text}' is not a DICOM VR.");

    public bool IsKnown => Traits.Kind != VRKind.None;

    private VRTraits Traits => VRTraits.Of(_code);

    public VRKind Kind => Traits.Kind;

    /// <summary>Explicit VR headers of OB, OD, OF, OL, OV, OW, SQ, SV, UC, UN, UR, UT, UV have a 32-bit length (PS3.5 7.1.2).</summary>
    public bool HasLongLength => Traits.LongLength;

    /// <summary>Byte used to pad a value to even length: space for text, NUL for UI and binary (PS3.5 6.2).</summary>
    public byte PadByte => Traits.Pad;

    /// <summary>Size of one binary value in bytes (2 for US/OW/AT units, 4 for UL/FL, 8 for FD/SV…), 1 for byte and text VRs; the byte-swap unit.</summary>
    public int UnitSize => Traits.Unit;

    /// <summary>Whether text of this VR is decoded with Specific Character Set (PS3.5 6.1.2.3); the others use the default repertoire.</summary>
    public bool UsesCharacterSet => this == LO || this == LT || this == PN || this == SH || this == ST || this == UC || this == UT;

    public bool IsString => Kind is VRKind.Text or VRKind.SingleText;

    /// <summary>Maximum value length in bytes or characters as the standard gives it (0 when unbounded).</summary>
    public int MaxLength => Traits.MaxLength;

    private readonly record struct VRTraits(VRKind Kind, bool LongLength, byte Pad, int Unit, int MaxLength)
    {
        private static readonly Dictionary<ushort, VRTraits> Table = Build();

        public static VRTraits Of(ushort code) => Table.TryGetValue(code, out var t) ? t : default;

        private static Dictionary<ushort, VRTraits> Build()
        {
            var t = new Dictionary<ushort, VRTraits>();
            void Add(VR vr, VRKind kind, bool longLength, byte pad, int unit, int max) => t[vr._code] = new VRTraits(kind, longLength, pad, unit, max);
            Add(AE, VRKind.Text, false, 0x20, 1, 16);
            Add(AS, VRKind.Text, false, 0x20, 1, 4);
            Add(AT, VRKind.Binary, false, 0, 2, 4);
            Add(CS, VRKind.Text, false, 0x20, 1, 16);
            Add(DA, VRKind.Text, false, 0x20, 1, 8);
            Add(DS, VRKind.Text, false, 0x20, 1, 16);
            Add(DT, VRKind.Text, false, 0x20, 1, 26);
            Add(FD, VRKind.Binary, false, 0, 8, 8);
            Add(FL, VRKind.Binary, false, 0, 4, 4);
            Add(IS, VRKind.Text, false, 0x20, 1, 12);
            Add(LO, VRKind.Text, false, 0x20, 1, 64);
            Add(LT, VRKind.SingleText, false, 0x20, 1, 10240);
            Add(OB, VRKind.Binary, true, 0, 1, 0);
            Add(OD, VRKind.Binary, true, 0, 8, 0);
            Add(OF, VRKind.Binary, true, 0, 4, 0);
            Add(OL, VRKind.Binary, true, 0, 4, 0);
            Add(OV, VRKind.Binary, true, 0, 8, 0);
            Add(OW, VRKind.Binary, true, 0, 2, 0);
            Add(PN, VRKind.Text, false, 0x20, 1, 64);
            Add(SH, VRKind.Text, false, 0x20, 1, 16);
            Add(SL, VRKind.Binary, false, 0, 4, 4);
            Add(SQ, VRKind.Sequence, true, 0, 1, 0);
            Add(SS, VRKind.Binary, false, 0, 2, 2);
            Add(ST, VRKind.SingleText, false, 0x20, 1, 1024);
            Add(SV, VRKind.Binary, true, 0, 8, 8);
            Add(TM, VRKind.Text, false, 0x20, 1, 14);
            Add(UC, VRKind.Text, true, 0x20, 1, 0);
            Add(UI, VRKind.Text, false, 0x00, 1, 64);
            Add(UL, VRKind.Binary, false, 0, 4, 4);
            Add(UN, VRKind.Binary, true, 0, 1, 0);
            Add(UR, VRKind.SingleText, true, 0x20, 1, 0);
            Add(US, VRKind.Binary, false, 0, 2, 2);
            Add(UT, VRKind.SingleText, true, 0x20, 1, 0);
            Add(UV, VRKind.Binary, true, 0, 8, 8);
            return t;
        }
    }
}
