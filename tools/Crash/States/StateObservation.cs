using LatticeKV.Io;

namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// What opening a crash state showed: an error (the open failed, needed repair, or a second open
/// or a reverse scan disagreed with the first), or the full contents of every column family as
/// batch ids, plus anything found that the workload never wrote.
/// </summary>
internal sealed record StateObservation(string? Error, IReadOnlyDictionary<(int Cf, int Key), int> Values, IReadOnlySet<int> ColumnFamilies, IReadOnlyList<string> Strays)
{
    private const string Directory = "/db";

    /// <summary>
    /// Copies the files into an in-memory file system (opening reads them as the real one would;
    /// what the open writes needs no disk) and opens the database twice, with no repair and the
    /// default log recovery mode, scanning every column family forwards and backwards each time.
    /// </summary>
    public static StateObservation Open(IReadOnlyDictionary<string, byte[]> files, IReadOnlyList<byte[]>? keys = null)
    {
        keys ??= [];
        var fs = new MemFileSystem();
        fs.CreateDirectory(Directory);
        foreach (var (name, bytes) in files)
        {
            using var file = fs.CreateWritable(Directory + "/" + name);
            file.Append(bytes);
            file.Sync();
        }
        fs.SyncDirectory(Directory);
        StateObservation first;
        try { first = Scan(fs, keys); }
        catch (Exception ex) { return Failed($"the database does not open without repair: {ex.GetType().Name}: {ex.Message}"); }
        StateObservation second;
        try { second = Scan(fs, keys); }
        catch (Exception ex) { return Failed($"the database opened once but not a second time: {ex.GetType().Name}: {ex.Message}"); }
        if (!first.SameAs(second)) return Failed("the second open shows different contents from the first: recovery is not idempotent");
        return first;
    }

    private static StateObservation Failed(string error) => new(error, new Dictionary<(int, int), int>(), new HashSet<int>(), []);

    /// <summary>Opens with the workload's options; an encrypted state with whichever of its master keys the registry holds (a crash during a master key change leaves either).</summary>
    private static LatticeDb OpenWithKeys(MemFileSystem fs, IReadOnlyList<byte[]> keys)
    {
        if (keys.Count == 0) return LatticeDb.Open(Directory, StatesWorkload.Options(fs));
        EncryptionKeyException? last = null;
        for (int i = keys.Count - 1; i >= 0; i--)
        {
            try { return LatticeDb.Open(Directory, StatesWorkload.Options(fs, keys[i])); }
            catch (EncryptionKeyException ex) { last = ex; }
        }
        throw new InvalidOperationException("no master key the workload used opens this state: " + last!.Message, last);
    }

    private static StateObservation Scan(MemFileSystem fs, IReadOnlyList<byte[]> keys)
    {
        var values = new Dictionary<(int Cf, int Key), int>();
        var families = new HashSet<int>();
        var strays = new List<string>();
        using var db = OpenWithKeys(fs, keys);
        foreach (var handle in db.ColumnFamilies)
        {
            int cf = Enumerable.Range(0, WorkloadHistory.ColumnFamilies).FirstOrDefault(i => WorkloadHistory.ColumnFamilyName(i) == handle.Name, -1);
            if (cf < 0)
            {
                strays.Add($"column family '{handle.Name}' was never created");
                continue;
            }
            families.Add(cf);
            var forward = new List<(byte[] Key, byte[] Value)>();
            using (var it = db.NewIterator(handle))
            {
                for (it.SeekToFirst(); it.Valid; it.Next()) forward.Add((it.Key.ToArray(), it.Value.ToArray()));
            }
            int back = forward.Count;
            using (var it = db.NewIterator(handle))
            {
                for (it.SeekToLast(); it.Valid; it.Prev())
                {
                    if (--back < 0 || !it.Key.SequenceEqual(forward[back].Key) || !it.Value.SequenceEqual(forward[back].Value))
                        return Failed($"column family {handle.Name}: the reverse scan disagrees with the forward scan");
                }
            }
            if (back != 0) return Failed($"column family {handle.Name}: the reverse scan returned fewer entries than the forward scan");
            foreach (var (key, value) in forward)
            {
                int k = WorkloadHistory.KeyIndex(key);
                int? batch = k < 0 ? null : WorkloadHistory.BatchOf(value, cf, k);
                if (batch is { } b) values[(cf, k)] = b;
                else strays.Add($"{handle.Name}: key '{System.Text.Encoding.ASCII.GetString(key)}' holds a value no batch wrote there");
            }
        }
        db.VerifyChecksums();
        return new StateObservation(null, values, families, strays);
    }

    private bool SameAs(StateObservation other)
        => Error == other.Error && Values.Count == other.Values.Count && Values.All(kv => other.Values.TryGetValue(kv.Key, out int v) && v == kv.Value)
           && ColumnFamilies.SetEquals(other.ColumnFamilies) && Strays.SequenceEqual(other.Strays);
}
