using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using LatticeKV.Keys;
using LatticeKV.Memtable;

namespace LatticeKV.Bench.Micro;

/// <summary>
/// Memtable insert and lookup at 1M entries (16-byte keys, 100-byte values); lookups of hits and
/// misses through the hash index (a memtable being written) and through the sorted runs behind
/// the lookup filter (a memtable being flushed, its index dropped).
/// </summary>
[MemoryDiagnoser]
public class MemtableBenchmarks
{
    private const int N = 1_000_000;
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);
    private MemTable _full = null!;
    private MemTable _flushing = null!;
    private long[] _order = null!;
    private readonly byte[] _key = new byte[16];
    private readonly byte[] _value = new byte[100];
    private int _next;
    private MemTable _insertTarget = null!;
    private ulong _seq;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(1);
        _order = Enumerable.Range(0, N).Select(_ => rnd.NextInt64(long.MaxValue)).ToArray();
        _full = new MemTable(Cmp, 1 << 20, 1);
        for (int i = 0; i < N; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), _order[i]);
            _full.Add((ulong)i + 1, ValueKind.Value, _key, _value);
        }
        _insertTarget = new MemTable(Cmp, 1 << 20, 1);
        _flushing = new MemTable(Cmp, 1 << 20, 1, expectedEntries: N); // sized as the engine sizes one after the first
        for (int i = 0; i < N; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), _order[i]);
            _flushing.Add((ulong)i + 1, ValueKind.Value, _key, _value);
        }
        _flushing.Ref();
        _flushing.Seal();
        _flushing.SortForLookups();
        _flushing.DropIndex();
    }

    [Benchmark]
    public bool Get_Miss()
    {
        BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), _order[_next++ % N] ^ 0x5555);
        return _full.TryGet(_key, ulong.MaxValue >> 8, out _, out _, out _);
    }

    [Benchmark]
    public bool Flushing_Get_Hit()
    {
        BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), _order[_next++ % N]);
        return _flushing.TryGet(_key, ulong.MaxValue >> 8, out _, out _, out _);
    }

    [Benchmark]
    public bool Flushing_Get_Miss()
    {
        BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), _order[_next++ % N] ^ 0x5555);
        return _flushing.TryGet(_key, ulong.MaxValue >> 8, out _, out _, out _);
    }

    [Benchmark]
    public bool Get_Hit()
    {
        BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), _order[_next++ % N]);
        return _full.TryGet(_key, ulong.MaxValue >> 8, out _, out _, out _);
    }

    [Benchmark]
    public void Insert()
    {
        if (_insertTarget.EntryCount >= N) _insertTarget = new MemTable(Cmp, 1 << 20, 1);
        BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), _order[_next++ % N] ^ 0x5555);
        _insertTarget.Add(++_seq, ValueKind.Value, _key, _value);
    }
}
