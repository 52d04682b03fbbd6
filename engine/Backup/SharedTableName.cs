using System.Globalization;

namespace LatticeKV.Backup;

/// <summary>
/// The name of a table in a backup directory's <c>shared/</c> folder (FORMAT.md §13):
/// <c>DBID-NUMBER-SIZE-CHECKSUM.sst</c>. Database id, file number, size and checksum together, so
/// two different files (a restored copy reusing numbers, another database) never share a name.
/// A blob file is shared the same way as <c>DBID-NUMBER-SIZE-CHECKSUM.blob</c> (<see cref="IsBlob"/>).
/// </summary>
internal readonly record struct SharedTableName(string DatabaseIdHex, long Number, long Size, ulong Checksum, bool IsBlob = false)
{
    public const string Folder = "shared";
    public const string Extension = ".sst";
    public const string BlobExtension = ".blob";

    public string FileName => string.Create(CultureInfo.InvariantCulture, $"{DatabaseIdHex}-{Number:D6}-{Size}-{Checksum:x16}{(IsBlob ? BlobExtension : Extension)}");

    public string RelativePath => Folder + "/" + FileName;

    /// <summary>Parses a shared table's file name; false for anything else (temporary files included).</summary>
    public static bool TryParse(string fileName, out SharedTableName name)
    {
        name = default;
        if (!fileName.EndsWith(Extension, StringComparison.Ordinal)) return false;
        var parts = fileName[..^Extension.Length].Split('-');
        if (parts.Length != 4 || parts[0].Length != 32 || parts[3].Length != 16) return false;
        if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long number)) return false;
        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long size)) return false;
        if (!ulong.TryParse(parts[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong checksum)) return false;
        foreach (char c in parts[0])
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        name = new SharedTableName(parts[0], number, size, checksum);
        return true;
    }
}
