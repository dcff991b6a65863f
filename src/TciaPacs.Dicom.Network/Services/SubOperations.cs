using TciaPacs.Dicom.Network.Dimse;

namespace TciaPacs.Dicom.Network.Services;

/// <summary>The sub-operation counts of a C-MOVE or C-GET (PS3.7 9.1.3-9.1.4: Remaining, Completed, Failed, Warning) and the failed SOP instances.</summary>
internal sealed class SubOperations(int total)
{
    public int Completed { get; private set; }
    public int Failed { get; private set; }
    public int Warning { get; private set; }
    public int Remaining => total - Completed - Failed - Warning;
    public List<string> FailedUids { get; } = [];

    public void Record(RetrieveItem item, ushort status)
    {
        if (status == DimseStatus.Success) Completed++;
        else if (DimseStatus.IsWarning(status)) Warning++;
        else
        {
            Failed++;
            FailedUids.Add(item.SopInstanceUid);
        }
    }

    public void FailAll(IReadOnlyList<RetrieveItem> items) => FailRemaining(items, 0);

    public void FailRemaining(IReadOnlyList<RetrieveItem> items, int from)
    {
        for (var i = from; i < items.Count; i++)
        {
            Failed++;
            FailedUids.Add(items[i].SopInstanceUid);
        }
    }

    /// <summary>Counts into a response; the final one of a completed operation carries no Remaining (PS3.4 C.4.2.1.5).</summary>
    public void Apply(DimseCommand rsp, bool final)
    {
        if (!final) rsp.Remaining = (ushort)Math.Min(Remaining, ushort.MaxValue);
        rsp.Completed = (ushort)Math.Min(Completed, ushort.MaxValue);
        rsp.Failed = (ushort)Math.Min(Failed, ushort.MaxValue);
        rsp.Warning = (ushort)Math.Min(Warning, ushort.MaxValue);
    }

    public override string ToString() => $"{Completed} completed, {Failed} failed, {Warning} warning";
}
