using System.Text;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests;

public class SmokeTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void PutGetReopen_Basic_Works()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
        {
            db.Put(B("a"), B("1"));
            db.Put(B("b"), B("2"));
            db.Delete(B("a"));
            Assert.Null(db.Get(B("a")));
            Assert.Equal(B("2"), db.Get(B("b")));
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            Assert.Null(db.Get(B("a")));
            Assert.Equal(B("2"), db.Get(B("b")));
            db.Flush();
            Assert.Equal(B("2"), db.Get(B("b")));
            using var it = db.NewIterator();
            it.SeekToFirst();
            Assert.True(it.Valid);
            Assert.Equal(B("b"), it.Key.ToArray());
        }
    }

    [Fact]
    public void ManyKeys_FlushAndCompact_AllReadable()
    {
        using var dir = new TempDir();
        var opts = new DbOptions { WriteBufferSize = 64 * 1024, MaxBytesForLevelBase = 256 * 1024, TargetFileSizeBase = 64 * 1024 };
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var rnd = new Random(1);
        using (var db = LatticeDb.Open(dir.Path, opts))
        {
            for (int i = 0; i < 20000; i++)
            {
                string k = "key" + rnd.Next(5000).ToString("D5");
                if (rnd.Next(10) == 0) { db.Delete(B(k)); model.Remove(k); }
                else { string v = "v" + i; db.Put(B(k), B(v)); model[k] = v; }
            }
            foreach (var (k, v) in model) Assert.Equal(v, Encoding.UTF8.GetString(db.Get(B(k))!));
            db.CompactRange();
            foreach (var (k, v) in model) Assert.Equal(v, Encoding.UTF8.GetString(db.Get(B(k))!));
            using var it = db.NewIterator();
            var seen = new List<string>();
            for (it.SeekToFirst(); it.Valid; it.Next()) seen.Add(Encoding.UTF8.GetString(it.Key));
            Assert.Equal(model.Keys.ToList(), seen);
            var back = new List<string>();
            for (it.SeekToLast(); it.Valid; it.Prev()) back.Add(Encoding.UTF8.GetString(it.Key));
            back.Reverse();
            Assert.Equal(model.Keys.ToList(), back);
        }
        using (var db = LatticeDb.Open(dir.Path, opts))
        {
            foreach (var (k, v) in model) Assert.Equal(v, Encoding.UTF8.GetString(db.Get(B(k))!));
        }
    }
}
