using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text;

namespace LatticeKV.Backup;

/// <summary>
/// A backup's descriptor, <c>meta/ID</c> (FORMAT.md §13): JSON, then a line <c>xxh3 HEX</c> with
/// the checksum of the JSON bytes. Its rename into place is the moment the backup exists. Read
/// as untrusted input: every field checked, any defect a <see cref="CorruptionException"/>.
/// </summary>
internal sealed record BackupDescriptor
{
    /// <summary>
    /// Written by this version; 1 (every file stored whole) and 2 (logs in pieces, no archived logs
    /// in pieces) are still read. Persistent format: only goes up. 3 adds no field: it marks a
    /// directory whose archive may hold logs as pieces (<see cref="ArchivedLogPieces"/>), so that a
    /// reader of 2, which would take those pieces for orphans and collect them, refuses it instead.
    /// </summary>
    public const int FormatVersion = 3;

    /// <summary>The oldest format this reader accepts.</summary>
    public const int OldestReadableFormat = 1;

    /// <summary>Pieces a descriptor may list for one file: a bound on untrusted input, far above what a writer makes.</summary>
    private const int MaxPiecesPerFile = 4096;
    public const string Folder = "meta";
    private const int MaxSize = 64 << 20;

    public required int Id { get; init; }
    public required long TimestampMs { get; init; }
    public required ulong Sequence { get; init; }
    public required string DatabaseId { get; init; }
    public required string Timeline { get; init; }
    public bool Encrypted { get; init; }
    public string? Metadata { get; init; }
    public long NewBytes { get; init; }
    public required IReadOnlyList<BackupFileEntry> Files { get; init; }

    /// <summary>What the run that wrote this backup copied (not stored: zero in a descriptor read back).</summary>
    public BackupTally Tally { get; init; } = new();

    public static string PathOf(int id) => Folder + "/" + id.ToString(CultureInfo.InvariantCulture);

    public static string PrivateFolder(int id) => "private/" + id.ToString(CultureInfo.InvariantCulture);

    public long Size => Files.Sum(f => f.Size);

