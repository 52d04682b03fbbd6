using System.Globalization;
using System.Text.Json;
using LatticeKV.Inspect;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Report;

/// <summary>
/// The JSON shapes lkv writes (README, "JSON output"): plain dictionaries with snake_case
/// names, keys and values formatted by the chosen <see cref="ByteFormat"/>.
/// </summary>
public static class JsonModel
{
    /// <summary>Indented, with only the escaping JSON itself needs (output goes to files and pipes, never into HTML).</summary>
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One object per line.</summary>
    public static readonly JsonSerializerOptions Lines = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>For embedding in HTML: the default encoder escapes &lt; &gt; &amp; and quotes, so no text can close the script element.</summary>
    public static readonly JsonSerializerOptions Html = new() { WriteIndented = false };

    public static Dictionary<string, object?> Database(DatabaseInfo db, ByteFormat format) => new()
    {
        ["path"] = db.Path,
        ["format_version"] = db.FormatVersion,
        ["comparator"] = db.Comparator,
        ["manifest"] = db.Manifest,
        ["manifest_size"] = db.ManifestSize,
        ["last_sequence"] = db.LastSequence,
        ["next_file_number"] = db.NextFileNumber,
        ["total_bytes"] = db.TotalBytes,
        ["encrypted"] = db.Encrypted,
        ["master_key"] = db.MasterKey,
        ["locked"] = db.Locked,
        ["files"] = db.Files.Select(f => new Dictionary<string, object?>
        {
            ["file"] = f.FileName,
            ["kind"] = f.Kind,
            ["size"] = f.Size,
            ["sealed"] = f.Sealed,
            ["key_id"] = f.KeyId == 0 ? null : f.KeyId,
            ["key_generation"] = f.KeyGeneration == 0 ? null : f.KeyGeneration,
        }).ToList(),
        ["column_families"] = db.ColumnFamilies.Select(cf => new Dictionary<string, object?>
        {
            ["name"] = cf.Name,
            ["id"] = cf.Id,
            ["encrypted"] = cf.Encrypted,
            ["log_number"] = cf.LogNumber,
            ["options"] = ParseOptions(cf.Options),
            ["bytes"] = cf.Levels.Sum(l => l.Bytes),
            ["levels"] = cf.Levels.Select(l => new Dictionary<string, object?>
            {
                ["level"] = l.Level,
                ["files"] = l.Files.Count,
                ["bytes"] = l.Bytes,
                ["entries"] = l.Files.Sum(f => f.Entries),
                ["deletions"] = l.Files.Sum(f => f.Deletions),
                ["range_deletions"] = l.Files.Sum(f => f.RangeDeletions),
                ["tables"] = l.Files.Select(f => Table(f, format)).ToList(),
            }).ToList(),
        }).ToList(),
        ["log_files"] = db.LogFiles.Select(l => new Dictionary<string, object?> { ["number"] = l.Number, ["file"] = l.FileName, ["size"] = l.Size, ["sealed"] = l.Sealed }).ToList(),
        ["options_text"] = db.OptionsText,
    };

    public static Dictionary<string, object?> Table(TableFileInfo f, ByteFormat format) => new()
    {
        ["number"] = f.Number,
        ["file"] = f.FileName,
        ["level"] = f.Level,
        ["size"] = f.FileSize,
        // Withheld for encrypted families: null, never an empty key.
        ["smallest_key"] = f.KeyRangeHidden ? null : ByteText.Format(f.SmallestKey, format),
        ["largest_key"] = f.KeyRangeHidden ? null : ByteText.Format(f.LargestKey, format),
        ["key_range_hidden"] = f.KeyRangeHidden,
        ["encrypted"] = f.Encrypted,
        ["key_id"] = f.KeyId == 0 ? null : f.KeyId,
        ["key_generation"] = f.KeyGeneration == 0 ? null : f.KeyGeneration,
        ["smallest_sequence"] = f.SmallestSequence,
        ["largest_sequence"] = f.LargestSequence,
        ["entries"] = f.Entries,
        ["deletions"] = f.Deletions,
        ["range_deletions"] = f.RangeDeletions,
        ["data_blocks"] = f.DataBlocks,
        ["data_size"] = f.DataSize,
        ["uncompressed_data_size"] = f.UncompressedDataSize,
        ["compression"] = f.Compression,
        ["compression_ratio"] = Math.Round(f.CompressionRatio, 3),
        ["index_size"] = f.IndexSize,
        ["filter_size"] = f.FilterSize,
        ["bloom_bits_per_key"] = f.BloomBitsPerKey,
        ["column_family_name"] = f.ColumnFamilyName,
        ["creation_time"] = f.CreationTimeMs == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(f.CreationTimeMs).ToString("O", CultureInfo.InvariantCulture),
        ["error"] = f.Error,
    };

    public static Dictionary<string, object?> Edit(ManifestEditInfo e, ByteFormat format)
    {
        var d = new Dictionary<string, object?> { ["cf"] = e.ColumnFamilyId };
        if (e.ColumnFamilyAdded is { } added) d["add_column_family"] = added;
        if (e.ColumnFamilyDropped) d["drop_column_family"] = true;
        if (e.Comparator is { } c) d["comparator"] = c;
        if (e.FormatVersion is { } v) d["format_version"] = v;
        if (e.LogNumber is { } log) d["log_number"] = log;
        if (e.NextFileNumber is { } next) d["next_file_number"] = next;
        if (e.LastSequence is { } last) d["last_sequence"] = last;
        if (e.MaxColumnFamily is { } max) d["max_column_family"] = max;
        if (e.ColumnFamilyOptions is { } o) d["options"] = ParseOptions(o);
        if (e.AddedFiles.Count > 0) d["add_files"] = e.AddedFiles.Select(f => Table(f, format)).ToList();
        if (e.DeletedFiles.Count > 0) d["delete_files"] = e.DeletedFiles.Select(x => new Dictionary<string, object?> { ["level"] = x.Level, ["number"] = x.Number }).ToList();
        return d;
    }

    /// <summary>Stored options text (name=value lines) as a dictionary.</summary>
    public static Dictionary<string, string> ParseOptions(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) d[line[..eq]] = line[(eq + 1)..];
        }
        return d;
    }
}
