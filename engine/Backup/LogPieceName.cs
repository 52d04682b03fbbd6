using System.Globalization;

namespace LatticeKV.Backup;

/// <summary>
/// The name of a log piece in a backup directory's <c>shared/</c> folder (FORMAT.md §13):
/// <c>DBID-NUMBER-OFFSET-SIZE-CHECKSUM.logpiece</c>, the bytes at OFFSET of log NUMBER of
/// database DBID. The checksum is of the piece's own bytes, so two different runs of bytes never
/// share a name (a restored copy reuses log numbers on another timeline).
/// </summary>
internal static class LogPieceName
{
    public const string Extension = ".logpiece";

    public static string PathOf(string databaseIdHex, long number, long offset, long size, ulong checksum)
        => string.Create(CultureInfo.InvariantCulture, $"{SharedTableName.Folder}/{databaseIdHex}-{number:D6}-{offset}-{size}-{checksum:x16}{Extension}");
}
