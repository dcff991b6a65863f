namespace TciaPacs.Archive.Catalog;

/// <summary>The result of <see cref="ICatalog.CommitAsync"/>; <see cref="ExistingPath"/> is the file of the instance already stored, if any.</summary>
public sealed record CommitResult(CommitOutcome Outcome, string? Reason = null, string? ExistingPath = null);
