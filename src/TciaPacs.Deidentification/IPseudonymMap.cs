using System.Collections.Concurrent;

namespace TciaPacs.Deidentification;

/// <summary>A patient's pseudonyms and date offset, the same for every instance of the patient in a collection.</summary>
public sealed record PatientPseudonym(string PatientId, string PatientName, int DateOffsetDays);

/// <summary>
/// The original → pseudonym map (patient IDs, UIDs, date offsets). It holds identifiers: the archive keeps it in its own
/// store, never served by DICOMweb or DIMSE.
/// </summary>
public interface IPseudonymMap
{
    /// <summary>The patient's pseudonym, created with <paramref name="create"/> (given the next number in the collection, from 1) on first sight.</summary>
    PatientPseudonym GetOrAddPatient(string collection, string originalPatientId, Func<long, PatientPseudonym> create);

    /// <summary>Records a UID replacement (the replacement is a keyed hash, so this is for reversal by authorised staff only).</summary>
    void RecordUid(string collection, string original, string replacement);
}

/// <summary>The map in memory (tests, the command-line de-identifier).</summary>
public sealed class InMemoryPseudonymMap : IPseudonymMap
{
    private readonly ConcurrentDictionary<(string, string), PatientPseudonym> _patients = new();
    private readonly ConcurrentDictionary<string, long> _counters = new();
    private readonly object _lock = new();

    public ConcurrentDictionary<(string Collection, string Original), string> Uids { get; } = new();

    public PatientPseudonym GetOrAddPatient(string collection, string originalPatientId, Func<long, PatientPseudonym> create)
    {
        if (_patients.TryGetValue((collection, originalPatientId), out var p)) return p;
        lock (_lock)
        {
            if (_patients.TryGetValue((collection, originalPatientId), out p)) return p;
            var n = _counters.AddOrUpdate(collection, 1, (_, v) => v + 1);
            return _patients[(collection, originalPatientId)] = create(n);
        }
    }

    public void RecordUid(string collection, string original, string replacement) => Uids.TryAdd((collection, original), replacement);

    public IReadOnlyDictionary<(string Collection, string OriginalPatientId), PatientPseudonym> Patients => _patients;
}
