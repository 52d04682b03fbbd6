using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// Reads a crashed database back three ways, so each oracle judges what every read path sees:
/// point reads of the groups the oracle knows, and a full forward and backward scan of every
/// column family (which alone can find keys nobody asked for).
/// </summary>
public static class DatabaseReader
{
    public static IReadOnlyList<ReadPathView> Read(LatticeDb db, IEnumerable<int> groups, int columnFamilies)
    {
        var handles = new ColumnFamilyHandle?[columnFamilies];
        for (int c = 0; c < columnFamilies; c++)
            handles[c] = db.TryGetColumnFamily(CrashProtocol.ColumnFamily(c), out var h) ? h : null;

        var get = new ReadPathView("Get", complete: false);
        foreach (int g in groups)
        {
            if (handles[CrashProtocol.ColumnFamilyIndex(g, columnFamilies)] is not { } cf) continue;
            get.RecordRead(g);
            for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
                if (db.Get(cf, CrashProtocol.Key(g, m)) is { } value) get.Record(g, m, value);
        }
        var forward = new ReadPathView("forward scan", complete: true);
        var backward = new ReadPathView("backward scan", complete: true);
        for (int c = 0; c < columnFamilies; c++)
        {
            if (handles[c] is not { } cf) continue;
            using var it = db.NewIterator(cf);
            Scan(it, c, columnFamilies, forward, it => it.SeekToFirst(), it => it.Next(), expectedSign: 1);
            Scan(it, c, columnFamilies, backward, it => it.SeekToLast(), it => it.Prev(), expectedSign: -1);
        }
        return [get, forward, backward];
    }

    private static void Scan(LatticeIterator it, int cfIndex, int columnFamilies, ReadPathView view,
        Action<LatticeIterator> start, Action<LatticeIterator> step, int expectedSign)
    {
        string cfName = CrashProtocol.ColumnFamily(cfIndex);
        byte[]? previous = null;
        for (start(it); it.Valid; step(it))
        {
            var key = it.Key;
            if (previous is not null && Math.Sign(key.SequenceCompareTo(previous)) != expectedSign)
                view.OrderErrors.Add($"{view.Name} of {cfName} returned {Show(key)} after {Show(previous)}");
            previous = key.ToArray();
            if (!CrashProtocol.TryParseKey(key, out int group, out int member))
                view.StrayKeys.Add($"{Show(key)} in {cfName} is not a workload key");
            else if (CrashProtocol.ColumnFamilyIndex(group, columnFamilies) != cfIndex)
                view.StrayKeys.Add($"{Show(key)} in {cfName}, but group {group} lives in {CrashProtocol.ColumnFamily(group, columnFamilies)}");
            else
                view.Record(group, member, it.Value);
        }
    }

    private static string Show(ReadOnlySpan<byte> key) => "'" + Encoding.ASCII.GetString(key) + "'";
}
