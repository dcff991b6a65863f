using TciaPacs.Archive.Deidentification;
using TciaPacs.Deidentification;
using TciaPacs.Deidentification.Phi;

namespace TciaPacs.Server.Hosting;

internal sealed partial class ServerOptions
{
    /// <summary>Store-time de-identification and PHI scanning (issue 6; samples/tciapacs.json explains every field).</summary>
    public DeidentificationSection Deidentification { get; set; } = new();

    internal sealed class DeidentificationSection
    {
        /// <summary>What every collection not named in <see cref="Collections"/> gets: the basic profile and quarantine on findings.</summary>
        public CollectionDeidentification Default { get; set; } = new();

        /// <summary>Per collection (by name), replacing <see cref="Default"/> as a whole for that collection.</summary>
        public Dictionary<string, CollectionDeidentification> Collections { get; set; } = new(StringComparer.OrdinalIgnoreCase);

        public CollectionDeidentification For(string collection) =>
            Collections.TryGetValue(collection, out var c) ? c : Default;
    }

    internal sealed class CollectionDeidentification
    {
        /// <summary>"Basic" (PS3.15 E.1-1 with <see cref="Options"/>) or "None" (stored as sent).</summary>
        public string Profile { get; set; } = "Basic";

        /// <summary>A profile file (samples/deid/profile.json) used instead of the fields below.</summary>
        public string? ProfileFile { get; set; }

        /// <summary>An RSNA CTP DicomAnonymizer script used instead of the profile (samples/deid/tcia-default.script.xml).</summary>
        public string? CtpScript { get; set; }

        public List<string> Options { get; set; } = [];
        public PatientIdScheme PatientIdScheme { get; set; } = PatientIdScheme.Sequential;
        public string? PatientIdPrefix { get; set; }
        public int MaxDateShiftDays { get; set; } = 365;
        public List<ProfileDocument.OverrideDocument> Overrides { get; set; } = [];
        public List<string> SafePrivateAttributes { get; set; } = [];

        /// <summary>The secret keying UID, ID and date-offset hashes (at least 16 characters); empty: DATA/private/secrets/COLLECTION.key, made on first use.</summary>
        public string? Secret { get; set; }

        /// <summary>What PHI findings do: Quarantine, Reject, Log or Off; empty: Quarantine when de-identified, Off when Profile is None.</summary>
        public PhiScanMode? PhiScan { get; set; }

        /// <summary>Findings below this severity (Low, Medium, High) are ignored.</summary>
        public PhiSeverity PhiMinimumSeverity { get; set; } = PhiSeverity.Medium;

        public bool Deidentifies => !string.Equals(Profile, "None", StringComparison.OrdinalIgnoreCase);

        public ProfileDocument ToProfileDocument() => ProfileFile != null ? ProfileDocument.Load(ProfileFile) : new ProfileDocument
        {
            Options = Options,
            PatientIdScheme = PatientIdScheme,
            PatientIdPrefix = PatientIdPrefix,
            MaxDateShiftDays = MaxDateShiftDays,
            Overrides = Overrides,
            SafePrivateAttributes = SafePrivateAttributes,
        };
    }
}
