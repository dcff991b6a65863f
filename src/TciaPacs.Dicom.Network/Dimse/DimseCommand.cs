using System.Globalization;

namespace TciaPacs.Dicom.Network.Dimse;

/// <summary>
/// A DIMSE command set (PS3.7 9.3, E.1): group 0000 elements, encoded in Implicit VR Little Endian whatever the
/// presentation context (PS3.7 6.3.1). Typed accessors over a <see cref="DicomDataset"/>.
/// </summary>
public sealed class DimseCommand
{
    /// <summary>Command Data Set Type (0000,0800) when no data set follows (PS3.7 E.1); any other value means one does.</summary>
    public const ushort NoDataSet = 0x0101;

    public DimseCommand(DicomDataset elements) => Elements = elements;

    public DimseCommand(CommandField field)
    {
        Elements = new DicomDataset();
        SetUShort(DicomTags.CommandField, (ushort)field);
        SetUShort(DicomTags.CommandDataSetType, NoDataSet);
    }

    public DicomDataset Elements { get; }

    public CommandField Field => (CommandField)(UShort(DicomTags.CommandField) ?? 0);
    public bool IsResponse => ((ushort)Field & 0x8000) != 0;
    public bool HasDataSet { get => UShort(DicomTags.CommandDataSetType) is { } t && t != NoDataSet; set => SetUShort(DicomTags.CommandDataSetType, value ? (ushort)0x0000 : NoDataSet); }

    public ushort MessageId { get => UShort(DicomTags.MessageID) ?? 0; set => SetUShort(DicomTags.MessageID, value); }
    public ushort MessageIdBeingRespondedTo { get => UShort(DicomTags.MessageIDBeingRespondedTo) ?? 0; set => SetUShort(DicomTags.MessageIDBeingRespondedTo, value); }
    public ushort Status { get => UShort(DicomTags.Status) ?? 0; set => SetUShort(DicomTags.Status, value); }
    public ushort Priority { get => UShort(DicomTags.Priority) ?? 0; set => SetUShort(DicomTags.Priority, value); }

    public string? AffectedSopClassUid { get => Text(DicomTags.AffectedSOPClassUID); set => SetText(DicomTags.AffectedSOPClassUID, VR.UI, value); }
    public string? AffectedSopInstanceUid { get => Text(DicomTags.AffectedSOPInstanceUID); set => SetText(DicomTags.AffectedSOPInstanceUID, VR.UI, value); }
    public string? RequestedSopClassUid { get => Text(DicomTags.RequestedSOPClassUID); set => SetText(DicomTags.RequestedSOPClassUID, VR.UI, value); }
    public string? RequestedSopInstanceUid { get => Text(DicomTags.RequestedSOPInstanceUID); set => SetText(DicomTags.RequestedSOPInstanceUID, VR.UI, value); }
    public ushort? ActionTypeId { get => UShort(DicomTags.ActionTypeID); set => SetOptional(DicomTags.ActionTypeID, value); }
    public ushort? EventTypeId { get => UShort(DicomTags.EventTypeID); set => SetOptional(DicomTags.EventTypeID, value); }
    public string? MoveDestination { get => Text(DicomTags.MoveDestination); set => SetText(DicomTags.MoveDestination, VR.AE, value); }
    public string? MoveOriginatorAeTitle { get => Text(DicomTags.MoveOriginatorApplicationEntityTitle); set => SetText(DicomTags.MoveOriginatorApplicationEntityTitle, VR.AE, value); }
    public ushort? MoveOriginatorMessageId { get => UShort(DicomTags.MoveOriginatorMessageID); set { if (value is { } v) SetUShort(DicomTags.MoveOriginatorMessageID, v); } }
    public string? ErrorComment { get => Text(DicomTags.ErrorComment); set => SetText(DicomTags.ErrorComment, VR.LO, value is { Length: > 64 } ? value[..64] : value); }

    public ushort? Remaining { get => UShort(DicomTags.NumberOfRemainingSuboperations); set => SetOptional(DicomTags.NumberOfRemainingSuboperations, value); }
    public ushort? Completed { get => UShort(DicomTags.NumberOfCompletedSuboperations); set => SetOptional(DicomTags.NumberOfCompletedSuboperations, value); }
    public ushort? Failed { get => UShort(DicomTags.NumberOfFailedSuboperations); set => SetOptional(DicomTags.NumberOfFailedSuboperations, value); }
    public ushort? Warning { get => UShort(DicomTags.NumberOfWarningSuboperations); set => SetOptional(DicomTags.NumberOfWarningSuboperations, value); }

    /// <summary>A request of <paramref name="field"/> for a SOP class.</summary>
    public static DimseCommand Request(CommandField field, ushort messageId, string sopClassUid, bool hasDataSet)
    {
        var c = new DimseCommand(field) { AffectedSopClassUid = sopClassUid, MessageId = messageId, HasDataSet = hasDataSet };
        if (field is CommandField.CStoreRequest or CommandField.CFindRequest or CommandField.CMoveRequest or CommandField.CGetRequest) c.Priority = 0;
        return c;
    }

    /// <summary>The response to <paramref name="request"/> (PS3.7 9.3): same SOP class (and instance for C-STORE), the message ID it answers.</summary>
    public static DimseCommand ResponseTo(DimseCommand request, ushort status, bool hasDataSet = false)
    {
        var c = new DimseCommand((CommandField)((ushort)request.Field | 0x8000)) { MessageIdBeingRespondedTo = request.MessageId, Status = status, HasDataSet = hasDataSet };
        if (request.AffectedSopClassUid is { } sop) c.AffectedSopClassUid = sop;
        if (request.Field == CommandField.CStoreRequest && request.AffectedSopInstanceUid is { } inst) c.AffectedSopInstanceUid = inst;
        // N-ACTION-RSP names the instance acted on and the action (PS3.7 10.1.4.1.3); N-EVENT-REPORT-RSP the event's.
        if (request.Field == CommandField.NActionRequest)
        {
            c.AffectedSopClassUid = request.RequestedSopClassUid;
            c.AffectedSopInstanceUid = request.RequestedSopInstanceUid;
            c.ActionTypeId = request.ActionTypeId;
        }
        if (request.Field == CommandField.NEventReportRequest)
        {
            c.AffectedSopInstanceUid = request.AffectedSopInstanceUid;
            c.EventTypeId = request.EventTypeId;
        }
        return c;
    }

    public ushort? UShort(DicomTag tag) => Elements.Get(tag) is { Buffer.Length: >= 2 } e ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(e.Buffer.GetBytes().Span) : null;

    public string? Text(DicomTag tag) => Elements.Get(tag) is { } e ? Elements.GetString(e).Trim(' ', '\0') : null;

    public void SetUShort(DicomTag tag, ushort value) => Elements.AddOrUpdate(tag, VR.US, [value]);

    private void SetOptional(DicomTag tag, ushort? value)
    {
        if (value is { } v) SetUShort(tag, v); else Elements.Remove(tag);
    }

    private void SetText(DicomTag tag, VR vr, string? value)
    {
        if (value == null) Elements.Remove(tag); else Elements.AddOrUpdate(tag, vr, value);
    }

    public override string ToString()
    {
        var s = $"{Field} id {(IsResponse ? MessageIdBeingRespondedTo : MessageId)}";
        if (IsResponse) s += " status 0x" + Status.ToString("X4", CultureInfo.InvariantCulture);
        return s;
    }
}
