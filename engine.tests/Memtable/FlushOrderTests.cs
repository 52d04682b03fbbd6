using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Memtable;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// A flush writes its memtable in the order its sorted runs give. Whatever sorts them, the
/// table must be byte for byte the one written from the same entries ordered by a comparison
/// sort with the internal-key comparator (how runs were sorted before the radix sort).
/// </summary>
public class FlushOrderTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    public static TheoryData<string> Shapes() => ["decimal-with-overwrites", "long-shared-prefix", "random-binary", "hot-keys", "short-and-empty"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MemTableOrder_TableBytes_SameAsComparisonSortedTable(string shape)
    {
        int seed = shape.Length * 7919;
        var random = new Random(seed);
        var m = new MemTable(Cmp, 1 << 16, 1);
        var entries = new List<(byte[] Key, byte[] Value)>();
        for (int i = 0; i < 5000; i++)
        {
            var userKey = KeyFor(shape, random);
            var value = new byte[random.Next(0, 60)];
            random.NextBytes(value);
            ulong seq = (ulong)i + 1;
            var kind = random.Next(10) == 0 ? ValueKind.Deletion : ValueKind.Value;
            if (kind == ValueKind.Deletion) value = [];
            m.Add(seq, kind, userKey, value);
            entries.Add((InternalKey.Create(userKey, seq, kind), value));
        }
        entries.Sort((a, b) => Cmp.Compare(a.Key, b.Key));

        var fs = new MemFileSystem();
        fs.CreateDirectory("/f");
        using (var it = m.NewIterator())
        using (var builder = new TableBuilder(fs.CreateWritable("/f/000001.sst"), Options()))
        {
            for (it.SeekToFirst(); it.Valid; it.Next()) builder.Add(it.Key, it.Value);
            builder.Finish();
        }
        using (var builder = new TableBuilder(fs.CreateWritable("/f/000002.sst"), Options()))
        {
            foreach (var (key, value) in entries) builder.Add(key, value);
            builder.Finish();
        }

        var flushed = fs.GetContents("/f/000001.sst");
        var reference = fs.GetContents("/f/000002.sst");
        Assert.True(flushed.AsSpan().SequenceEqual(reference), $"shape {shape}, seed {seed}: table bytes differ ({flushed.Length} vs {reference.Length})");
    }

    private static TableBuilderOptions Options() => new(Cmp, 4096, 16, CompressionType.Snappy, 10);

    private static byte[] KeyFor(string shape, Random random)
    {
        switch (shape)
        {
            case "decimal-with-overwrites":
                return System.Text.Encoding.ASCII.GetBytes(random.Next(3000).ToString("D16"));
            case "long-shared-prefix":
                return System.Text.Encoding.ASCII.GetBytes($"tenant/0042/orders/{random.Next(100):D3}/{random.Next(40):D2}/item");
            case "hot-keys":
                return System.Text.Encoding.ASCII.GetBytes($"hot{random.Next(5)}");
            case "short-and-empty":
            {
                var key = new byte[random.Next(0, 4)];
                random.NextBytes(key);
                return key;
            }
            default:
            {
                var key = new byte[random.Next(1, 24)];
                random.NextBytes(key);
                return key;
            }
        }
    }
}
