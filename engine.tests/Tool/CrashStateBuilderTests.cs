using LatticeKV.Io;
using LatticeKV.Tool.Crash.States;

namespace LatticeKV.Tests.Tool;

/// <summary>What each persistence model lets a crash keep, on small hand-written traces.</summary>
public class CrashStateBuilderTests
{
    private const string Dir = "/db";
    private static readonly string A = Dir + "/a", B = Dir + "/b", Log = Dir + "/000001.log";

    private static FsOp Create(int file, string path) => new(FsOpKind.Create, file, path);
    private static FsOp Write(int file, string path, long offset, int length, byte fill) => new(FsOpKind.Write, file, path) { Offset = offset, Data = Enumerable.Repeat(fill, length).ToArray() };
    private static FsOp SetLength(int file, string path, long length) => new(FsOpKind.SetLength, file, path) { Length = length };
    private static FsOp Sync(int file, string path) => new(FsOpKind.SyncFile, file, path);
    private static FsOp SyncDir() => new(FsOpKind.SyncDirectory, -1, Dir);

    private static CrashState Build(FsOp[] ops, PersistenceModel model, int metadataCut, Func<DataUnit, bool> keep, Dictionary<int, int>? sizeCuts = null)
    {
        var trace = new CrashTrace(ops);
        var kept = trace.OptionalUnits(ops.Length).Where(id => keep(trace.Units[id])).ToHashSet();
        return new CrashStateBuilder(trace, Dir).Build(new CrashChoice(ops.Length, model, metadataCut, kept, sizeCuts ?? [], "test"));
    }

    [Fact]
    public void Ext4_AppendsAfterTheLastFsync_PersistOnlyAsAPrefix()
    {
        FsOp[] ops = [Create(0, A), Write(0, A, 0, 3 * 4096, 7), Sync(0, A), Write(0, A, 3 * 4096, 3 * 4096, 9)];
        // Keeping only the last appended page is no ext4 state: the size would expose the pages before it.
        var lastOnly = Build(ops, PersistenceModel.Ext4Ordered, ops.Length, u => u.Offset == 5 * 4096);
        Assert.Equal(3 * 4096, lastOnly.Files["a"].Length);
        var firstOnly = Build(ops, PersistenceModel.Ext4Ordered, ops.Length, u => u.Offset == 3 * 4096);
        Assert.Equal(4 * 4096, firstOnly.Files["a"].Length);
        Assert.All(firstOnly.Files["a"].Skip(3 * 4096), b => Assert.Equal(9, b));
        Assert.False(firstOnly.NonPrefix);
    }

    [Fact]
    public void AnySubset_AppendsAfterTheLastFsync_MayLeaveZerosInsideTheSize()
    {
        FsOp[] ops = [Create(0, A), Write(0, A, 0, 4096, 7), Sync(0, A), Write(0, A, 4096, 2 * 4096, 9)];
        var state = Build(ops, PersistenceModel.AnySubset, ops.Length, u => u.Offset == 2 * 4096, new Dictionary<int, int> { [0] = ops.Length });
        var a = state.Files["a"];
        Assert.Equal(3 * 4096, a.Length);
        Assert.All(a.Take(4096), b => Assert.Equal(7, b));        // synced
        Assert.All(a.Skip(4096).Take(4096), b => Assert.Equal(0, b)); // lost: zeros
        Assert.All(a.Skip(2 * 4096), b => Assert.Equal(9, b));     // kept after a lost one
        Assert.True(state.NonPrefix);
    }

    [Fact]
    public void Ext4_PagesOverwrittenInsideTheFile_PersistInAnySubsetAndEachHoldsOneOfItsVersions()
    {
        // The mapped log: ftruncate grows the file, then pages are stored into it, one page twice.
        FsOp[] ops = [Create(0, Log), SetLength(0, Log, 2 * 4096), Sync(0, Log), Write(0, Log, 0, 4096, 1), Write(0, Log, 0, 4096, 2), Write(0, Log, 4096, 4096, 3)];
        var firstVersionAndLastPage = Build(ops, PersistenceModel.Ext4Ordered, ops.Length, u => u.Op is 3 or 5);
        var log = firstVersionAndLastPage.Files["000001.log"];
        Assert.Equal(2 * 4096, log.Length);
        Assert.All(log.Take(4096), b => Assert.Equal(1, b));
        Assert.All(log.Skip(4096), b => Assert.Equal(3, b));
        var secondPageOnly = Build(ops, PersistenceModel.Ext4Ordered, ops.Length, u => u.Op == 5);
        Assert.All(secondPageOnly.Files["000001.log"].Take(4096), b => Assert.Equal(0, b));
        Assert.True(secondPageOnly.NonPrefix);
    }

