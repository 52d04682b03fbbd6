using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Manifest;

/// <summary>
/// A failed <see cref="VersionSet.LogAndApply"/> installs nothing: whichever write, fsync or
/// rename fails, the column family keeps its version, log number and files, the callback does
/// not run, the half-built version does not linger among the live ones, recovery from the disk
/// finds the state before the edit or after it (never a mix), and the next successful edit
/// starts a new MANIFEST that lifts <see cref="VersionSet.WriteUncertain"/>.
/// </summary>
public class VersionSetTests
{
    private const string Db = "/db";
    private const int NumLevels = 4;

    /// <summary>Where the failing edit fails: appending to the live MANIFEST, or writing a new one and pointing CURRENT at it.</summary>
    public enum FaultPoint
    {
        ManifestAppend,
        ManifestSync,
        NewManifestCreate,
        NewManifestSync,
        CurrentTempWrite,
        CurrentTempSync,
        CurrentRename,
        DirectorySync,
    }

    private static bool AppendsToLiveManifest(FaultPoint point) => point is FaultPoint.ManifestAppend or FaultPoint.ManifestSync;

    private static FaultRule RuleFor(FaultPoint point) => point switch
    {
        FaultPoint.ManifestAppend or FaultPoint.NewManifestCreate => new FaultRule(FaultKind.DiskFull, DbFileKind.Manifest, times: 1),
        FaultPoint.ManifestSync or FaultPoint.NewManifestSync => new FaultRule(FaultKind.FailSync, DbFileKind.Manifest, times: 1),
        FaultPoint.CurrentTempWrite => new FaultRule(FaultKind.DiskFull, DbFileKind.Temp, times: 1),
        FaultPoint.CurrentTempSync => new FaultRule(FaultKind.FailSync, DbFileKind.Temp, times: 1),
        FaultPoint.CurrentRename => new FaultRule(FaultKind.FailRename, DbFileKind.Temp, times: 1),
        // The database directory's own name ("db") is of no file kind: only its fsync matches.
        FaultPoint.DirectorySync => new FaultRule(FaultKind.FailSync, DbFileKind.Unknown, times: 1),
        _ => throw new ArgumentOutOfRangeException(nameof(point)),
    };

    /// <summary>A database's MANIFEST after open: created, recovered, and one edit in it holding table <c>A</c> and log 5.</summary>
    private sealed class Fixture
    {
        public Fixture(long maxManifestFileSize)
        {
            Disk.CreateDirectory(Db);
            Faults = new FaultInjectionFileSystem(Disk, seed: 1);
            Versions = new VersionSet(Faults, Db, LevelFixture.Cmp, NumLevels, new object(), maxManifestFileSize);
            Versions.CreateNew(null);
            Versions.Recover();
            A = Versions.NewFileNumber();
            Versions.LogAndApply([AddTable(A, "a", "b", log: 5)]);
        }

        public MemFileSystem Disk { get; } = new();
        public FaultInjectionFileSystem Faults { get; }
        public VersionSet Versions { get; }
        public long A { get; }
        public ColumnFamilyState Default => Versions.GetColumnFamily(VersionSet.DefaultColumnFamilyId)!;
    }

    private static VersionEdit AddTable(long number, string lo, string hi, long? log)
    {
        long next = number;
        var edit = new VersionEdit { LogNumber = log };
        edit.AddFile(1, LevelFixture.File($"{lo}-{hi}", ref next));
        return edit;
    }

    private static string State(ColumnFamilyState cf) => $"{LevelFixture.Describe(cf.Current)} / log {cf.LogNumber}";

    /// <summary>The default column family as a fresh open of <paramref name="disk"/> recovers it.</summary>
    private static string Recovered(MemFileSystem disk)
    {
        using var versions = new VersionSet(disk, Db, LevelFixture.Cmp, NumLevels, new object(), long.MaxValue);
        versions.Recover();
        return State(versions.GetColumnFamily(VersionSet.DefaultColumnFamilyId)!);
    }

    public static TheoryData<FaultPoint> FaultPoints() => [.. Enum.GetValues<FaultPoint>()];

