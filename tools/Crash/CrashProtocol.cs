using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The crash workload's data layout and the lines the child prints, shared by the child and the
/// verifying parent. Keys come in groups; every batch writes (or deletes) a whole group with one
/// value, so a half-applied batch shows up as a group whose keys disagree.
/// </summary>
public static class CrashProtocol
{
    public const int KeysPerGroup = 6;

    public static byte[] Key(int group, int member) => Encoding.ASCII.GetBytes($"g{group:D5}/m{member}");

    public static string ColumnFamily(int group, int columnFamilies) => group % columnFamilies == 0 ? "default" : "cf" + (group % columnFamilies);

    /// <summary>Value of batch <paramref name="batchId"/>: its id, padded to vary sizes.</summary>
    public static byte[] Value(long batchId, int member)
    {
        var id = batchId.ToString("D12", CultureInfo.InvariantCulture);
        int pad = (int)((batchId * 31 + member * 7) % 180);
        return Encoding.ASCII.GetBytes(id + ":" + new string((char)('a' + member), pad));
    }

    public static long ParseValue(ReadOnlySpan<byte> value)
    {
        if (value.Length < 13 || value[12] != (byte)':') throw new FormatException("not a crash-workload value: " + Encoding.ASCII.GetString(value));
        return long.Parse(Encoding.ASCII.GetString(value[..12]), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    // Lines printed by the child, one per event, flushed immediately.
    public static string Begin(long batchId, int group, bool delete) => $"B {batchId} {group} {(delete ? 1 : 0)}";

    public static string Ack(long batchId) => $"A {batchId}";
}
