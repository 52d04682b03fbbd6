using System.Diagnostics;
using System.Globalization;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// What one crash child has said (<see cref="CrashProtocol"/>): how far its open got, the
/// operations it announced and not yet acknowledged, and those it acknowledged, which go to the
/// oracle as they come. One thread reads the child's output into it; the harness waits on its
/// signals and reads the rest once the child is gone.
/// </summary>
internal sealed class ChildTranscript(KillOracle oracle, int columnFamilies)
{
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    // Guarded by _gate.
    private readonly Dictionary<long, InFlightOp> _begun = [];
    private KillPhase? _phase; // null until the child says it is opening
    private double _openingAt, _replayedAt;
    private long _acked, _lastId;
    private string? _failure;

    /// <summary>Set when the child starts opening.</summary>
    public ManualResetEventSlim Opening { get; } = new();

    /// <summary>Set when the open has replayed the logs (or has finished, if it did not say so).</summary>
    public ManualResetEventSlim Replayed { get; } = new();

    /// <summary>Set when the open has written its new MANIFEST (or has finished, if it did not say so).</summary>
    public ManualResetEventSlim Edited { get; } = new();

    /// <summary>Set at the first acknowledgement, or when the child's own check fails.</summary>
    public ManualResetEventSlim FirstAck { get; } = new();

    /// <summary>Reads the child's output to its end; then every signal is set, since nothing more will come.</summary>
    public void ReadAll(TextReader output)
    {
        string? line;
        while ((line = output.ReadLine()) is not null) Hear(line);
        foreach (var signal in new[] { Opening, Replayed, Edited, FirstAck }) signal.Set();
    }

    private void Hear(string line)
    {
        lock (_gate)
        {
            if (line == CrashProtocol.Opening)
            {
                _phase = KillPhase.LogReplay;
                _openingAt = _clock.Elapsed.TotalMilliseconds;
                Opening.Set();
            }
            else if (line == CrashProtocol.Replayed)
            {
                _replayedAt = _clock.Elapsed.TotalMilliseconds;
                Replayed.Set();
            }
            else if (line == CrashProtocol.Edited) Edited.Set();
            else if (line == CrashProtocol.Opened)
            {
                _phase = KillPhase.Opened;
                Replayed.Set(); // an open with nothing to replay may say nothing in between
                Edited.Set();
            }
            else if (line.StartsWith("X ", StringComparison.Ordinal))
            {
                _failure = line[2..];
                FirstAck.Set();
            }
            else HearOperation(line.Split(' '));
        }
    }

    /// <summary>An announcement or an acknowledgement. Caller holds _gate.</summary>
    private void HearOperation(string[] parts)
    {
        switch (parts)
        {
            case [("P" or "D") and var kind, var id, var groups] when long.TryParse(id, out long opId):
                Begin(new InFlightOp(opId, kind == "P", [.. groups.Split(',').Select(g => int.Parse(g, CultureInfo.InvariantCulture))]));
                break;
            case ["R", var id, var cf, var from, var to] when long.TryParse(id, out long opId):
                int c = int.Parse(cf, CultureInfo.InvariantCulture), f = int.Parse(from, CultureInfo.InvariantCulture), t = int.Parse(to, CultureInfo.InvariantCulture);
                Begin(new InFlightOp(opId, false, [.. Enumerable.Range(f, t - f).Where(g => CrashProtocol.ColumnFamilyIndex(g, columnFamilies) == c)]));
                break;
            case ["A", var id] when long.TryParse(id, out long opId) && _begun.Remove(opId, out var op):
                oracle.Acknowledge(op);
                _acked++;
                _phase = KillPhase.Writing;
                FirstAck.Set();
                break;
        }
    }

    private void Begin(InFlightOp op)
    {
        _begun[op.Id] = op;
        _lastId = Math.Max(_lastId, op.Id);
    }

    /// <summary>Acknowledged operations.</summary>
    public long Acked { get { lock (_gate) return _acked; } }

    /// <summary>The largest operation id the child announced (0: none).</summary>
    public long LastId { get { lock (_gate) return _lastId; } }

    /// <summary>Operations announced and not acknowledged: in flight when the child died.</summary>
    public List<InFlightOp> InFlight { get { lock (_gate) return [.. _begun.Values]; } }

    /// <summary>The last phase the child reported (<see cref="KillPhase.LogReplay"/> stands for "opening"), or null before it began opening.</summary>
    public KillPhase? Phase { get { lock (_gate) return _phase; } }

    /// <summary>What the child's own check reported, or null.</summary>
    public string? Failure { get { lock (_gate) return _failure; } }

    /// <summary>How long the replay took, when the child said when it began and ended.</summary>
    public double? ReplayMs { get { lock (_gate) return _replayedAt > _openingAt && _openingAt > 0 ? _replayedAt - _openingAt : null; } }
}
