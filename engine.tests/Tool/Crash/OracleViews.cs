using LatticeKV.Tool.Crash;

namespace LatticeKV.Tests.Tool.Crash;

/// <summary>Builds the three read-path views an oracle judges, as if read from a database holding whole groups.</summary>
internal static class OracleViews
{
    /// <summary>
    /// Point reads of <paramref name="read"/> and both scans, each seeing group g whole with
    /// operation <paramref name="states"/>[g] (0 or missing: absent); <paramref name="tamper"/>
    /// then changes one view by name.
    /// </summary>
    public static IReadOnlyList<ReadPathView> Of(IEnumerable<int> read, IReadOnlyDictionary<int, long> states, Action<ReadPathView>? tamper = null)
    {
        var get = new ReadPathView("Get", complete: false);
        foreach (int g in read)
        {
            get.RecordRead(g);
            Fill(get, g, states.GetValueOrDefault(g));
        }
        var forward = new ReadPathView("forward scan", complete: true);
        var backward = new ReadPathView("backward scan", complete: true);
        foreach (var (g, state) in states)
        {
            Fill(forward, g, state);
            Fill(backward, g, state);
        }
        var views = new[] { get, forward, backward };
        foreach (var v in views) tamper?.Invoke(v);
        return views;
    }

    /// <summary>Every member of <paramref name="group"/> holds operation <paramref name="state"/>'s value (0: left absent).</summary>
    public static void Fill(ReadPathView view, int group, long state)
    {
        if (state == 0) return;
        for (int m = 0; m < CrashProtocol.KeysPerGroup; m++) view.Record(group, m, CrashProtocol.Value(state, m));
    }

    /// <summary>The violations of <paramref name="kind"/> among <paramref name="violations"/>.</summary>
    public static List<string> OfKind(IEnumerable<string> violations, string kind) => [.. violations.Where(v => v.Contains($": {kind}: ", StringComparison.Ordinal))];
}
