namespace TciaPacs.Dicom;

public enum DicomUidType
{
    Other,
    SopClass,
    MetaSopClass,
    TransferSyntax,
    WellKnownSopInstance,
    WellKnownFrameOfReference,
    CodingScheme,
    ApplicationContextName,
    ServiceClass,
    LdapOid,
    ApplicationHostingModel,
    MappingResource,
    SynchronizationFrameOfReference,
}

/// <summary>A UID of the PS3.6 registry (or one we do not know, with type Other and an empty name).</summary>
public sealed record DicomUid(string Value, string Name, string Keyword, DicomUidType Type, bool IsRetired)
{
    public override string ToString() => Name.Length > 0 ? $"{Value} ({Name})" : Value;
}

public static partial class DicomUids
{
    // Lazy: the generated fields live in another part of this partial class, whose initialisation order is not ours to choose.
    private static readonly Lazy<Dictionary<string, DicomUid>> RegistryLazy = new(() => CreateRegistry().ToDictionary(u => u.Value, StringComparer.Ordinal));
    private static Dictionary<string, DicomUid> Registry => RegistryLazy.Value;

    public static IReadOnlyCollection<DicomUid> All => Registry.Values;

    public static DicomUid? Find(string uid) => Registry.TryGetValue(uid.TrimEnd('\0', ' '), out var u) ? u : null;

    /// <summary>The registry entry, or a bare UID of type Other.</summary>
    public static DicomUid Lookup(string uid) => Find(uid) ?? new DicomUid(uid.TrimEnd('\0', ' '), "", "", DicomUidType.Other, false);

    /// <summary>A UID is 1-64 characters of digits and dots, components without leading zeros (PS3.5 9.1).</summary>
    public static bool IsValid(string uid)
    {
        if (uid.Length is 0 or > 64) return false;
        var start = 0;
        for (var i = 0; i <= uid.Length; i++)
        {
            if (i == uid.Length || uid[i] == '.')
            {
                var len = i - start;
                if (len == 0 || (len > 1 && uid[start] == '0')) return false;
                start = i + 1;
            }
            else if (uid[i] < '0' || uid[i] > '9') return false;
        }
        return true;
    }

    /// <summary>Our implementation's UID root (a UUID-derived 2.25 root, PS3.5 B.2).</summary>
    public const string ImplementationRoot = "2.25.271858452173626339425960785310236467";
    public const string ImplementationClassUid = ImplementationRoot + ".1";
    public const string ImplementationVersionName = "TCIAPACS_010";

    /// <summary>A new globally unique UID under 2.25 from a random UUID (PS3.5 B.2).</summary>
    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(bytes, bigEndian: true, out _);
        return "2.25." + new System.Numerics.BigInteger(bytes, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
