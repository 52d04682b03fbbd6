using System.Buffers.Binary;
using System.Text;

namespace LatticeKV.Migrations;

/// <summary>
/// The records of the hidden schema family (FORMAT.md §18.3): one version record per column
/// family and at most one migration-state record. Persistent format: do not change.
/// </summary>
internal static class SchemaRecords
{
    /// <summary>The hidden family holding versions and the migration state.</summary>
    public const string FamilyName = Indexing.IndexFamilies.ReservedPrefix + "schema";

    /// <summary>The hidden family a running step stages its output in until it commits.</summary>
    public const string StagingName = Indexing.IndexFamilies.ReservedPrefix + "migration-staging";

    /// <summary>Key tag of a version record: 'v' then the family name in UTF-8.</summary>
    private const byte VersionTag = (byte)'v';

    /// <summary>Key of the migration-state record.</summary>
    public static ReadOnlySpan<byte> StateKey => "m"u8;

    /// <summary>Key prefix of a finished step's summary: 's' then the step name in UTF-8; the value is the entries it processed (8 bytes LE).</summary>
    private const byte SummaryTag = (byte)'s';

    public static byte[] VersionKey(string family) => Tagged(VersionTag, family);

    public static byte[] SummaryKey(string step) => Tagged(SummaryTag, step);

    /// <summary>The family named by a version record's key, or null for any other record.</summary>
    public static string? FamilyOfVersionKey(ReadOnlySpan<byte> key)
        => key.Length > 1 && key[0] == VersionTag ? Encoding.UTF8.GetString(key[1..]) : null;

    public static byte[] EncodeVersion(int version)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, version);
        return b;
    }

    public static int DecodeVersion(ReadOnlySpan<byte> value, string family)
    {
        if (value.Length != 4 || BinaryPrimitives.ReadInt32LittleEndian(value) is var v && v < 0)
            throw new CorruptionException($"schema version record of column family '{family}' is malformed ({value.Length} bytes)");
        return v;
    }

    public static byte[] EncodeCount(long count)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, count);
        return b;
    }

    public static long DecodeCount(ReadOnlySpan<byte> value)
        => value.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(value) : throw new CorruptionException("migration summary record is malformed");

    private static byte[] Tagged(byte tag, string name)
    {
        var b = new byte[1 + Encoding.UTF8.GetByteCount(name)];
        b[0] = tag;
        Encoding.UTF8.GetBytes(name, b.AsSpan(1));
        return b;
    }
}
