using TciaPacs.Dicom;

namespace TciaPacs.Deidentification;

/// <summary>Something that de-identifies one data set: the native profile (<see cref="Deidentifier"/>) or an imported CTP script (<see cref="Ctp.CtpAnonymizer"/>).</summary>
public interface IInstanceDeidentifier
{
    DeidentificationResult Deidentify(DicomDataset dataset);
}
