using TciaPacs.Deidentification.Profile;
using TciaPacs.Dicom;

namespace TciaPacs.Deidentification;

/// <summary>
/// The Basic Application Level Confidentiality Profile (PS3.15 E.1.1, Table E.1-1) with its options, applied at every
/// depth of the data set: a pure function of (data set, settings, pseudonym map) that returns a new data set and a
/// report. Patient ID and Patient's Name become the patient's pseudonyms; UIDs become keyed hashes under 2.25, so
/// references inside and across the instances of a study still resolve; dates move by the patient's offset under
/// Retain Longitudinal Temporal Information with Modified Dates.
/// </summary>
public sealed class Deidentifier : IInstanceDeidentifier
{
    private readonly DeidentificationSettings _settings;
    private readonly IPseudonymMap _map;
    private readonly KeyedHash _hash;
    private readonly Dictionary<uint, AttributeOverride> _overrides = [];
    private readonly List<(ushort Group, string Creator, int Offset)> _safePrivate = [];

    public Deidentifier(DeidentificationSettings settings, IPseudonymMap? map = null)
    {
        _settings = settings;
        _map = map ?? new InMemoryPseudonymMap();
        _hash = new KeyedHash(settings.Secret);
        foreach (var o in settings.Overrides)
        {
            if (!DicomTag.TryParse(o.Attribute, out var tag)) throw new FormatException($"override '{o.Attribute}': neither a tag nor a keyword");
            if (o.Action == OverrideAction.Replace && o.Value == null) throw new FormatException($"override '{o.Attribute}': replace needs a value");
            _overrides[tag.Value] = o;
        }
        foreach (var s in settings.SafePrivateAttributes) _safePrivate.Add(ParseSafePrivate(s));
    }

    public DeidentificationSettings Settings => _settings;

    public DeidentificationResult Deidentify(DicomDataset input)
    {
        var original = OriginalIdentifiers.From(input);
        var ctx = new Context(original, Patient(input), []);
        var ds = input.Clone();
        Process(ds, "", ctx, ProfileAction.None);
        Provenance.Apply(ds, _settings.Options, $"TciaPacs de-identification ({_settings.Collection})");
        return new DeidentificationResult(ds, original, ctx.Edits) { Pseudonym = ctx.Patient.PatientId };
    }

    /// <summary>The patient's pseudonyms and date offset, from the map (created on first sight).</summary>
    public PatientPseudonym Patient(DicomDataset input)
    {
        string originalId;
        try { originalId = input.GetString(DicomTags.PatientID) ?? ""; }
        catch (Exception ex) when (ex is FormatException or ArgumentException) { originalId = ""; }
        return _map.GetOrAddPatient(_settings.Collection, originalId, n =>
        {
            var id = _settings.PatientIdScheme == PatientIdScheme.Hash
                ? $"{_settings.Prefix}-{_hash.Hex("patient", originalId, 12)}"
                : $"{_settings.Prefix}-{n:0000}";
            if (id.Length > 64) id = id[^64..];
            return new PatientPseudonym(id, id, _hash.Days("date-offset", originalId, _settings.MaxDateShiftDays));
        });
    }

    private sealed record Context(OriginalIdentifiers Original, PatientPseudonym Patient, List<DeidentificationEdit> Edits);

    private void Process(DicomDataset ds, string path, Context ctx, ProfileAction freeTextAction)
    {
        foreach (var e in ds.ToList())
        {
            var p = path + e.Tag;
            try
            {
                ProcessElement(ds, e, p, ctx, freeTextAction);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or InvalidOperationException)
            {
                // A value we cannot read is not a value we may pass on.
                ds.Remove(e.Tag);
                ctx.Edits.Add(new(p, "X (unreadable)"));
            }
        }
        RemoveEmptyPrivateBlocks(ds, path, ctx);
    }

