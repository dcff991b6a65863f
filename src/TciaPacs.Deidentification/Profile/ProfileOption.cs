namespace TciaPacs.Deidentification.Profile;

/// <summary>
/// The options of the Basic Application Level Confidentiality Profile (PS3.15 E.3), in the order of the option columns
/// of Table E.1-1. Clean Pixel Data and Clean Recognizable Visual Features (E.3.1, E.3.2) act on pixels, which a header
/// filter cannot do; they are not offered.
/// </summary>
[Flags]
public enum ProfileOption
{
    None = 0,
    /// <summary>PS3.15 E.3.10: private attributes known to be safe are kept.</summary>
    RetainSafePrivate = 1 << 0,
    /// <summary>PS3.15 E.3.9: UIDs are kept.</summary>
    RetainUids = 1 << 1,
    /// <summary>PS3.15 E.3.8: device identifiers are kept.</summary>
    RetainDeviceIdentity = 1 << 2,
    /// <summary>PS3.15 E.3.11: institution identity is kept.</summary>
    RetainInstitutionIdentity = 1 << 3,
    /// <summary>PS3.15 E.3.7: sex, age, size, weight, ethnic group, smoking, pregnancy are kept.</summary>
    RetainPatientCharacteristics = 1 << 4,
    /// <summary>PS3.15 E.3.6: dates and times kept as they are.</summary>
    RetainLongitudinalFullDates = 1 << 5,
    /// <summary>PS3.15 E.3.6: dates and times shifted by an offset per patient.</summary>
    RetainLongitudinalModifiedDates = 1 << 6,
    /// <summary>PS3.15 E.3.5: descriptions kept once cleaned of identifiers.</summary>
    CleanDescriptors = 1 << 7,
    /// <summary>PS3.15 E.3.4: SR content kept once cleaned.</summary>
    CleanStructuredContent = 1 << 8,
    /// <summary>PS3.15 E.3.3: graphic annotations kept once cleaned.</summary>
    CleanGraphics = 1 << 9,
}

/// <summary>The CID 7050 "De-identification Method" code of the profile and of each option (PS3.16, DCM scheme).</summary>
public static class DeidentificationMethodCodes
{
    public const string BasicProfile = "113100";

    /// <summary>Each option in the order of <see cref="ProfileOption"/>, with its code and meaning.</summary>
    public static readonly IReadOnlyList<(ProfileOption Option, string Code, string Meaning, string Name)> Options =
    [
        (ProfileOption.RetainSafePrivate, "113111", "Retain Safe Private Option", "RetainSafePrivate"),
        (ProfileOption.RetainUids, "113110", "Retain UIDs Option", "RetainUids"),
        (ProfileOption.RetainDeviceIdentity, "113109", "Retain Device Identity Option", "RetainDeviceIdentity"),
        (ProfileOption.RetainInstitutionIdentity, "113112", "Retain Institution Identity Option", "RetainInstitutionIdentity"),
        (ProfileOption.RetainPatientCharacteristics, "113108", "Retain Patient Characteristics Option", "RetainPatientCharacteristics"),
        (ProfileOption.RetainLongitudinalFullDates, "113106", "Retain Longitudinal Temporal Information Full Dates Option", "RetainLongitudinalFullDates"),
        (ProfileOption.RetainLongitudinalModifiedDates, "113107", "Retain Longitudinal Temporal Information Modified Dates Option", "RetainLongitudinalModifiedDates"),
        (ProfileOption.CleanDescriptors, "113105", "Clean Descriptors Option", "CleanDescriptors"),
        (ProfileOption.CleanStructuredContent, "113104", "Clean Structured Content Option", "CleanStructuredContent"),
        (ProfileOption.CleanGraphics, "113103", "Clean Graphics Option", "CleanGraphics"),
    ];

    /// <summary>Parses an option by its name above (case-insensitive), e.g. "RetainLongitudinalModifiedDates".</summary>
    public static ProfileOption Parse(string name)
    {
        foreach (var o in Options)
            if (string.Equals(o.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) return o.Option;
        throw new FormatException($"unknown de-identification option '{name}'; known: {string.Join(", ", Options.Select(o => o.Name))}");
    }
}
