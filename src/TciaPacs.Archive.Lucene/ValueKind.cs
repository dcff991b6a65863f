using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene;

/// <summary>How values of a VR are indexed and matched (PS3.4 C.2.2.2 rules differ by these groups).</summary>
internal enum ValueKind
{
    None,
    /// <summary>AE AS CS LO LT SH ST UC UR UT and UI: exact, case-sensitive; wildcards where the VR allows them.</summary>
    Text,
    /// <summary>PN: literal case-insensitive per component group, wildcards case-insensitive, fuzzy by folded word prefix.</summary>
    PersonName,
    /// <summary>DS IS and binary numbers: compared as doubles.</summary>
    Number,
    /// <summary>DA TM DT: spans of UTC ticks, matched by overlap with the range (C.2.2.2.5).</summary>
    Temporal,
}

internal static class ValueKinds
{
    public static ValueKind Of(VR vr)
    {
        if (vr == VR.PN) return ValueKind.PersonName;
        if (vr == VR.DA || vr == VR.TM || vr == VR.DT) return ValueKind.Temporal;
        if (vr == VR.DS || vr == VR.IS) return ValueKind.Number;
        if (vr == VR.SQ || vr == VR.UN || vr == VR.OB || vr == VR.OW || vr == VR.OD || vr == VR.OF || vr == VR.OL || vr == VR.OV) return ValueKind.None;
        return vr.Kind switch
        {
            VRKind.Binary => ValueKind.Number,
            VRKind.Text or VRKind.SingleText => ValueKind.Text,
            _ => ValueKind.None,
        };
    }

    /// <summary>VRs whose values may exceed Lucene's 32 766-byte term limit.</summary>
    public static bool MayBeLong(VR vr) => vr == VR.LT || vr == VR.UT || vr == VR.UC || vr == VR.UR;

    /// <summary>A key is translated only when its VR is matched like the indexed one (same kind; DA, TM, DT exactly).</summary>
    public static bool Compatible(VR keyVR, VR indexedVR)
    {
        var k = Of(keyVR);
        if (k == ValueKind.None || k != Of(indexedVR)) return false;
        return k != ValueKind.Temporal || keyVR == indexedVR;
    }
}
