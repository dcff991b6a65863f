using TciaPacs.Archive.Catalog;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Query;

/// <summary>One result of a query: the catalog entity, its attributes (for C-MOVE/WADO lookups) and the response data set.</summary>
public sealed record QueryMatch(CatalogEntity Entity, DicomDataset Attributes, DicomDataset Response);
