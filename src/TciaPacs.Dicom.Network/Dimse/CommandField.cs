namespace TciaPacs.Dicom.Network.Dimse;

/// <summary>Command Field (0000,0100) values of the DIMSE-C services and the DIMSE-N ones Storage Commitment uses (PS3.7 E.1, Table E.1-1; E.2, Table E.2-1).</summary>
public enum CommandField : ushort
{
    CStoreRequest = 0x0001,
    CStoreResponse = 0x8001,
    CGetRequest = 0x0010,
    CGetResponse = 0x8010,
    CFindRequest = 0x0020,
    CFindResponse = 0x8020,
    CMoveRequest = 0x0021,
    CMoveResponse = 0x8021,
    CEchoRequest = 0x0030,
    CEchoResponse = 0x8030,
    CCancelRequest = 0x0FFF,
    NEventReportRequest = 0x0100,
    NEventReportResponse = 0x8100,
    NActionRequest = 0x0130,
    NActionResponse = 0x8130,
}
