namespace LatticeKV.Tool.Crash;

/// <summary>
/// What one read path (point reads, a forward scan, a backward scan) saw of the torture
/// workload's keys after a crash: each group's members, and whatever cannot be the workload's.
/// </summary>
public sealed class ReadPathView(string name, bool complete)
{
    /// <summary>The state of a member whose value is not exactly what the operation it names wrote.</summary>
    public const long Damaged = -1;

    /// <summary>"Get", "forward scan" or "backward scan"; named in every violation this view shows.</summary>
    public string Name => name;

    /// <summary>True for a scan, which sees every group; false for point reads, which see only the groups read.</summary>
    public bool Complete => complete;

    /// <summary>Whether this view looked at <paramref name="group"/>.</summary>
    public bool Saw(int group) => complete || Groups.ContainsKey(group);

    /// <summary>
    /// Group → each member's state: 0 absent, else the id of the operation whose value it holds,
    /// or <see cref="Damaged"/>. A group not listed has every member absent.
    /// </summary>
    public Dictionary<int, long[]> Groups { get; } = [];

    /// <summary>Keys that are not workload keys or sit in another group's column family, described for the report.</summary>
    public List<string> StrayKeys { get; } = [];

    /// <summary>Keys a scan returned out of order or twice, described for the report.</summary>
    public List<string> OrderErrors { get; } = [];

    /// <summary>The members of <paramref name="group"/> (all absent when the view never saw it).</summary>
    public long[] Members(int group) => Groups.TryGetValue(group, out var m) ? m : new long[CrashProtocol.KeysPerGroup];

    /// <summary>Records that member <paramref name="member"/> of <paramref name="group"/> holds <paramref name="value"/>.</summary>
    public void Record(int group, int member, ReadOnlySpan<byte> value) => Entry(group)[member] = MemberState(value, member);

    /// <summary>Records that <paramref name="group"/> was read (its members stay absent until recorded).</summary>
    public void RecordRead(int group) => Entry(group);

    private long[] Entry(int group)
    {
        if (!Groups.TryGetValue(group, out var members)) Groups[group] = members = new long[CrashProtocol.KeysPerGroup];
        return members;
    }

    private static long MemberState(ReadOnlySpan<byte> value, int member)
    {
        long id;
        try { id = CrashProtocol.ParseValue(value); }
        catch (FormatException) { return Damaged; }
        return id > 0 && value.SequenceEqual(CrashProtocol.Value(id, member)) ? id : Damaged;
    }
}
