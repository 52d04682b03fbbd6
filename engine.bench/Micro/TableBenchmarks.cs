using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Bench.Micro;

/// <summary>Point lookups inside one table (300k entries, 16-byte keys, 100-byte values), all blocks cached.</summary>
[MemoryDiagnoser]
public class TableBenchmarks
{
    private const int N = 300_000;
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);
    private TableReader _table = null!;
    private BlockCache<Block> _cache = null!;
    private BlockCache<Block>.Slots _slots = null!;
    private byte[] _filter = null!;
    private Block _block = null!;
    private BlockIterator _blockIter = null!;
    private readonly byte[] _lookup = new byte[24];
    private long[] _keys = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/b");
        var builder = new TableBuilder(fs.CreateWritable("/b/000001.sst"), new TableBuilderOptions(Cmp));
        var value = new byte[100];
        var key = new byte[16];
        for (long i = 0; i < N; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), i * 2);
            builder.Add(InternalKey.Create(key, (ulong)i + 1, ValueKind.Value), value);
        }
        builder.Finish();
        _cache = new BlockCache<Block>(512L << 20);
        _table = TableReader.Open(fs.OpenRead("/b/000001.sst"), 1, new TableReaderOptions(Cmp, _cache, false));
        var rnd = new Random(3);
        _keys = Enumerable.Range(0, 1 << 16).Select(_ => rnd.NextInt64(N) * 2).ToArray();
        foreach (long k in _keys) Probe(k);
        _filter = _table.Filter.ToArray();
        _block = _table.GetDataBlock(_table.Fences.Handle(0), true);
        _blockIter = new BlockIterator(SpanComparer.For(Cmp));
        _slots = new BlockCache<Block>.Slots(1);
        _cache.Insert(_slots, 0, _block, _block.Charge);
    }

    private bool Probe(long k)
    {
        BinaryPrimitives.WriteInt64BigEndian(_lookup.AsSpan(8), k);
        BinaryPrimitives.WriteUInt64LittleEndian(_lookup.AsSpan(16), InternalKey.PackTrailer(InternalKey.MaxSequence, ValueKinds.ForSeek));
        return _table.Get(_lookup, true, out _, out _, out _, out _);
    }

    [Benchmark]
    public bool TableGet_CachedHit() => Probe(_keys[_next++ & 0xFFFF]);

    [Benchmark]
    public bool BloomProbe()
    {
        BinaryPrimitives.WriteInt64BigEndian(_lookup.AsSpan(8), _keys[_next++ & 0xFFFF] + 1);
        return BloomFilter.MayContain(_filter, BloomFilter.Hash(_lookup.AsSpan(0, 16)));
    }

    [Benchmark]
    public bool BlockSeek()
    {
        _blockIter.Reset(_block);
        BinaryPrimitives.WriteInt64BigEndian(_lookup.AsSpan(8), (_next++ % 30) * 2);
        _blockIter.Seek(_lookup);
        return _blockIter.Valid;
    }

    [Benchmark]
    public bool CacheLookup() => _cache.Lookup(_slots, 0) is not null;
}
