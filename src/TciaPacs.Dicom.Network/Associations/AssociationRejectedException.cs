using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>The peer answered A-ASSOCIATE-RJ (PS3.8 9.3.4).</summary>
public sealed class AssociationRejectedException(AssociateReject reject) : Exception($"association rejected: {reject}")
{
    public AssociateReject Reject { get; } = reject;
}
