using TciaPacs.Deidentification.Profile;

namespace TciaPacs.Deidentification;

/// <summary>How patient pseudonyms are made.</summary>
public enum PatientIdScheme
{
    /// <summary><c>PREFIX-0001</c>, <c>PREFIX-0002</c>, … in order of first arrival (needs the pseudonym map to stay consistent).</summary>
    Sequential,
    /// <summary><c>PREFIX-</c> and 12 hex digits of a keyed hash of the original ID: consistent without any stored state.</summary>
    Hash,
}

/// <summary>What to do with one attribute, ahead of the profile (per-collection overrides).</summary>
public enum OverrideAction
{
    Keep,
    Remove,
    Empty,
    Replace,
    Hash,
    ShiftDate,
}

/// <summary>An override: the attribute by tag ("0008,1030", "(0008,1030)", "00081030") or keyword, at any depth.</summary>
public sealed record AttributeOverride(string Attribute, OverrideAction Action, string? Value = null);

/// <summary>
/// The de-identification of one collection: the profile options, the secret keying every hash (UIDs, IDs, date
/// offsets), the pseudonym scheme and the overrides. Two runs with equal settings give byte-identical output.
/// </summary>
public sealed record DeidentificationSettings
{
    /// <summary>The collection name: the default pseudonym prefix and the key of the pseudonym map.</summary>
    public string Collection { get; init; } = "default";

    public ProfileOption Options { get; init; }

    /// <summary>The per-collection secret (at least 16 bytes) keying HMAC-SHA256.</summary>
    public required byte[] Secret { get; init; }

    public PatientIdScheme PatientIdScheme { get; init; } = PatientIdScheme.Sequential;

    /// <summary>Prefix of patient pseudonyms (default: the collection name in upper case).</summary>
    public string? PatientIdPrefix { get; init; }

    /// <summary>Dates move back by 1 to this many days, per patient (Retain Longitudinal … Modified Dates).</summary>
    public int MaxDateShiftDays { get; init; } = 365;

    public IReadOnlyList<AttributeOverride> Overrides { get; init; } = [];

    /// <summary>
    /// Private attributes kept under Retain Safe Private (PS3.15 E.3.10): <c>gggg,xxee@CREATOR</c> (xx the block), e.g.
    /// <c>0019,xx0C@SIEMENS MR HEADER</c>, or <c>gggg@CREATOR</c> for a whole block.
    /// </summary>
    public IReadOnlyList<string> SafePrivateAttributes { get; init; } = [];

    public string Prefix => PatientIdPrefix ?? Collection.ToUpperInvariant();
}