    private void ProcessElement(DicomDataset ds, DicomElement e, string p, Context ctx, ProfileAction freeTextAction)
    {
        var tag = e.Tag;
        if (tag.IsGroupLength) { ds.Remove(tag); return; }
        if (tag == DicomTags.SpecificCharacterSet) return;
        if (_overrides.TryGetValue(tag.Value, out var o)) { ApplyOverride(ds, e, o, p, ctx); return; }
        if (tag == DicomTags.PatientID || tag == DicomTags.PatientName)
        {
            ds.AddOrUpdate(tag, tag == DicomTags.PatientID ? ctx.Patient.PatientId : ctx.Patient.PatientName);
            ctx.Edits.Add(new(p, "pseudonym"));
            return;
        }
        if (tag.IsPrivate)
        {
            if (tag.IsPrivateCreator || tag.Element < 0x10) return; // creators go with their block (RemoveEmptyPrivateBlocks)
            var retainSafe = ConfidentialityProfile.Resolve(ConfidentialityProfile.PrivateAttributes, _settings.Options) == ProfileAction.Clean;
            if (retainSafe && IsSafePrivate(ds, tag))
            {
                if (e is DicomSequence sq) Recurse(sq, p, ctx, ProfileAction.None);
                return;
            }
            ds.Remove(tag);
            ctx.Edits.Add(new(p, "X"));
            return;
        }
        var row = ConfidentialityProfile.Find(tag);
        ProfileAction action;
        if (row != null) action = ConfidentialityProfile.Resolve(row, _settings.Options).Effective();
        else if ((tag == DicomTags.TextValue || tag == DicomTags.UnformattedTextValue) && freeTextAction != ProfileAction.None) action = freeTextAction;
        else action = ProfileAction.Keep;
        if (action == ProfileAction.Remove && ZeroInsteadOfRemove(ds, tag)) action = ProfileAction.Zero;
        Apply(ds, e, action, p, ctx, row);
    }

    private static bool IsRepeatingGroup(DicomTag tag) => (tag.Group & 0xFF00) is 0x6000 or 0x5000;

    /// <summary>
    /// Where E.1-1 says X but the IOD at hand makes the attribute Type 2 or 2C (PS3.3), an empty value removes the
    /// identifier and keeps the instance valid: Responsible Person/Organization of a non-human patient (C.7.1.1), Reason
    /// for Requested Procedure Code Sequence in a Hanging Protocol (C.23.1).
    /// </summary>
    private static bool ZeroInsteadOfRemove(DicomDataset ds, DicomTag tag)
    {
        if (tag == DicomTags.ResponsiblePerson || tag == DicomTags.ResponsibleOrganization)
            return ds.Contains(DicomTags.PatientSpeciesDescription) || ds.Contains(DicomTags.PatientSpeciesCodeSequence);
        if (tag == DicomTags.ReasonForRequestedProcedureCodeSequence)
        {
            var root = ds;
            while (root.Parent != null) root = root.Parent;
            return root.GetString(DicomTags.SOPClassUID) == "1.2.840.10008.5.1.4.38.1";
        }
        return false;
    }

    private void Apply(DicomDataset ds, DicomElement e, ProfileAction action, string p, Context ctx, ConfidentialityProfile.Row? row = null)
    {
        switch (action)
        {
            case ProfileAction.Keep:
                if (e is DicomSequence keep) Recurse(keep, p, ctx, ProfileAction.None);
                return;
            case ProfileAction.Remove:
                ds.Remove(e.Tag);
                if (IsRepeatingGroup(e.Tag))
                    // Overlay (60xx) and curve (50xx) groups go whole: the Overlay Plane module without its data is invalid.
                    ds.RemoveAll(x => x.Tag.Group == e.Tag.Group);
                break;
            case ProfileAction.Zero:
                // X/Z on Referenced Study Sequence: Type 3 wherever PS3.3 puts it, and an empty Type 3 sequence is invalid
                // (its VM is 1-n), so X is the valid choice. (Acquisition Context Sequence, also X/Z, is Type 2: Z.)
                if (e.Tag == DicomTags.ReferencedStudySequence && row?.Basic == ProfileAction.RemoveOrZero) { ds.Remove(e.Tag); action = ProfileAction.Remove; break; }
                ds.Add(ValueEdits.Empty(e));
                break;
            case ProfileAction.Dummy:
                if (e is DicomSequence dummy) { Recurse(dummy, p, ctx, ProfileAction.Dummy); break; }
                // A dummy UID is a replaced one: it stays unique and references to it still resolve.
                if (ds.ValueVR(e) == VR.UI) { ValueEdits.ReplaceUids(ds, e, _hash, (a, b) => _map.RecordUid(_settings.Collection, a, b)); break; }
                ValueEdits.SetDummy(ds, e);
                break;
            case ProfileAction.Clean:
                if (e is DicomSequence clean) { Recurse(clean, p, ctx, ProfileAction.Clean); break; }
                Clean(ds, e, ctx);
                break;
            case ProfileAction.ReplaceUid:
                if (e is DicomSequence refs) { Recurse(refs, p, ctx, ProfileAction.None); break; }
                if (ds.ValueVR(e) != VR.UI) { ValueEdits.SetDummy(ds, e); break; }
                ValueEdits.ReplaceUids(ds, e, _hash, (a, b) => _map.RecordUid(_settings.Collection, a, b));
                break;
            default:
                return;
        }
        ctx.Edits.Add(new(p, action.Code()));
    }

