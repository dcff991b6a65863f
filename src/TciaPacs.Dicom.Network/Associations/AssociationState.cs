namespace TciaPacs.Dicom.Network.Associations;

/// <summary>The states of the DICOM upper layer protocol machine (PS3.8 9.2, Table 9-1) that this implementation passes through.</summary>
public enum AssociationState
{
    /// <summary>Sta1: idle, no association.</summary>
    Sta1Idle = 1,
    /// <summary>Sta2: transport connection open, awaiting A-ASSOCIATE-RQ PDU (ARTIM running).</summary>
    Sta2AwaitingAssociateRequest = 2,
    /// <summary>Sta3: awaiting local A-ASSOCIATE response primitive.</summary>
    Sta3AwaitingLocalResponse = 3,
    /// <summary>Sta5: awaiting A-ASSOCIATE-AC or -RJ PDU.</summary>
    Sta5AwaitingAssociateAnswer = 5,
    /// <summary>Sta6: association established, ready for data transfer.</summary>
    Sta6Established = 6,
    /// <summary>Sta7: awaiting A-RELEASE-RP PDU.</summary>
    Sta7AwaitingReleaseResponse = 7,
    /// <summary>Sta8: awaiting local A-RELEASE response primitive (finishing the operations in progress).</summary>
    Sta8AwaitingLocalReleaseResponse = 8,
    /// <summary>Sta13: awaiting transport connection close (ARTIM running).</summary>
    Sta13AwaitingClose = 13,
}
