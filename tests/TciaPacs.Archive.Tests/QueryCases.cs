using TciaPacs.Archive.Query;

namespace TciaPacs.Archive.Tests;

/// <summary>Queries covering each matching rule of PS3.4 C.2.2.2 at each level, over the generated data (run 7) and the corpus.</summary>
internal static class QueryCases
{
    public const int Run = 7;
    private static readonly string R = GeneratedData.Root(Run);

    public static IEnumerable<(string Name, DicomQuery Query)> All()
    {
        // Patient level.
        yield return Q(QueryLevel.Patient, "PatientID=", "PatientName=");
        yield return Q(QueryLevel.Patient, $"PatientID=GEN{Run}-1");
        yield return Q(QueryLevel.Patient, $"PatientID=GEN{Run}-*");
        yield return Q(QueryLevel.Patient, "PatientName=dupont^jérôme");
        yield return Q(QueryLevel.Patient, "PatientName=*ü*");
        yield return Q(QueryLevel.Patient, "PatientName=M*");
        yield return Q(QueryLevel.Patient, "PatientName=*a*", "NumberOfPatientRelatedInstances=");
        yield return Q(QueryLevel.Patient, "PatientBirthDate=19500101-19651231");
        yield return Q(QueryLevel.Patient, "PatientBirthDate=\"\"");
        yield return Q(QueryLevel.Patient, "PatientSex=F");
        yield return ("fuzzy joh do", Q(QueryLevel.Patient, "PatientName=joh do").Query with { FuzzyMatching = true });
        yield return ("fuzzy jerome", Q(QueryLevel.Patient, "PatientName=JEROME").Query with { FuzzyMatching = true });
        // Study level.
        yield return Q(QueryLevel.Study, "StudyInstanceUID=", "NumberOfStudyRelatedInstances=", "ModalitiesInStudy=");
        yield return Q(QueryLevel.Study, "StudyDate=20110101-");
        yield return Q(QueryLevel.Study, "StudyDate=-20121231");
        yield return Q(QueryLevel.Study, "StudyDate=20140401-20161231");
        yield return Q(QueryLevel.Study, "StudyDate=20150410");
        yield return Q(QueryLevel.Study, "StudyDate=19900101-20051231");
        yield return Q(QueryLevel.Study, "StudyTime=0900-1100");
        yield return Q(QueryLevel.Study, $"StudyInstanceUID={R}.0.1.1\\{R}.2.3.1\\1.2.3.404");
        yield return Q(QueryLevel.Study, $"AccessionNumber=ACC{Run}1*");
        yield return Q(QueryLevel.Study, $"AccessionNumber=ACC{Run}12");
        yield return Q(QueryLevel.Study, "AccessionNumber=OTHER1");
        yield return Q(QueryLevel.Series, "AccessionNumber=OTH*", "Modality=CT");
        yield return Q(QueryLevel.Study, "ModalitiesInStudy=MR");
        yield return Q(QueryLevel.Study, "ModalitiesInStudy=CT", "PatientID=");
        yield return Q(QueryLevel.Study, "StudyDescription=*CT*");
        yield return Q(QueryLevel.Study, "StudyDescription=*ct*");
        yield return Q(QueryLevel.Study, "ReferringPhysicianName=\"\"");
        yield return Q(QueryLevel.Study, "ReferringPhysicianName=ångström^lars");
        yield return Q(QueryLevel.Study, "PatientName=Doe*", "StudyDate=20180101-");
        yield return Q(QueryLevel.Study, "ProcedureCodeSequence.CodeValue=P2");
        yield return Q(QueryLevel.Study, "ProcedureCodeSequence.CodeValue=P?", "ProcedureCodeSequence.CodingSchemeDesignator=99TEST");
        yield return Q(QueryLevel.Study, $"PatientID=GEN{Run}-2", "NumberOfStudyRelatedSeries=", "SOPClassesInStudy=");
        yield return Q(QueryLevel.Study, "StudyID=S?");
        // Series level.
        yield return Q(QueryLevel.Series, "Modality=CT");
        yield return Q(QueryLevel.Series, "Modality=C?");
        yield return Q(QueryLevel.Series, "Modality=MR", "NumberOfSeriesRelatedInstances=");
        yield return Q(QueryLevel.Series, "SeriesNumber=2");
        yield return Q(QueryLevel.Series, "BodyPartExamined=\"\"");
        yield return Q(QueryLevel.Series, "SeriesDescription=MR*");
        yield return Q(QueryLevel.Series, $"SeriesInstanceUID={R}.1.2.0.2");
        yield return Q(QueryLevel.Series, $"StudyInstanceUID={R}.2.1.1");
        yield return Q(QueryLevel.Series, "SeriesDate=20150101-");
        yield return Q(QueryLevel.Series, $"PatientID=GEN{Run}-0", "StudyDate=-20111231", "Modality=PT");
        // Image level.
        yield return Q(QueryLevel.Image, "SOPClassUID=1.2.840.10008.5.1.4.1.1.4");
        yield return Q(QueryLevel.Image, "InstanceNumber=3");
        yield return Q(QueryLevel.Image, "Rows=8");
        yield return Q(QueryLevel.Image, "ContentDate=20140101-20141231");
        yield return Q(QueryLevel.Image, $"SeriesInstanceUID={R}.0.3.1.2");
        yield return Q(QueryLevel.Image, $"SOPInstanceUID={R}.0.0.0.0.4\\{R}.2.3.2.4.4\\{R}.1.1.1.1.4");
        yield return Q(QueryLevel.Image, "Modality=MR", "InstanceNumber=1");
        yield return Q(QueryLevel.Image, "PhotometricInterpretation=RGB");
    }

    public static (string Name, DicomQuery Query) Q(QueryLevel level, params string[] keys) =>
        ($"{level}: {string.Join(" ", keys)}", new DicomQuery(level, QueryKeyParser.ParseAll(keys)));
}
