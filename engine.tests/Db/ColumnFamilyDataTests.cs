using LatticeKV.Db;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Memtables recovery flushes are freed as soon as the next one takes their place, rather than
/// left to finalizers the collector may not run for a while: their memory lies outside the
/// managed heap, where the collector does not see it.
/// </summary>
public class ColumnFamilyDataTests
{
    [Fact]
    public void ResetMemTableAfterRecoveryFlush_EachReplacedMemTable_IsFreedAndTheNewOneIsNot()
    {
        var cmp = new InternalKeyComparator(KeyComparator.Bytewise);
        var version = new LsmVersion(cmp, [.. Enumerable.Range(0, 7).Select(_ => Array.Empty<FileMetaData>())], null);
        var cfd = new ColumnFamilyData(new ColumnFamilyState(0, "default", version), new ColumnFamilyOptions(), 64 * 1024, cmp, TimeProvider.System, 1);
        var replaced = new List<IReadOnlyList<LatticeKV.Io.NativeBuffer<byte>>>();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 200; i++) cfd.Mem.Add((ulong)(round * 1000 + i + 1), ValueKind.Value, TestDb.B($"k{i:D4}"), new byte[100]);
            replaced.Add(cfd.Mem.Arena.Chunks);
            cfd.ResetMemTableAfterRecoveryFlush(round + 2);
        }
        cfd.Mem.Add(9999, ValueKind.Value, "last"u8, "value"u8);

        Assert.All(replaced, chunks => Assert.All(chunks, c => Assert.True(c.IsFreed)));
        Assert.Same(cfd.Mem, cfd.CurrentSuperVersion.Mem);
        Assert.DoesNotContain(cfd.Mem.Arena.Chunks, c => c.IsFreed);
        Assert.True(cfd.Mem.TryGet("last"u8, ulong.MaxValue, out _, out _, out var value) && value.SequenceEqual("value"u8));
        var current = cfd.Mem.Arena.Chunks;
        cfd.ReleaseSuperVersion();
        Assert.All(current, c => Assert.True(c.IsFreed));
    }
}
