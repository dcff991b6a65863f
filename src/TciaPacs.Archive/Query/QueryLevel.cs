namespace TciaPacs.Archive.Query;

/// <summary>Query/Retrieve levels (PS3.4 C.3): the entity a query returns one response per.</summary>
public enum QueryLevel
{
    Patient,
    Study,
    Series,
    Image,
}
