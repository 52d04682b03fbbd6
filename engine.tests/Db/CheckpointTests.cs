using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

public sealed class CheckpointTests
{
    [Fact]
    public void Checkpoint_HoldsEveryAcknowledgedWrite_AndOpensIndependently()
    {
        using var dir = new TempDir("ckpt");
        string cp = dir.Sub("cp");
        ulong seq;
        using (var db = LatticeDb.Open(dir.Sub("db"), new DbOptions { WriteBufferSize = 64 << 10 }))
        {
            for (int i = 0; i < 5000; i++) db.Put(Key(i), Value(i));
            db.Flush();
            for (int i = 5000; i < 6000; i++) db.Put(Key(i), Value(i)); // in the log only
            db.Delete(Key(7));
            seq = db.CreateCheckpoint(cp);
            db.Put(Key(1), "after"u8.ToArray());
            db.Put(Key(7), "after"u8.ToArray());
            Assert.Equal(6001UL, seq);
        }
        Assert.DoesNotContain(Directory.EnumerateDirectories(dir.Path), d => d.Contains(".checkpoint-tmp-", StringComparison.Ordinal));
        using (var copy = LatticeDb.Open(cp))
        {
            for (int i = 0; i < 6000; i++)
            {
                if (i == 7) { Assert.Null(copy.Get(Key(i))); continue; }
                Assert.Equal(Value(i), copy.Get(Key(i)));
            }
            copy.Put(Key(2), "diverged"u8.ToArray());
        }
        // The copy is a new timeline of the same database; the source is untouched by its writes.
        var a = File.ReadAllText(Path.Combine(dir.Sub("db"), "IDENTITY"));
        var b = File.ReadAllText(Path.Combine(cp, "IDENTITY"));
        Assert.Equal(a.Split('\n')[0], b.Split('\n')[0]);
        Assert.NotEqual(a.Split('\n')[1], b.Split('\n')[1]);
        using var source = LatticeDb.Open(dir.Sub("db"));
        Assert.Equal(Value(2), source.Get(Key(2)));
        Assert.Equal("after"u8.ToArray(), source.Get(Key(7)));
    }

    [Fact]
    public void Checkpoint_IntoExistingDirectory_IsRefused()
    {
        using var dir = new TempDir("ckpt");
        Directory.CreateDirectory(dir.Sub("cp"));
        File.WriteAllText(Path.Combine(dir.Sub("cp"), "keep.txt"), "mine");
        using var db = LatticeDb.Open(dir.Sub("db"));
        db.Put("k"u8.ToArray(), "v"u8.ToArray());
        Assert.Throws<InvalidArgumentException>(() => db.CreateCheckpoint(dir.Sub("cp")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir.Sub("cp"), "keep.txt")));
    }

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");

    private static byte[] Value(int i) => System.Text.Encoding.ASCII.GetBytes($"value-{i}-" + new string('x', i % 50));
}
