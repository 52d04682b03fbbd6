using System.Buffers.Binary;
using System.IO.Hashing;
using BenchmarkDotNet.Attributes;
using LatticeKV.Coding;
using LatticeKV.Io;
using LatticeKV.Sst;
using LatticeKV.Wal;

namespace LatticeKV.Bench.Micro;

/// <summary>
/// The per-byte work under every read and write: checksums, block compression, WAL framing.
/// A 4 KiB block of db_bench-like entries (values compressible to about half).
/// </summary>
[MemoryDiagnoser]
public class ComponentBenchmarks
{
    private readonly byte[] _block = new byte[4096];
    private byte[] _compressed = [];
    private byte[] _scratch = new byte[8192];
    private readonly byte[] _output = new byte[4096];
    private readonly byte[] _record = new byte[128];
    private string _dir = "";
    private LogWriter _log = null!;
    private int _records;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(3);
        // Alternating random and repeated runs: compresses to about half, like db_bench values.
        for (int i = 0; i < _block.Length; i += 16)
        {
            if ((i / 16) % 2 == 0) rnd.NextBytes(_block.AsSpan(i, 16));
            else _block.AsSpan(i, 16).Fill((byte)'x');
        }
        _compressed = BlockTrailer.MaybeCompress(_block, CompressionType.Snappy, ref _scratch, out _).ToArray();
        BuildDbBenchBlock();
        rnd.NextBytes(_record);
        _dir = Path.Combine(Path.GetTempPath(), "lkv-micro-wal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        NewLog();
    }

    private void NewLog()
    {
        _log?.Dispose();
        _log = new LogWriter(RealFileSystem.Instance.CreateLog(Path.Combine(_dir, "bench.log"), 256L << 20));
        _records = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark]
    public uint Crc32C_4KiB() => Crc32C.Compute(_block);

    [Benchmark]
    public ulong XxHash3_4KiB() => XxHash3.HashToUInt64(_block);

    [Benchmark]
    public int SnappyCompress_4KiB() => BlockTrailer.MaybeCompress(_block, CompressionType.Snappy, ref _scratch, out _).Length;

    [Benchmark]
    public int SnappyDecompress_4KiB() => Snappier.Snappy.Decompress(_compressed, _output);

    /// <summary>The same block through the resumable decoder point lookups use on the compressed tier, decoded whole.</summary>
    [Benchmark]
    public int SnappyPrefixDecode_4KiB()
    {
        var decoder = new SnappyPrefixDecoder(_compressed);
        decoder.DecodeTo(_compressed, _prefixOutput, int.MaxValue);
        return decoder.Decoded;
    }

    private readonly byte[] _prefixOutput = new byte[8192 + SnappyPrefixDecoder.Slack];

    /// <summary>
    /// A 4 KiB data block as the comparative runner's fills write it (16-byte keys with their
    /// trailers, 100-byte values of a random half repeated), decoded whole by the same decoder:
    /// what a compressed-tier point read decodes, about half of it on average.
    /// </summary>
    [Benchmark]
    public int SnappyPrefixDecode_DbBenchBlock()
    {
        var decoder = new SnappyPrefixDecoder(_dbBenchCompressed);
        decoder.DecodeTo(_dbBenchCompressed, _prefixOutput, int.MaxValue);
        return decoder.Decoded;
    }

    private byte[] _dbBenchCompressed = [];

    private void BuildDbBenchBlock()
    {
        var values = new Runner.KeyValueGenerator();
        var builder = new BlockBuilder(16);
        var key = new byte[Runner.KeyValueGenerator.KeySize + 8];
        for (long n = 1_000_000; builder.CurrentSizeEstimate < 4096; n += 7)
        {
            Runner.KeyValueGenerator.Key(n, key);
            BinaryPrimitives.WriteUInt64LittleEndian(key.AsSpan(Runner.KeyValueGenerator.KeySize), 1UL << 8 | 1);
            builder.Add(key, values.NextValue());
        }
        _dbBenchCompressed = BlockTrailer.MaybeCompress(builder.Finish(), CompressionType.Snappy, ref _scratch, out _).ToArray();
    }

    /// <summary>One 128-byte record framed and checksummed into the memory-mapped log (no fsync).</summary>
    [Benchmark]
    public void WalAppend_128B()
    {
        if (++_records > 1_500_000) NewLog();
        BinaryPrimitives.WriteInt32LittleEndian(_record, _records);
        _log.AddRecord(_record);
    }
}

/// <summary>One step of the merging iterator across a memtable and four level-0 tables.</summary>
[MemoryDiagnoser]
public class IteratorBenchmarks
{
    private const int PerSource = 50_000;
    private string _dir = "";
    private LatticeDb _db = null!;
    private LatticeIterator _it = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lkv-micro-iter-" + Guid.NewGuid().ToString("N"));
        _db = LatticeDb.Open(_dir, new DbOptions { Level0FileNumCompactionTrigger = 8, Level0SlowdownWritesTrigger = 20 });
        var key = new byte[16];
        var value = new byte[100];
        for (int source = 0; source < 5; source++)
        {
            // Interleaved keys: every source holds every fifth key, so each step changes source.
            for (int i = 0; i < PerSource; i++)
            {
                BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), (long)i * 5 + source);
                _db.Put(key, value);
            }
            if (source < 4) _db.Flush();
        }
        _it = _db.NewIterator();
        _it.SeekToFirst();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _it.Dispose();
        _db.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark]
    public int Next()
    {
        _it.Next();
        if (!_it.Valid) _it.SeekToFirst();
        return _it.Key.Length;
    }
}
