using System.Runtime.CompilerServices;
using System.Text.Json;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// An archived log kept as pieces (<c>archive/TIMELINE/NNNNNN.logpieces</c>, FORMAT.md §13.3,
/// backup format 3): the retired log's bytes are the <c>shared/</c> log pieces a backup already
/// stored for it, plus one piece of what was appended after that backup, listed in a small file
/// instead of the whole log reaching the disk a second time as its own archive. The file is JSON
/// (<c>format</c>, <c>name</c>, <c>size</c>, <c>xxh3</c> of the whole log, <c>pieces</c> as in a
/// descriptor) and the descriptor's checksum line. Read as untrusted input: any defect is a
/// <see cref="CorruptionException"/>.
/// </summary>
internal static class ArchivedLogPieces
{
    public const string Extension = ".logpieces";

    /// <summary>Written by this version. Persistent format: only goes up.</summary>
    public const int FormatVersion = 3;

    private const int MaxSize = 1 << 20;

    public static string PathOf(string timelineHex, long number) => LogArchive.FolderOf(timelineHex) + "/" + FileNames.LogName(number)[..^4] + Extension;

    /// <summary>The log number of an archive list's file name (<c>NNNNNN.logpieces</c>), or false.</summary>
    public static bool TryParseName(string name, out long number)
    {
        number = 0;
        return name.EndsWith(Extension, StringComparison.Ordinal)
            && FileNames.Parse(name[..^Extension.Length] + ".log", out number) == DbFileKind.Log;
    }

    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static byte[] Encode(BackupFileEntry entry)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", FormatVersion);
            w.WriteString("name", entry.Name);
            w.WriteNumber("size", entry.Size);
            w.WriteString("xxh3", BackupDescriptor.Hex(entry.Checksum));
            BackupDescriptor.WritePieces(w, entry.Parts);
            w.WriteEndObject();
        }
        return BackupDescriptor.Sealed(buffer.ToArray());
    }

    /// <summary>The archived log the file at <paramref name="location"/> lists, checked (name, pieces end to end adding up to its size).</summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static BackupFileEntry Decode(ReadOnlySpan<byte> bytes, string location)
    {
        if (bytes.Length > MaxSize) throw new CorruptionException("archived log list is too large", location, MaxSize);
        var json = BackupDescriptor.Unsealed(bytes, "archived log list", location);
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 6 });
            var root = doc.RootElement;
            int format = root.GetProperty("format").GetInt32();
            if (format != FormatVersion) throw new CorruptionException($"archived log list format {format} is not supported (this reader knows {FormatVersion})", location, 0);
            string name = root.GetProperty("name").GetString() ?? throw new FormatException("name");
            if (!BackupDescriptor.IsPlainName(name) || FileNames.Parse(name, out _) != DbFileKind.Log) throw new FormatException($"name '{name}'");
            long size = root.GetProperty("size").GetInt64();
            ulong checksum = BackupDescriptor.ParseHex(root.GetProperty("xxh3"));
            var pieces = BackupDescriptor.ReadPieces(root.GetProperty("pieces"), name, size);
            return new BackupFileEntry(name, pieces[0].Path, BackupCreator.KindName(LatticeKV.Db.LiveFileKind.Log), size, checksum, pieces);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new CorruptionException($"archived log list is malformed: {ex.Message}", location, 0, ex);
        }
    }

    /// <summary>Reads and decodes an archive list of the store.</summary>
    public static BackupFileEntry Read(IBackupStorage storage, string path)
        => Decode(StorageCopy.ReadAll(storage, path, MaxSize), storage.Location + "/" + path);
}