    [Theory]
    [MemberData(nameof(FaultPoints))]
    public void LogAndApply_FaultAt_InstallsNothingAndNextEditStartsANewManifest(FaultPoint point)
    {
        var f = new Fixture(AppendsToLiveManifest(point) ? long.MaxValue : 0);
        var vs = f.Versions;
        var cf = f.Default;
        var current = cf.Current;
        string before = State(cf);
        long manifest = vs.ManifestFileNumber, nextFile = vs.NextFileNumberPeek;
        var live = vs.LiveFiles();

        var rule = RuleFor(point);
        f.Faults.Add(rule);
        long x = vs.NewFileNumber();
        bool installed = false;
        Assert.ThrowsAny<LatticeIOException>(() => vs.LogAndApply([AddTable(x, "c", "d", log: 9)], () => installed = true));
        Assert.Equal(1, rule.Fired);

        Assert.False(installed);
        Assert.Same(current, cf.Current);
        Assert.Equal($"L1: {f.A} / log 5", State(cf));
        Assert.Same(cf, vs.GetColumnFamily(VersionSet.DefaultColumnFamilyId));
        Assert.True(live.SetEquals(vs.LiveFiles()), "the version the failed edit built must not stay live");
        Assert.Equal(manifest, vs.ManifestFileNumber);
        Assert.True(vs.WriteUncertain);
        if (AppendsToLiveManifest(point)) Assert.Equal(nextFile + 1, vs.NextFileNumberPeek); // only x was taken
        foreach (var name in f.Disk.ListFiles(Db))
        {
            // Whatever the failed attempt left behind keeps its number out of circulation.
            if (FileNames.Parse(name, out long number) is DbFileKind.Manifest or DbFileKind.Temp)
                Assert.True(number < vs.NextFileNumberPeek, $"{name} may be handed out again");
        }

        // A crash now (the process killed, or the power lost) recovers one side of the edit.
        string after = $"L1: {f.A} {x} / log 9";
        foreach (bool powerLoss in new[] { false, true })
            Assert.Contains(Recovered(f.Disk.CrashClone(powerLoss)), new[] { before, after });

        f.Faults.Clear();
        long y = vs.NewFileNumber();
        vs.LogAndApply([AddTable(y, "e", "f", log: null)], () => installed = true);
        Assert.True(installed);
        Assert.False(vs.WriteUncertain);
        Assert.NotEqual(manifest, vs.ManifestFileNumber);
        Assert.Equal($"L1: {f.A} {y} / log 5", State(cf));
        Assert.DoesNotContain(x, vs.LiveFiles());
        foreach (bool powerLoss in new[] { false, true })
            Assert.Equal(State(cf), Recovered(f.Disk.CrashClone(powerLoss)));
    }

    [Fact]
    public void LogAndApply_TornManifestAppend_InstallsNothingAndRecoversTheStateBefore()
    {
        var f = new Fixture(long.MaxValue);
        var current = f.Default.Current;
        string before = State(f.Default);
        f.Faults.Add(new FaultRule(FaultKind.TornWrite, DbFileKind.Manifest, times: 1));
        long x = f.Versions.NewFileNumber();
        // A record long enough to tear inside it.
        var edit = AddTable(x, "c" + new string('k', 300), "d", log: 9);
        Assert.ThrowsAny<LatticeIOException>(() => f.Versions.LogAndApply([edit]));
        Assert.True(f.Faults.IsDead);
        Assert.Same(current, f.Default.Current);
        Assert.True(f.Versions.WriteUncertain);
        Assert.DoesNotContain(x, f.Versions.LiveFiles());
        foreach (bool powerLoss in new[] { false, true })
            Assert.Equal(before, Recovered(f.Disk.CrashClone(powerLoss)));
    }

    [Fact]
    public void LogAndApply_ColumnFamilyAddFails_LeavesNoColumnFamilyAndTheIdFree()
    {
        var f = new Fixture(long.MaxValue);
        uint id = f.Versions.NextColumnFamilyId();
        var families = f.Versions.ColumnFamilies.Count;
        f.Faults.Add(new FaultRule(FaultKind.FailSync, DbFileKind.Manifest, times: 1));
        bool installed = false;
        Assert.ThrowsAny<LatticeIOException>(() => f.Versions.LogAndApply([new VersionEdit { ColumnFamilyId = id, ColumnFamilyAdd = "extra", LogNumber = 5 }], () => installed = true));
        Assert.False(installed);
        Assert.Null(f.Versions.FindColumnFamily("extra"));
        Assert.Null(f.Versions.GetColumnFamily(id));
        Assert.Equal(families, f.Versions.ColumnFamilies.Count);
        Assert.Equal(id, f.Versions.NextColumnFamilyId());

        f.Faults.Clear();
        f.Versions.LogAndApply([new VersionEdit { ColumnFamilyId = id, ColumnFamilyAdd = "extra", LogNumber = 5 }]);
        Assert.Equal(id, f.Versions.FindColumnFamily("extra")!.Id);
    }

    public enum InvalidEdit { UnknownColumnFamily, DeletesMissingFile }

    /// <summary>An edit that cannot apply fails the whole call before anything is written.</summary>
    [Theory]
    [InlineData(InvalidEdit.UnknownColumnFamily)]
    [InlineData(InvalidEdit.DeletesMissingFile)]
    public void LogAndApply_LaterEditInvalid_InstallsAndWritesNothingAndLeaksNoVersion(InvalidEdit invalid)
    {
        var f = new Fixture(long.MaxValue);
        var vs = f.Versions;
        var current = f.Default.Current;
        long manifestSize = vs.ManifestFileSize;
        long x = vs.NewFileNumber();
        var bad = new VersionEdit { ColumnFamilyId = invalid == InvalidEdit.UnknownColumnFamily ? 9u : 0u };
        if (invalid == InvalidEdit.DeletesMissingFile) bad.DeleteFile(1, 999);
        bool installed = false;

        Assert.ThrowsAny<LatticeException>(() => vs.LogAndApply([AddTable(x, "c", "d", log: 9), bad], () => installed = true));

        Assert.False(installed);
        Assert.Same(current, f.Default.Current);
        Assert.DoesNotContain(x, vs.LiveFiles());
        Assert.False(vs.WriteUncertain);
        Assert.Equal(manifestSize, vs.ManifestFileSize);
        vs.LogAndApply([AddTable(x, "c", "d", log: 9)]);
        Assert.Equal($"L1: {f.A} {x} / log 9", Recovered(f.Disk.CrashClone(powerLoss: true)));
    }
}
