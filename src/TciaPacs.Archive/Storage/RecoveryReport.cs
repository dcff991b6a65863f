namespace TciaPacs.Archive.Storage;

/// <summary>What startup recovery or a rebuild did.</summary>
public sealed record RecoveryReport(int TemporaryFilesRemoved, int FilesAdopted, int OrphanFilesRemoved, int RowsWithoutFileRemoved, int FilesScanned)
{
    public IReadOnlyList<string> Problems { get; init; } = [];

    public override string ToString() =>
        $"{FilesScanned} files scanned, {TemporaryFilesRemoved} temporary files removed, {FilesAdopted} files adopted, {OrphanFilesRemoved} orphan files removed, {RowsWithoutFileRemoved} catalog rows without a file removed";
}
