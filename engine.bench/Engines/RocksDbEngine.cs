using R = RocksDbSharp;

namespace LatticeKV.Bench.Engines;

/// <summary>
/// RocksDB through its .NET binding (P/Invoke): the RocksDB NuGet package (RocksDbSharp and its
/// bundled native library), configured as db_bench runs it: 64 MiB write buffer, Snappy, full
/// bloom filter at 10 bits/key, 4 KiB blocks (its default; 2 KiB as "rocksdb-2k"), an LRU block cache the size of LatticeKV's, WAL on,
/// background jobs per core.
/// </summary>
public sealed class RocksDbEngine : IEngine
{
    private static readonly R.WriteOptions Synced = new R.WriteOptions().SetSync(true);
    private static readonly R.WriteOptions Unsynced = new();
    private static readonly R.ReadOptions Reads = new();
    private readonly R.RocksDb _db;
    private readonly ReadApi _reads;

    // minBlobSize null: values stay in the tables. Otherwise RocksDB's integrated BlobDB: values of
    // at least this many bytes go to blob files, zstd-compressed, with garbage collection during
    // compaction ("rocksdb-blob"). The binding has no managed setters for these (no
    // SetEnableBlobFiles or SetMinBlobSize): its native entry points are called.
    // blockSize: 4 KiB (RocksDB's default) unless given; 2 KiB names the variant "rocksdb-2k",
    // to run beside "latticekv-2k" (what the block size alone gives each engine).
    public RocksDbEngine(string path, EngineSettings settings, long? minBlobSize = null, int blockSize = 4096)
    {
        _reads = settings.Reads;
        var table = new R.BlockBasedTableOptions()
            .SetBlockSize((ulong)blockSize)
            .SetFilterPolicy(R.BloomFilterPolicy.Create(10, false))
            .SetBlockCache(R.Cache.CreateLru((ulong)settings.BlockCacheBytes));
        var options = new R.DbOptions()
            .SetCreateIfMissing(true)
            .SetWriteBufferSize((ulong)settings.WriteBufferBytes)
            .SetCompression(R.Compression.Snappy)
            .SetBlockBasedTableFactory(table)
            .IncreaseParallelism(Environment.ProcessorCount);
        if (minBlobSize is { } min)
        {
            var native = R.Native.Instance;
            native.rocksdb_options_set_enable_blob_files(options.Handle, 1);
            native.rocksdb_options_set_min_blob_size(options.Handle, (ulong)min);
            native.rocksdb_options_set_blob_compression_type(options.Handle, (int)R.Compression.Zstd);
            native.rocksdb_options_set_enable_blob_gc(options.Handle, 1);
        }
        _db = R.RocksDb.Open(options, path);
        Name = minBlobSize is not null ? "rocksdb-blob" : blockSize != 4096 ? $"rocksdb-{blockSize >> 10}k" : "rocksdb";
        // Compactions run in the low-priority pool ("rocksdb:low"), flushes in the high one, which
        // keeps normal priority as LatticeKV's flush thread does.
        int reniced = settings.BackgroundNice > 0 ? ThreadPriority.Renice("rocksdb:low", settings.BackgroundNice) : 0;
        Settings = (minBlobSize is { } blob ? $"blob files for values of {blob} bytes or more (zstd, blob GC on), " : "") +
            $"RocksDB through its .NET binding (P/Invoke; NuGet RocksDB 11.12.0.7641): write buffer {settings.WriteBufferBytes >> 20} MiB, Snappy, full bloom 10 bits/key, {blockSize >> 10} KiB blocks, LRU block cache {settings.BlockCacheBytes >> 20} MiB, WAL on, IncreaseParallelism({Environment.ProcessorCount}), " +
            $"compaction threads at nice {(settings.BackgroundNice > 0 ? $"{settings.BackgroundNice} ({reniced} threads)" : "0")}, reads: {(_reads == ReadApi.Array ? "Get (byte[])" : "rocksdb_get_pinned_v2, value copied out")}";
    }

    public string Name { get; }

    public string Settings { get; }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync) => _db.Put(key, value, null, sync ? Synced : Unsynced);

    public void PutBatch(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool sync)
    {
        var batch = new R.WriteBatch();
        foreach (var (k, v) in pairs) batch.Put(k, v);
        _db.Write(batch, sync ? Synced : Unsynced);
    }

    public void Delete(ReadOnlySpan<byte> key, bool sync) => _db.Remove(key, null, sync ? Synced : Unsynced);

    public unsafe int Get(ReadOnlySpan<byte> key, Span<byte> buffer)
    {
        if (_reads == ReadApi.Array)
        {
            var value = _db.Get(key, null, null);
            if (value is null) return -1;
            value.CopyTo(buffer);
            return value.Length;
        }
        IntPtr handle;
        fixed (byte* k = key)
            handle = R.Native.Instance.rocksdb_get_pinned_v2(_db.Handle, Reads.Handle, k, (UIntPtr)key.Length);
        if (handle == IntPtr.Zero) return -1;
        try
        {
            IntPtr data = R.Native.Instance.rocksdb_pinnable_handle_get_value(handle, out UIntPtr length);
            var pinned = new ReadOnlySpan<byte>((void*)data, (int)length);
            pinned.CopyTo(buffer);
            return pinned.Length;
        }
        finally
        {
            R.Native.Instance.rocksdb_pinnable_handle_destroy(handle);
        }
    }

    public int Scan(ReadOnlySpan<byte> key, int count)
    {
        using var it = _db.NewIterator(null, null);
        int n = 0;
        for (it.Seek(key); it.Valid() && n < count; it.Next())
        {
            _ = it.GetValueSpan();
            n++;
        }
        return n;
    }

    public void Flush()
    {
        var flush = new R.FlushOptions().SetWaitForFlush(true);
        _db.Flush(flush);
    }

    public void CompactAll() => _db.CompactRange((byte[]?)null, null, null);

    public void WaitForBackgroundWork()
    {
        // The binding has no WaitForCompact: poll the properties RocksDB's own tools watch.
        while (_db.GetProperty("rocksdb.compaction-pending") != "0"
            || _db.GetProperty("rocksdb.num-running-compactions") != "0"
            || _db.GetProperty("rocksdb.num-running-flushes") != "0"
            || _db.GetProperty("rocksdb.mem-table-flush-pending") != "0")
            Thread.Sleep(10);
    }

    public string Shape => LevelShape.Describe(level => _db.GetProperty($"rocksdb.num-files-at-level{level}"));

    public void Dispose() => _db.Dispose();
}
