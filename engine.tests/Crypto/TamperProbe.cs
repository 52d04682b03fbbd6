using System.Text;
using LatticeKV.Io;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

/// <summary>How opening and reading a tampered database ended.</summary>
internal enum TamperVerdict
{
    /// <summary>A <see cref="CorruptionException"/>.</summary>
    Corruption,
    /// <summary>An <see cref="EncryptionKeyException"/>.</summary>
    KeyRefused,
    /// <summary>Every key read back exactly as written.</summary>
    Intact,
    /// <summary>Exactly the newest log batches are missing, as after a torn log tail.</summary>
    LostLogTail,
    /// <summary>Reads returned something else: wrong values, missing or unknown keys.</summary>
    WrongData,
    /// <summary>Any other exception type.</summary>
    UnexpectedException,
}

/// <summary>The outcome of <see cref="TamperProbe.Run"/>; <see cref="Leak"/> names a sentinel found in an exception message.</summary>
internal sealed record TamperOutcome(TamperVerdict Verdict, string Detail, Exception? Error = null, int LostBatches = 0, string? Leak = null)
{
    public string? FilePath => (Error as CorruptionException)?.FilePath;

    public long Offset => (Error as CorruptionException)?.Offset ?? -1;

    public override string ToString() => Verdict switch
    {
        TamperVerdict.Corruption => $"CorruptionException in {System.IO.Path.GetFileName(FilePath) ?? "(no file)"} at {Offset}: {((CorruptionException)Error!).Reason}",
        TamperVerdict.KeyRefused => $"EncryptionKeyException: {Error!.Message}",
        TamperVerdict.LostLogTail => $"tolerated: the last {LostBatches} log batches lost, everything before intact",
        _ => $"{Verdict}: {Detail}",
    } + (Leak is null ? "" : $" [SENTINEL IN MESSAGE: {Leak}]");
}

/// <summary>
/// Opens a (tampered) copy of <see cref="EncryptedReference"/>, reads every key of every family
/// with point reads and scans both ways, and says how it ended. Never throws for the database's
/// sake: every exception is classified, and every exception message is searched for sentinels.
/// </summary>
internal static class TamperProbe
{
    public static TamperOutcome Run(EncryptedReference reference, MemFileSystem fs)
    {
        try
        {
            using var db = LatticeDb.Open(TestDb.DbPath, reference.Options(fs));
            var seen = new Dictionary<string, SortedDictionary<byte[], byte[]>>();
            foreach (var (name, model) in reference.Model)
            {
                var cf = name == "default" ? db.DefaultColumnFamily : db.GetColumnFamily(name);
                var got = new SortedDictionary<byte[], byte[]>(ByteArrayComparer.Instance);
                foreach (var k in model.Keys)
                    if (db.Get(cf, k) is { } v) got[k] = v;
                string? disagreement = CompareScans(db, cf, got);
                if (disagreement is not null) return new TamperOutcome(TamperVerdict.WrongData, $"{name}: {disagreement}");
                seen[name] = got;
            }
            return Judge(reference, seen);
        }
        catch (Exception ex)
        {
            var verdict = ex switch
            {
                CorruptionException => TamperVerdict.Corruption,
                EncryptionKeyException => TamperVerdict.KeyRefused,
                _ => TamperVerdict.UnexpectedException,
            };
            return new TamperOutcome(verdict, ex.GetType().Name + ": " + ex.Message, ex, Leak: FindLeak(ex, reference.Sentinels));
        }
    }

    /// <summary>Null when both scans return exactly <paramref name="got"/> (what the point reads found), in order.</summary>
    private static string? CompareScans(LatticeDb db, ColumnFamilyHandle cf, SortedDictionary<byte[], byte[]> got)
    {
        using var it = db.NewIterator(cf);
        var forward = new List<(byte[], byte[])>();
        for (it.SeekToFirst(); it.Valid; it.Next()) forward.Add((it.Key.ToArray(), it.Value.ToArray()));
        var backward = new List<(byte[], byte[])>();
        for (it.SeekToLast(); it.Valid; it.Prev()) backward.Add((it.Key.ToArray(), it.Value.ToArray()));
        backward.Reverse();
        var expected = got.Select(kv => (kv.Key, kv.Value)).ToList();
        if (!Same(forward, expected)) return $"the forward scan returns {forward.Count} entries, point reads of the written keys {expected.Count} (keys unknown, resurrected or lost)";
        if (!Same(backward, expected)) return $"the backward scan returns {backward.Count} entries, point reads of the written keys {expected.Count} (keys unknown, resurrected or lost)";
        return null;
    }

    private static bool Same(List<(byte[] K, byte[] V)> a, List<(byte[] K, byte[] V)> b)
        => a.Count == b.Count && a.Zip(b).All(p => p.First.K.AsSpan().SequenceEqual(p.Second.K) && p.First.V.AsSpan().SequenceEqual(p.Second.V));

    private static TamperOutcome Judge(EncryptedReference reference, Dictionary<string, SortedDictionary<byte[], byte[]>> seen)
    {
        foreach (var (name, model) in reference.Model)
        {
            var got = seen[name];
            foreach (var (k, v) in got)
                if (!model[k].AsSpan().SequenceEqual(v)) return new TamperOutcome(TamperVerdict.WrongData, $"{name}: a key reads a wrong value");
        }
        var main = seen["default"];
        int lost = reference.LogOnlyKeys.Count(k => !main.ContainsKey(k));
        // A torn tail loses a suffix of the logged batches, and nothing else.
        var expectedLost = reference.LogOnlyKeys.Skip(reference.LogOnlyKeys.Count - lost).ToHashSet(ByteArrayComparer.Instance);
        foreach (var (name, model) in reference.Model)
        {
            foreach (var k in model.Keys)
            {
                if (seen[name].ContainsKey(k) || (name == "default" && expectedLost.Contains(k))) continue;
                return new TamperOutcome(TamperVerdict.WrongData, $"{name}: a written key is missing" + (reference.LogOnlyKeys.Contains(k, ByteArrayComparer.Instance) ? " (a logged batch, not a suffix)" : " (table data)"));
            }
        }
        return lost == 0 ? new TamperOutcome(TamperVerdict.Intact, "every key reads back") : new TamperOutcome(TamperVerdict.LostLogTail, "", LostBatches: lost);
    }

    /// <summary>A sentinel's hex, or its bytes as text, in the message of <paramref name="ex"/> or an inner exception; null when none.</summary>
    public static string? FindLeak(Exception ex, IEnumerable<byte[]> sentinels)
    {
        var messages = new StringBuilder();
        for (var e = ex; e is not null; e = e.InnerException) messages.Append(e.Message).Append('\n').Append(e.ToString()).Append('\n');
        string text = messages.ToString();
        foreach (var s in sentinels)
        {
            string hex = Convert.ToHexString(s);
            if (text.Contains(hex, StringComparison.OrdinalIgnoreCase)) return hex;
            if (text.Contains(Encoding.Latin1.GetString(s), StringComparison.Ordinal) || text.Contains(Convert.ToBase64String(s), StringComparison.Ordinal)) return hex;
        }
        return null;
    }
}