    private void Recurse(DicomSequence sq, string p, Context ctx, ProfileAction freeTextAction)
    {
        for (var i = 0; i < sq.Items.Count; i++) Process(sq.Items[i], $"{p}[{i}].", ctx, freeTextAction);
    }

    /// <summary>C: dates shift under Modified Dates; text is cleaned of identifiers; anything else is kept.</summary>
    private void Clean(DicomDataset ds, DicomElement e, Context ctx)
    {
        var vr = ds.ValueVR(e);
        if (vr == VR.DA || vr == VR.DT)
        {
            if ((_settings.Options & ProfileOption.RetainLongitudinalModifiedDates) != 0) ValueEdits.ShiftDates(ds, e, ctx.Patient.DateOffsetDays);
            return;
        }
        if (vr == VR.TM) return;
        if (vr.IsString && vr != VR.UI && e.VR != VR.UN)
        {
            var text = ds.GetString(e);
            var cleaned = TextCleaner.Clean(text, ctx.Original);
            if (cleaned != text) ds.AddOrUpdate(e.Tag, e.VR, cleaned);
        }
    }

    private void ApplyOverride(DicomDataset ds, DicomElement e, AttributeOverride o, string p, Context ctx)
    {
        switch (o.Action)
        {
            case OverrideAction.Keep:
                if (e is DicomSequence sq) Recurse(sq, p, ctx, ProfileAction.None);
                return;
            case OverrideAction.Remove:
                ds.Remove(e.Tag);
                break;
            case OverrideAction.Empty:
                ds.Add(ValueEdits.Empty(e));
                break;
            case OverrideAction.Replace:
                ds.AddOrUpdate(e.Tag, e.VR == VR.UN ? ds.ResolveVR(e.Tag) : e.VR, o.Value!.Split('\\'));
                break;
            case OverrideAction.Hash:
                if (ds.ValueVR(e) == VR.UI) ValueEdits.ReplaceUids(ds, e, _hash, (a, b) => _map.RecordUid(_settings.Collection, a, b));
                else if (ds.ValueVR(e).IsString)
                    ds.AddOrUpdate(e.Tag, e.VR, _hash.Hex("override:" + e.Tag.ToHex(), ds.GetString(e), ValueEdits.MaxLength(ds.ValueVR(e))));
                else ds.Remove(e.Tag);
                break;
            case OverrideAction.ShiftDate:
                ValueEdits.ShiftDates(ds, e, ctx.Patient.DateOffsetDays);
                break;
        }
        ctx.Edits.Add(new(p, "override " + o.Action.ToString().ToLowerInvariant()));
    }

    private bool IsSafePrivate(DicomDataset ds, DicomTag tag)
    {
        if (_safePrivate.Count == 0) return false;
        var creator = ds.GetPrivateCreator(tag);
        if (creator == null) return false;
        foreach (var (group, c, offset) in _safePrivate)
            if (group == tag.Group && string.Equals(c, creator.Trim(), StringComparison.OrdinalIgnoreCase) && (offset < 0 || offset == (tag.Element & 0xFF)))
                return true;
        return false;
    }

    private static (ushort, string, int) ParseSafePrivate(string s)
    {
        // gggg,xxee@CREATOR or gggg@CREATOR
        var at = s.IndexOf('@');
        if (at < 4) throw new FormatException($"safe private attribute '{s}': expected gggg,xxee@CREATOR or gggg@CREATOR");
        var tag = s[..at].Trim().Trim('(', ')');
        var creator = s[(at + 1)..].Trim();
        var group = Convert.ToUInt16(tag[..4], 16);
        if (tag.Length == 4) return (group, creator, -1);
        var el = tag.Replace(",", "")[4..];
        if (el.Length != 4 || !el.StartsWith("xx", StringComparison.OrdinalIgnoreCase)) throw new FormatException($"safe private attribute '{s}': the element must read xxee");
        return (group, creator, Convert.ToInt32(el[2..], 16));
    }

    private static void RemoveEmptyPrivateBlocks(DicomDataset ds, string path, Context ctx) =>
        PrivateBlocks.RemoveEmpty(ds, t => ctx.Edits.Add(new(path + t, "X")));
}
