using System.Diagnostics;
using System.Globalization;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// An index build in a child process (<c>lkv index create</c>, paced so it takes seconds) is
/// killed with SIGKILL after some batches; the next open resumes it at its stored cursor, writes
/// during the resumed build are indexed, and the finished index equals the data.
/// </summary>
public sealed class IndexBuildKillTests(ITestOutputHelper output)
{
    private const int Keys = 2000;

    [Fact]
    public void Build_KilledMidway_ResumesAtCursorAndEndsConsistent()
    {
        using var dir = new TempDir("index-kill");
        string path = dir.Sub("db");
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        using (var db = LatticeDb.Open(path, new DbOptions { WriteBufferSize = 64 * 1024 }))
        {
            for (int i = 0; i < Keys; i++)
            {
                string key = $"tx{i:D5}";
                model[key] = Doc("acct" + (i % 17), i);
                db.Put(B(key), model[key]);
            }
        }

        long killedAfter = RunChildUntilKilled(path);
        output.WriteLine($"child killed after reporting {killedAfter} entries backfilled");

        using (var db = LatticeDb.Open(path))
        {
            var index = db.GetIndex("by-account");
            output.WriteLine($"reopened: {index.State}, cursor {(index.Index.Record.Cursor is { } c ? S(c) : "none")}, backfilled {index.Index.Backfilled}");
            Assert.Equal(IndexState.Building, index.State);
            Assert.Throws<IndexNotReadyException>(() => db.QueryIndexPrefix(index, []));
            // Writes while the build resumes: maintained by the write path, never undone by the build.
            db.Put(B("tx00000"), model["tx00000"] = Doc("moved", 1));
            db.Delete(B("tx01999"));
            model.Remove("tx01999");
            db.Put(B("zz-new"), model["zz-new"] = Doc("acct3", 99));
            Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(60)), "the resumed build did not finish");
            Assert.Equal(IndexState.Ready, index.State);
            Assert.True(index.Index.Backfilled < Keys, $"the build started over ({index.Index.Backfilled} entries) instead of resuming at its cursor");
            using var it = db.QueryIndex(index, [], []);
            Assert.Equal(Expected(model, IndexExtractors.JsonField("$.account"), _ => true, reverse: false), Read(it, reverse: false));
            Assert.All(db.VerifyIndexes(), v => Assert.True(v.Consistent, v.ToString()));
        }
    }

    /// <summary>Starts the build in lkv, waits until it reports two batches done, and kills it (SIGKILL).</summary>
    private static long RunChildUntilKilled(string path)
    {
        var psi = Lkv.StartInfo("index", "create", path, "by-account", "--json-field", "$.account", "--rate", "600");
        using var child = Process.Start(psi)!;
        var stderr = child.StandardError.ReadToEndAsync();
        long reported = 0;
        try
        {
            while (child.StandardOutput.ReadLine() is { } line)
            {
                if (!line.StartsWith("backfilled ", StringComparison.Ordinal)) continue;
                reported = long.Parse(line["backfilled ".Length..], CultureInfo.InvariantCulture);
                if (reported >= 512) break;
            }
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        // Its standard error is read only now: waiting for it earlier would wait for the child's end.
        Assert.True(reported >= 512 && reported < Keys, $"the child reported {reported} entries before ending: {stderr.Result}");
        return reported;
    }
}
