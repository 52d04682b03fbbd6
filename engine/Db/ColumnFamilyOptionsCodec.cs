using System.Globalization;
using System.Text;
using LatticeKV.Coding;

namespace LatticeKV.Db;

/// <summary>
/// Stores the persistent part of <see cref="ColumnFamilyOptions"/> in the MANIFEST as UTF-8
/// "name=value" lines (FORMAT.md, "Column family options"). Unknown names are ignored, so new
/// options need no format change.
/// </summary>
internal static class ColumnFamilyOptionsCodec
{
    public static byte[] Encode(ColumnFamilyOptions o)
    {
        var sb = new StringBuilder();
        sb.Append("block_size=").Append(o.BlockSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("bloom_bits_per_key=").Append(o.BloomBitsPerKey.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("compression=").Append(o.Compression.ToString()).Append('\n');
        if (o.LargeValueCompressionThreshold != ColumnFamilyOptions.DefaultLargeValueCompressionThreshold)
            sb.Append("large_value_compression_threshold=").Append(o.LargeValueCompressionThreshold.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (o.LargeValueCompressionLevel != 3)
            sb.Append("large_value_compression_level=").Append(o.LargeValueCompressionLevel.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (o.BlobValueThreshold != ColumnFamilyOptions.DefaultBlobValueThreshold)
            sb.Append("blob_value_threshold=").Append(o.BlobValueThreshold.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (o.WriteBufferSize is { } w) sb.Append("write_buffer_size=").Append(w.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (o.Ttl is { } ttl) sb.Append("ttl_ms=").Append(((long)ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (o.Encrypted) sb.Append("encrypted=1\n");
        if (o.Replicated) sb.Append("replicated=1\n");
        if (o.EncryptionScope is not null || o.StoredScoped) sb.Append("scoped=1\n");
        if (o.MergeOperatorName is { } merge) sb.Append("merge_operator=").Append(merge).Append('\n');
        if (o.ValidatorDescription is { } validator) sb.Append("validator=").Append(validator).Append('\n');
        if (o.CompactionFilter is { } f) sb.Append("compaction_filter=").Append(f.Name.Replace('\n', ' ')).Append('\n');
        return Utf8.GetBytes(sb.ToString());
    }

    public static ColumnFamilyOptions Decode(byte[] data)
    {
        var o = new ColumnFamilyOptions();
        foreach (var line in Utf8.GetString(data).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new CorruptionException($"malformed column family option line '{line}'");
            string name = line[..eq], value = line[(eq + 1)..];
            switch (name)
            {
                case "block_size": o.BlockSize = ParseInt(name, value); break;
                case "bloom_bits_per_key": o.BloomBitsPerKey = ParseInt(name, value); break;
                case "compression":
                    if (!Enum.TryParse<CompressionType>(value, out var c) || !Enum.IsDefined(c)) throw new CorruptionException($"unknown compression '{value}'");
                    o.Compression = c;
                    break;
                case "large_value_compression_threshold": o.LargeValueCompressionThreshold = ParseInt(name, value); break;
                case "large_value_compression_level": o.LargeValueCompressionLevel = ParseInt(name, value); break;
                case "blob_value_threshold": o.BlobValueThreshold = ParseInt(name, value); break;
                case "write_buffer_size": o.WriteBufferSize = ParseLong(name, value); break;
                case "ttl_ms": o.Ttl = TimeSpan.FromMilliseconds(ParseLong(name, value)); break;
                case "encrypted": o.Encrypted = value == "1"; break;
                case "replicated": o.Replicated = value == "1"; break;
                case "scoped": o.StoredScoped = value == "1"; break;
                case "merge_operator": o.StoredMergeOperator = value; break;
                case "validator": o.StoredValidator = value; break;
            }
        }
        return o;
    }

    private static int ParseInt(string name, string value)
        => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new CorruptionException($"bad value '{value}' for option {name}");

    private static long ParseLong(string name, string value)
        => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : throw new CorruptionException($"bad value '{value}' for option {name}");
}
