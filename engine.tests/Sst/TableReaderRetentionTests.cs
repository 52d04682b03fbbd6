using System.Runtime.CompilerServices;
using System.Text;
using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

/// <summary>What a table reader's point lookups leave reachable once the reader and its cache are gone.</summary>
public sealed class TableReaderRetentionTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    [Fact]
    public void Get_ThenReaderAndCacheDropped_BlockIsCollectable()
    {
        // The lookup runs on this thread, whose per-thread data iterator outlives the reader: it
        // must not keep the block it last read (and through the block's cache slots, every block
        // cached for the table) reachable.
        var block = ReadOnceAndClose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(block.IsAlive, "a block read through a closed table reader is still reachable");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ReadOnceAndClose()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/db");
        string path = FileNames.Table("/db", 1);
        using (var builder = new TableBuilder(fs.CreateWritable(path), new TableBuilderOptions(Cmp, 256, 16, CompressionType.Snappy, 10)))
        {
            for (int i = 0; i < 200; i++)
                builder.Add(InternalKey.Create(Key(i), (ulong)(i + 1), ValueKind.Value), Encoding.UTF8.GetBytes($"value-{i}"));
            builder.Finish();
        }
        var cache = new BlockCache<Block>(1 << 20);
        using var reader = TableReader.Open(fs.OpenRead(path), 1, new TableReaderOptions(Cmp, cache, false));
        var lookup = InternalKey.Create(Key(77), InternalKey.MaxSequence, ValueKinds.ForSeek);
        Assert.True(reader.Get(lookup, true, out _, out var found, out int offset, out int length));
        Assert.Equal("value-77", Encoding.UTF8.GetString(found!.Data, offset, length));
        found.Unpin();
        return new WeakReference(found);
    }

    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"key-{i:D5}");
}
