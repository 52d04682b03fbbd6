using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;

namespace LatticeKV.Bench.Micro;

/// <summary>
/// Whole-database point operations. The allocation budget: a Get hit through the
/// allocation-free <see cref="LatticeDb.TryGet(ReadOnlySpan{byte}, Span{byte}, out int, ReadOptions?)"/>
/// allocates 0 bytes (memtable and cached table blocks alike).
/// </summary>
[MemoryDiagnoser]
public class DbBenchmarks
{
    private const int N = 200_000;
    private string _dir = "";
    private LatticeDb _db = null!;
    private readonly byte[] _key = new byte[16];
    private readonly byte[] _value = new byte[100];
    private readonly byte[] _buffer = new byte[256];
    private int _next;

    [Params(false, true)]
    public bool OnDisk { get; set; }

    /// <summary>An encrypted database (raw key, default family encrypted): sealed log records and table blocks.</summary>
    [Params(false, true)]
    public bool Encrypted { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lkv-micro-" + Guid.NewGuid().ToString("N"));
        _db = LatticeDb.Open(_dir, Encrypted
            ? new DbOptions { Encryption = EncryptionOptions.FromKey(new byte[32]), DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true } }
            : null);
        for (int i = 0; i < N; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), i);
            _db.Put(_key, _value);
        }
        if (OnDisk)
        {
            _db.Flush();
            for (int i = 0; i < N; i++)
            {
                BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), i);
                _db.TryGet(_key, _buffer, out _);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark]
    public int TryGet_Hit()
    {
        BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), (_next++ * 7919L) % N);
        return _db.TryGet(_key, _buffer, out int length) ? length : -1;
    }

    [Benchmark]
    public void Put()
    {
        BinaryPrimitives.WriteInt64BigEndian(_key.AsSpan(8), N + (_next++ % N));
        _db.Put(_key, _value);
    }
}
