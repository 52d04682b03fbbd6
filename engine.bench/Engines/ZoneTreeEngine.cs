using ZoneTree;
using ZoneTree.Comparers;
using ZoneTree.Options;
using ZoneTree.Serializers;

namespace LatticeKV.Bench.Engines;

/// <summary>
/// ZoneTree 2.1.3 (a managed LSM tree) with byte-array keys in lexicographic order and its write-ahead
/// log in SyncCompressed mode, its durable mode without an fsync per write. A synced write calls
/// <c>SyncWALAsync</c>, the closest it offers to an fsync per write.
/// </summary>
public sealed class ZoneTreeEngine : IEngine
{
    private static readonly byte[] Tombstone = [];
    private readonly IZoneTree<byte[], byte[]> _tree;
    private readonly IMaintainer _maintainer;
    private readonly ReadApi _reads;
    // The least-allocating read reuses a key array per thread and length: the API takes keys as arrays.
    [ThreadStatic] private static byte[]?[]? t_keys;

    public ZoneTreeEngine(string path, EngineSettings settings)
    {
        _reads = settings.Reads;
        _tree = new ZoneTreeFactory<byte[], byte[]>()
            .SetDataDirectory(path)
            .SetComparer(new BytesLexicographicComparerAscending())
            .SetKeySerializer(new BytesSerializer())
            .SetValueSerializer(new BytesSerializer())
            .SetIsDeletedDelegate((in byte[] _, in byte[] value) => value.Length == 0)
            .SetMarkValueDeletedDelegate((ref byte[] value) => value = Tombstone)
            .ConfigureWriteAheadLogOptions(o => o.WriteAheadLogMode = WriteAheadLogMode.SyncCompressed)
            .OpenOrCreate();
        _maintainer = _tree.CreateMaintainer();
        Settings = "ZoneTree 2.1.3: byte[] keys (lexicographic), WAL SyncCompressed, default segment sizes and caches, background merges by its maintainer (threads at the process's priority), reads: " +
            (_reads == ReadApi.Array ? "TryGet with a new key array" : "TryGet with a reused key array");
    }

    public string Name => "zonetree";

    public string Settings { get; }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync)
    {
        byte[] k = key.ToArray(), v = value.ToArray();
        _tree.Upsert(in k, in v);
        if (sync) _tree.SyncWALAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public void PutBatch(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool sync)
    {
        // No multi-key atomic write outside its transactional API: upserts one by one.
        foreach (var (k, v) in pairs) _tree.Upsert(in k, in v);
        if (sync) _tree.SyncWALAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Delete(ReadOnlySpan<byte> key, bool sync)
    {
        byte[] k = key.ToArray();
        _tree.ForceDelete(in k);
        if (sync) _tree.SyncWALAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> buffer)
    {
        byte[] k = _reads == ReadApi.Array ? key.ToArray() : ReusedKey(key);
        if (!_tree.TryGet(in k, out var value)) return -1;
        value.CopyTo(buffer);
        return value.Length;
    }

    public int Scan(ReadOnlySpan<byte> key, int count)
    {
        using var it = _tree.CreateIterator(IteratorType.NoRefresh, false, false);
        byte[] k = _reads == ReadApi.Array ? key.ToArray() : ReusedKey(key);
        it.Seek(in k);
        int n = 0;
        while (n < count && it.Next())
        {
            _ = it.CurrentValue;
            n++;
        }
        return n;
    }

    private static byte[] ReusedKey(ReadOnlySpan<byte> key)
    {
        var keys = t_keys ??= new byte[]?[64];
        if (key.Length >= keys.Length) return key.ToArray();
        var k = keys[key.Length] ??= new byte[key.Length];
        key.CopyTo(k);
        return k;
    }

    public void Flush()
    {
        _tree.Maintenance.MoveMutableSegmentForward();
        _maintainer.EvictToDisk();
        _maintainer.WaitForBackgroundThreads();
    }

    public void CompactAll()
    {
        Flush();
        _tree.Maintenance.StartMergeOperation()?.Join();
        _maintainer.WaitForBackgroundThreads();
    }

    public void WaitForBackgroundWork() => _maintainer.WaitForBackgroundThreads();

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _maintainer.WaitForBackgroundThreads();
        _maintainer.Dispose();
        _tree.Dispose();
    }
}
