namespace TciaPacs.Archive.Query;

/// <summary>A query that cannot be run as asked: a DIMSE status A900/C000-class failure or an HTTP 400, with the reason.</summary>
public sealed class QueryException(string message) : Exception(message);
