namespace TciaPacs.Dicom.Formats;

/// <summary>One level of nesting: the sequence and the (0-based) index of the item within it.</summary>
public readonly record struct DicomPathStep(DicomTag Sequence, int Item)
{
    public override string ToString() => $"{Sequence}[{Item}]";
}