    [Fact]
    public void Ext4_SizeChangeNotYetJournaled_HidesThePagesItExposed()
    {
        FsOp[] ops = [Create(0, Log), SetLength(0, Log, 4096), Sync(0, Log), SetLength(0, Log, 2 * 4096), Write(0, Log, 4096, 4096, 3)];
        var state = Build(ops, PersistenceModel.Ext4Ordered, metadataCut: 3, _ => true);
        Assert.Equal(4096, state.Files["000001.log"].Length);
    }

    [Fact]
    public void Fsync_MakesDataDurable_InBothModels()
    {
        FsOp[] ops = [Create(0, A), Write(0, A, 0, 100, 5), Sync(0, A), SyncDir(), Write(0, A, 100, 50, 6)];
        foreach (var model in Enum.GetValues<PersistenceModel>())
        {
            var trace = new CrashTrace(ops);
            var none = new CrashStateBuilder(trace, Dir).Build(new CrashChoice(ops.Length, model, trace.MetadataFloor(ops.Length, model), new HashSet<int>(), new Dictionary<int, int>(), "none"));
            Assert.Equal(Enumerable.Repeat((byte)5, 100), none.Files["a"]);
        }
    }

    [Fact]
    public void MetadataFloor_NewFileFsyncedWithoutItsDirectory_IsDurableOnlyOnExt4()
    {
        // ext4's fsync of a new file commits the transaction that created it; POSIX asks for a directory fsync.
        FsOp[] ops = [Create(0, A), Write(0, A, 0, 10, 1), Sync(0, A)];
        var trace = new CrashTrace(ops);
        Assert.Equal(2, trace.MetadataFloor(3, PersistenceModel.Ext4Ordered)); // both ops below the fsync persist
        Assert.Equal(0, trace.MetadataFloor(3, PersistenceModel.AnySubset));
        var strict = new CrashStateBuilder(trace, Dir).Build(new CrashChoice(3, PersistenceModel.AnySubset, 0, new HashSet<int>(), new Dictionary<int, int>(), "none"));
        Assert.Empty(strict.Files);
    }

    [Fact]
    public void MetadataFloor_FsyncOfAFileWithOnlyOverwrites_CommitsOnlyThroughItsOwnLastChange()
    {
        // The rename of b is journaled after the log's last size change; an fsync that only writes
        // pages in place need not commit it.
        FsOp[] ops = [Create(0, Log), SetLength(0, Log, 4096), Create(1, A), new(FsOpKind.Rename, 1, A) { Target = B }, Write(0, Log, 0, 4096, 1), Sync(0, Log)];
        var trace = new CrashTrace(ops);
        Assert.Equal(2, trace.MetadataFloor(ops.Length, PersistenceModel.Ext4Ordered));
        // An fsync that carries appended bytes allocates blocks and commits everything before it.
        FsOp[] appending = [Create(0, A), Create(1, B), Write(0, A, 0, 10, 1), Sync(0, A)];
        Assert.Equal(3, new CrashTrace(appending).MetadataFloor(appending.Length, PersistenceModel.Ext4Ordered));
    }

    [Fact]
    public void Build_SameFilesFromDifferentChoices_HashAlike()
    {
        FsOp[] ops = [Create(0, A), Write(0, A, 0, 10, 1), Sync(0, A), SyncDir()];
        var one = Build(ops, PersistenceModel.Ext4Ordered, ops.Length, _ => true);
        var other = Build(ops, PersistenceModel.AnySubset, ops.Length, _ => false);
        Assert.Equal(one.Hash, other.Hash);
        var different = Build([.. ops, Write(0, A, 10, 1, 2)], PersistenceModel.Ext4Ordered, ops.Length + 1, _ => true);
        Assert.NotEqual(one.Hash, different.Hash);
    }

    [Fact]
    public void Choices_ForACrashPointWithUnsyncedPages_IncludeNonPrefixStates()
    {
        FsOp[] ops = [Create(0, Log), SetLength(0, Log, 4 * 4096), Sync(0, Log), SyncDir(),
            Write(0, Log, 0, 4096, 1), Write(0, Log, 4096, 4096, 2), Write(0, Log, 2 * 4096, 4096, 3), Write(0, Log, 3 * 4096, 4096, 4)];
        var trace = new CrashTrace(ops);
        var generator = new CrashStateGenerator(trace, new Random(3));
        var builder = new CrashStateBuilder(trace, Dir);
        var states = generator.Choices(ops.Length, PersistenceModel.Ext4Ordered, 20).Select(builder.Build).ToList();
        Assert.Equal(20, states.Count);
        Assert.Contains(states, s => s.NonPrefix);
        // None kept, all kept, each single page dropped and kept: at least 2 + 4 + 4 distinct states.
        Assert.True(states.Select(s => s.Hash).Distinct().Count() >= 10, $"{states.Select(s => s.Hash).Distinct().Count()} distinct states");
    }
}
