using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The torture workload's data layout and the lines the child prints, shared by the child and
/// the verifying parent. Keys come in groups of <see cref="KeysPerGroup"/>; every operation
/// writes or deletes whole groups with one value, so a group whose keys disagree is a
/// half-applied batch. Group g lives in column family g mod (column families).
/// </summary>
public static class CrashProtocol
{
    public const int KeysPerGroup = 4;

    public static byte[] Key(int group, int member) => Encoding.ASCII.GetBytes($"g{group:D5}/m{member}");

    /// <summary>The group and member of a key <see cref="Key"/> made, or false for any other key.</summary>
    public static bool TryParseKey(ReadOnlySpan<byte> key, out int group, out int member)
    {
        group = member = -1;
        int slash = key.IndexOf((byte)'/');
        if (key.Length < 4 || key[0] != (byte)'g' || slash < 2 || slash + 2 >= key.Length || key[slash + 1] != (byte)'m') return false;
        if (!int.TryParse(key[1..slash], NumberStyles.None, CultureInfo.InvariantCulture, out group)
            || !int.TryParse(key[(slash + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out member)
            || member >= KeysPerGroup)
            return false;
        // Only the exact spelling Key uses: "g00007/m1", not "g7/m01".
        return key.SequenceEqual(Key(group, member));
    }

    /// <summary>The first key of a group and of every later group: range deletes use [GroupStart(a), GroupStart(b)).</summary>
    public static byte[] GroupStart(int group) => Encoding.ASCII.GetBytes($"g{group:D5}/");

    public static int ColumnFamilyIndex(int group, int columnFamilies) => group % columnFamilies;

    public static string ColumnFamily(int index) => index == 0 ? "default" : "cf" + index;

    public static string ColumnFamily(int group, int columnFamilies) => ColumnFamily(ColumnFamilyIndex(group, columnFamilies));

    /// <summary>Value of operation <paramref name="opId"/> for one member: its id, padded to vary sizes.</summary>
    public static byte[] Value(long opId, int member)
    {
        var id = opId.ToString("D12", CultureInfo.InvariantCulture);
        int pad = (int)((opId * 31 + member * 7) % 180);
        return Encoding.ASCII.GetBytes(id + ":" + new string((char)('a' + member), pad));
    }

    /// <summary>The operation id stored in a value, or throws <see cref="FormatException"/>.</summary>
    public static long ParseValue(ReadOnlySpan<byte> value)
    {
        if (value.Length < 13 || value[12] != (byte)':') throw new FormatException("not a torture-workload value: " + Encoding.ASCII.GetString(value));
        return long.Parse(Encoding.ASCII.GetString(value[..12]), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    // Lines printed by the child, one per event, flushed immediately:
    //   O opening                  about to open the database (log replay and recovery flush follow)
    //   O replayed                 the open created its new log: the replay is over, the recovery flush begins
    //   O edited                   the open created its new MANIFEST: the recovery flush is over
    //   O opened                   the database is open; the workload starts
    //   P <id> <group,group,...>   about to put every member of those groups with value <id>
    //   D <id> <group,group,...>   about to delete every member of those groups
    //   R <id> <cf> <from> <to>    about to delete groups [from, to) of column family <cf>
    //   A <id>                     operation <id> returned
    //   X <message>                the child's own consistency check failed

    public const string Opening = "O opening";

    public const string Replayed = "O replayed";

    public const string Edited = "O edited";

    public const string Opened = "O opened";

    public static string Put(long id, IEnumerable<int> groups) => $"P {id} {string.Join(',', groups)}";

    public static string Delete(long id, IEnumerable<int> groups) => $"D {id} {string.Join(',', groups)}";

    public static string RangeDelete(long id, int cf, int from, int to) => $"R {id} {cf} {from} {to}";

    public static string Ack(long id) => $"A {id}";
}
