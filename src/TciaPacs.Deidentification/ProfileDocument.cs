using System.Text.Json;
using System.Text.Json.Serialization;
using TciaPacs.Deidentification.Profile;

namespace TciaPacs.Deidentification;

/// <summary>
/// A de-identification profile as a JSON file (samples/deid/profile.json): the options of PS3.15 E.3 by name, the
/// pseudonym scheme and the overrides. The same fields appear per collection in the server configuration.
/// </summary>
public sealed class ProfileDocument
{
    /// <summary>Option names of <see cref="DeidentificationMethodCodes.Options"/>, e.g. "RetainLongitudinalModifiedDates".</summary>
    public List<string> Options { get; set; } = [];
    public PatientIdScheme PatientIdScheme { get; set; } = PatientIdScheme.Sequential;
    public string? PatientIdPrefix { get; set; }
    public int MaxDateShiftDays { get; set; } = 365;
    public List<OverrideDocument> Overrides { get; set; } = [];
    public List<string> SafePrivateAttributes { get; set; } = [];

    public sealed class OverrideDocument
    {
        public string Attribute { get; set; } = "";
        public OverrideAction Action { get; set; }
        public string? Value { get; set; }
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static ProfileDocument Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ProfileDocument>(File.ReadAllText(path), Json) ?? new ProfileDocument();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    public ProfileOption ParseOptions() => Options.Aggregate(ProfileOption.None, (all, name) => all | DeidentificationMethodCodes.Parse(name));

    public DeidentificationSettings ToSettings(string collection, byte[] secret) => new()
    {
        Collection = collection,
        Secret = secret,
        Options = ParseOptions(),
        PatientIdScheme = PatientIdScheme,
        PatientIdPrefix = PatientIdPrefix,
        MaxDateShiftDays = MaxDateShiftDays,
        Overrides = Overrides.Select(o => new AttributeOverride(o.Attribute, o.Action, o.Value)).ToList(),
        SafePrivateAttributes = SafePrivateAttributes,
    };
}