    public BackupInfo ToInfo() => new()
    {
        Id = Id,
        Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs),
        Sequence = Sequence,
        Size = Size,
        NewBytes = NewBytes,
        NewTableBytes = Tally.NewTableBytes,
        NewLogBytes = Tally.NewLogBytes,
        LogBytesRecopied = Tally.LogBytesRecopied,
        LogPrefixBytesRead = Tally.LogPrefixBytesRead,
        FileCount = Files.Count,
        Metadata = Metadata,
        DatabaseId = DatabaseId,
        Timeline = Timeline,
        Encrypted = Encrypted,
    };

    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public byte[] Encode()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", FormatVersion);
            w.WriteNumber("id", Id);
            w.WriteNumber("timestamp_ms", TimestampMs);
            w.WriteNumber("sequence", Sequence);
            w.WriteString("database_id", DatabaseId);
            w.WriteString("timeline", Timeline);
            w.WriteBoolean("encrypted", Encrypted);
            if (Metadata is not null) w.WriteString("metadata", Metadata);
            w.WriteNumber("new_bytes", NewBytes);
            w.WriteStartArray("files");
            foreach (var f in Files)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                if (f.Pieces is null) w.WriteString("path", f.StoredPath);
                w.WriteString("kind", f.Kind);
                w.WriteNumber("size", f.Size);
                w.WriteString("xxh3", Hex(f.Checksum));
                if (f.Pieces is { } pieces) WritePieces(w, pieces);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Sealed(buffer.ToArray());
    }

    /// <summary><paramref name="json"/> followed by its checksum line (<c>\nxxh3 HEX\n</c>).</summary>
    internal static byte[] Sealed(byte[] json)
    {
        var trailer = Encoding.ASCII.GetBytes("\nxxh3 " + XxHash3.HashToUInt64(json).ToString("x16", CultureInfo.InvariantCulture) + "\n");
        return [.. json, .. trailer];
    }

    /// <summary>The JSON of a file <see cref="Sealed"/> wrote, its size and checksum line checked; <paramref name="what"/> names it in errors.</summary>
    internal static ReadOnlySpan<byte> Unsealed(ReadOnlySpan<byte> bytes, string what, string location)
    {
        if (bytes.Length > MaxSize) throw new CorruptionException(what + " is too large", location, MaxSize);
        const int TrailerSize = 1 + 5 + 16 + 1;
        if (bytes.Length < TrailerSize) throw new CorruptionException(what + " is truncated", location, bytes.Length);
        var json = bytes[..^TrailerSize];
        var trailer = Encoding.ASCII.GetString(bytes[^TrailerSize..]);
        if (!trailer.StartsWith("\nxxh3 ", StringComparison.Ordinal) || trailer[^1] != '\n'
            || !ulong.TryParse(trailer.AsSpan(6, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong sum))
            throw new CorruptionException(what + " lacks its checksum line", location, json.Length);
        if (XxHash3.HashToUInt64(json) != sum) throw new CorruptionException(what + " checksum mismatch", location, 0);
        return json;
    }

    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static BackupDescriptor Decode(ReadOnlySpan<byte> bytes, string location)
    {
        var json = Unsealed(bytes, "backup descriptor", location);
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            var root = doc.RootElement;
            int format = root.GetProperty("format").GetInt32();
            if (format is < OldestReadableFormat or > FormatVersion)
                throw new CorruptionException($"backup descriptor format {format} is not supported (this reader knows {OldestReadableFormat} to {FormatVersion})", location, 0);
            var files = new List<BackupFileEntry>();
            foreach (var f in root.GetProperty("files").EnumerateArray())
            {
                string name = f.GetProperty("name").GetString() ?? throw new FormatException("name");
                string kind = f.GetProperty("kind").GetString() ?? throw new FormatException("kind");
                long size = f.GetProperty("size").GetInt64();
                ulong checksum = ParseHex(f.GetProperty("xxh3"));
                var pieces = format >= 2 && f.TryGetProperty("pieces", out var p) ? ReadPieces(p, name, size) : null;
                string path = pieces is not null ? pieces[0].Path : f.GetProperty("path").GetString() ?? throw new FormatException("path");
                if (size < 0 || !IsPlainName(name) || !IsStoredPath(path)) throw new FormatException($"file entry '{name}'");
                files.Add(new BackupFileEntry(name, path, kind, size, checksum, pieces));
            }
            var d = new BackupDescriptor
            {
                Id = root.GetProperty("id").GetInt32(),
                TimestampMs = root.GetProperty("timestamp_ms").GetInt64(),
                Sequence = root.GetProperty("sequence").GetUInt64(),
                DatabaseId = root.GetProperty("database_id").GetString() ?? throw new FormatException("database_id"),
                Timeline = root.GetProperty("timeline").GetString() ?? throw new FormatException("timeline"),
                Encrypted = root.GetProperty("encrypted").GetBoolean(),
                Metadata = root.TryGetProperty("metadata", out var m) ? m.GetString() : null,
                NewBytes = root.GetProperty("new_bytes").GetInt64(),
                Files = files,
            };
            if (d.Id < 1 || !IsHexId(d.DatabaseId) || !IsHexId(d.Timeline)) throw new FormatException("id");
            return d;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new CorruptionException($"backup descriptor is malformed: {ex.Message}", location, 0, ex);
        }
    }

    /// <summary>Writes a file's <c>pieces</c> array (§13.3).</summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    internal static void WritePieces(Utf8JsonWriter w, IReadOnlyList<BackupPiece> pieces)
    {
        w.WriteStartArray("pieces");
        foreach (var p in pieces)
        {
            w.WriteStartObject();
            w.WriteString("path", p.Path);
            w.WriteNumber("offset", p.Offset);
            w.WriteNumber("size", p.Size);
            w.WriteString("xxh3", Hex(p.Checksum));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>A file's pieces: at least one, each where the one before ends (the first at 0), together exactly <paramref name="size"/> bytes.</summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    internal static List<BackupPiece> ReadPieces(JsonElement array, string name, long size)
    {
        var pieces = new List<BackupPiece>();
        long end = 0;
        foreach (var p in array.EnumerateArray())
        {
            if (pieces.Count == MaxPiecesPerFile) throw new FormatException($"file entry '{name}' lists more than {MaxPiecesPerFile} pieces");
            string path = p.GetProperty("path").GetString() ?? throw new FormatException("piece path");
            long offset = p.GetProperty("offset").GetInt64(), length = p.GetProperty("size").GetInt64();
            if (!IsStoredPath(path) || offset != end || length <= 0) throw new FormatException($"file entry '{name}': piece {pieces.Count} does not start where the one before ends, or is empty");
            end = checked(offset + length);
            pieces.Add(new BackupPiece(path, offset, length, ParseHex(p.GetProperty("xxh3"))));
        }
        if (pieces.Count == 0 || end != size) throw new FormatException($"file entry '{name}': its pieces hold {end} bytes, {size} recorded");
        return pieces;
    }

    internal static string Hex(ulong value) => value.ToString("x16", CultureInfo.InvariantCulture);

    internal static ulong ParseHex(JsonElement e) => ulong.Parse(e.GetString() ?? "", NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static bool IsHexId(string s) => s.Length == 32 && s.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    // A database file's own name: never a path, so a hostile descriptor cannot write outside the restore directory.
    internal static bool IsPlainName(string s) => s.Length is > 0 and < 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_') && s is not "." and not "..";

    private static bool IsStoredPath(string s) => s.Length is > 0 and < 512 && !s.Contains("..", StringComparison.Ordinal) && !s.StartsWith('/') && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '/');
}
