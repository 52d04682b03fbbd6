using LatticeKV.Io;

namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// A recorded trace, indexed for crash-state generation. A crash point k (0 ≤ k ≤ <see cref="Count"/>)
/// is the moment after operations [0, k) and before operation k. Writes are cut into page units
/// (<see cref="DataUnit"/>); for each crash point the trace answers which units are still
/// optional (written after their file's last fsync) and how far the metadata journal must have
/// reached under each <see cref="PersistenceModel"/>.
/// </summary>
internal sealed class CrashTrace
{
    public const int PageSize = 4096;

    private readonly List<DataUnit> _units = [];
    private readonly int[] _firstUnit;                  // per op: its first unit (writes), else the next op's
    private readonly Dictionary<int, List<int>> _syncs = [];   // per file: indices of its fsyncs
    private readonly Dictionary<int, List<int>> _fileOps = []; // per file: indices of its writes and size changes
    private readonly int[] _ordered;                    // per crash point: metadata ops below it persisted, ext4
    private readonly int[] _strict;                     // per crash point: directory ops below it persisted, any-subset

    public CrashTrace(IReadOnlyList<FsOp> ops)
    {
        Ops = ops;
        _firstUnit = new int[ops.Count + 1];
        _ordered = new int[ops.Count + 1];
        _strict = new int[ops.Count + 1];
        var size = new Dictionary<int, long>();
        var lastMeta = new Dictionary<int, int>();         // per file: index of its last metadata op
        var appendedSinceSync = new HashSet<int>();
        var lastDirectoryOp = new Dictionary<string, int>(StringComparer.Ordinal);
        int ordered = 0, strict = 0;
        for (int i = 0; i < ops.Count; i++)
        {
            _firstUnit[i] = _units.Count;
            _ordered[i] = ordered;
            _strict[i] = strict;
            var op = ops[i];
            switch (op.Kind)
            {
                case FsOpKind.Create:
                case FsOpKind.Rename:
                case FsOpKind.Delete:
                    lastMeta[op.File] = i;
                    lastDirectoryOp[DirectoryOf(op.Path)] = i;
                    if (op.Kind == FsOpKind.Create) size[op.File] = 0;
                    break;
                case FsOpKind.SetLength:
                    lastMeta[op.File] = i;
                    size[op.File] = op.Length;
                    FileOps(op.File).Add(i);
                    break;
                case FsOpKind.Write:
                    long known = size.GetValueOrDefault(op.File);
                    for (int start = 0; start < op.Data.Length;)
                    {
                        long at = op.Offset + start;
                        int length = (int)Math.Min(op.Data.Length - start, PageSize - at % PageSize);
                        bool appends = at + length > known;
                        if (appends)
                        {
                            known = at + length;
                            appendedSinceSync.Add(op.File);
                        }
                        _units.Add(new DataUnit(_units.Count, i, op.File, at, start, length, appends));
                        start += length;
                    }
                    size[op.File] = known;
                    FileOps(op.File).Add(i);
                    break;
                case FsOpKind.SyncFile:
                    if (!_syncs.TryGetValue(op.File, out var list)) _syncs[op.File] = list = [];
                    list.Add(i);
                    // Allocating appended blocks dirties the inode in the running transaction, which
                    // the fsync then commits whole; otherwise it commits the transaction holding the
                    // file's last metadata change, and with it everything journaled before that.
                    int through = appendedSinceSync.Remove(op.File) ? i : lastMeta.GetValueOrDefault(op.File, -1) + 1;
                    ordered = Math.Max(ordered, through);
                    break;
                case FsOpKind.SyncDirectory:
                    int last = lastDirectoryOp.GetValueOrDefault(op.Path, -1) + 1;
                    ordered = Math.Max(ordered, last);
                    strict = Math.Max(strict, last);
                    break;
            }
        }
        _firstUnit[ops.Count] = _units.Count;
        _ordered[ops.Count] = ordered;
        _strict[ops.Count] = strict;
    }

    public IReadOnlyList<FsOp> Ops { get; }

    public int Count => Ops.Count;

    public IReadOnlyList<DataUnit> Units => _units;

    /// <summary>The units of operation <paramref name="op"/> (empty unless it is a write).</summary>
    public ReadOnlySpan<DataUnit> UnitsOf(int op) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_units)[_firstUnit[op].._firstUnit[op + 1]];

    /// <summary>Index of <paramref name="file"/>'s last fsync before crash point <paramref name="point"/>, or -1.</summary>
    public int LastSync(int file, int point)
    {
        if (!_syncs.TryGetValue(file, out var list)) return -1;
        int i = list.BinarySearch(point);
        i = i >= 0 ? i - 1 : ~i - 1;
        return i >= 0 ? list[i] : -1;
    }

    /// <summary>Indices of <paramref name="file"/>'s writes and size changes, in order.</summary>
    public IReadOnlyList<int> OpsOf(int file) => _fileOps.TryGetValue(file, out var list) ? list : [];

    /// <summary>The least metadata cut a state at <paramref name="point"/> may have: operations below it are durable.</summary>
    public int MetadataFloor(int point, PersistenceModel model) => model == PersistenceModel.Ext4Ordered ? _ordered[point] : _strict[point];

    /// <summary>Units written before <paramref name="point"/> and after their file's last fsync before it: the ones a crash may keep or lose.</summary>
    public List<int> OptionalUnits(int point)
    {
        var result = new List<int>();
        foreach (var u in _units)
        {
            if (u.Op >= point) break;
            if (u.Op > LastSync(u.File, point)) result.Add(u.Id);
        }
        return result;
    }

    /// <summary>Files whose size changed after their last fsync before <paramref name="point"/> (the any-subset model picks each one's size).</summary>
    public List<int> FilesWithUnsyncedSize(int point)
    {
        var result = new List<int>();
        foreach (var (file, list) in _fileOps)
        {
            int sync = LastSync(file, point);
            foreach (int i in list)
            {
                if (i >= point) break;
                if (i > sync && ChangesSize(i))
                {
                    result.Add(file);
                    break;
                }
            }
        }
        result.Sort();
        return result;
    }

    /// <summary>A copy of this trace without the operations <paramref name="ops"/> (for showing the checker catches a lost fsync or write).</summary>
    public CrashTrace Without(IReadOnlySet<int> ops) => new([.. Ops.Where((_, i) => !ops.Contains(i))]);

    private bool ChangesSize(int op) => Ops[op].Kind == FsOpKind.SetLength || UnitsOf(op).ToArray().Any(u => u.Appends);

    private List<int> FileOps(int file)
    {
        if (!_fileOps.TryGetValue(file, out var list)) _fileOps[file] = list = [];
        return list;
    }

    private static string DirectoryOf(string path) => System.IO.Path.GetDirectoryName(path) ?? "";
}
