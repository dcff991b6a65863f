namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4): the roles the requestor proposes for, or is granted on, a SOP class.</summary>
public sealed record RoleSelection(string SopClassUid, bool ScuRole, bool ScpRole);
