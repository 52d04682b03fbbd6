namespace LatticeKV.Tool.Crash;

/// <summary>
/// The violations one verification found. The same finding seen through several read paths
/// becomes one line naming them all, so a lost write is reported once, not three times.
/// </summary>
internal sealed class ViolationLog(int cycle)
{
    private readonly List<(string Kind, string Detail)> _findings = [];
    private readonly Dictionary<(string Kind, string Detail), List<string>> _readPaths = [];

    public void Add(string kind, string detail, string? readPath = null)
    {
        if (!_readPaths.TryGetValue((kind, detail), out var paths))
        {
            _findings.Add((kind, detail));
            _readPaths[(kind, detail)] = paths = [];
        }
        if (readPath is not null && !paths.Contains(readPath)) paths.Add(readPath);
    }

    public int Count => _findings.Count;

    public IReadOnlyList<string> Messages => [.. _findings.Select(f =>
    {
        var paths = _readPaths[f];
        return ViolationKind.Format(cycle, f.Kind, paths.Count == 0 ? f.Detail : $"{f.Detail} (seen by {string.Join(", ", paths)})");
    })];
}
