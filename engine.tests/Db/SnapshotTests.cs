using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class SnapshotTests
{
    [Fact]
    public void Snapshot_HeldAcrossOverwritesFlushesAndCompactions_ReadsItsPointInTime()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 16 * 1024, MaxBytesForLevelBase = 64 * 1024, TargetFileSizeBase = 16 * 1024 });
        var snapshots = new List<(Snapshot Snap, int Generation)>();
        for (int gen = 0; gen < 5; gen++)
        {
            for (int i = 0; i < 500; i++)
            {
                if (gen == 3 && i % 3 == 0) db.Delete(B($"k{i:D3}"));
                else db.Put(B($"k{i:D3}"), B($"gen{gen}-" + new string('p', 30)));
            }
            snapshots.Add((db.GetSnapshot(), gen));
            db.Flush();
            db.CompactRange();
        }
        foreach (var (snap, gen) in snapshots)
        {
            var ro = new ReadOptions { Snapshot = snap };
            for (int i = 0; i < 500; i++)
            {
                string? expected = gen == 3 && i % 3 == 0 ? null : $"gen{gen}-" + new string('p', 30);
                Assert.Equal(expected, S(db.Get(B($"k{i:D3}"), ro)));
            }
            using var it = db.NewIterator(ro);
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next()) n++;
            Assert.Equal(gen == 3 ? 333 : 500, n);
            snap.Dispose();
        }
        Assert.Equal("0", db.GetProperty("lattice.num-snapshots"));
    }

    [Fact]
    public void Iterator_CreatedBeforeWrites_DoesNotSeeThem()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("a"), B("1"));
        using var it = db.NewIterator();
        db.Put(B("b"), B("2"));
        db.Delete(B("a"));
        db.Flush();
        it.SeekToFirst();
        Assert.True(it.Valid);
        Assert.Equal("a", S(it.Key.ToArray()));
        it.Next();
        Assert.False(it.Valid);
    }

    [Fact]
    public void Iterator_HeldWhileCompactionRewritesFiles_KeepsReading()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 16 * 1024, MaxBytesForLevelBase = 64 * 1024, TargetFileSizeBase = 16 * 1024 });
        for (int i = 0; i < 5000; i++) db.Put(B($"k{i:D5}"), B("v" + i));
        db.Flush();
        using var it = db.NewIterator();
        it.SeekToFirst();
        for (int i = 0; i < 5000; i++) db.Put(B($"k{i:D5}"), B("w" + i));
        db.CompactRange(); // rewrites and deletes the files the iterator reads
        int n = 0;
        for (; it.Valid; it.Next(), n++) Assert.Equal("v" + n, S(it.Value.ToArray()));
        Assert.Equal(5000, n);
    }
}
