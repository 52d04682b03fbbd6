using System.IO.Hashing;

namespace LatticeKV.Backup;

/// <summary>
/// The XXH3-64 state of each live log's prefix as this open database last read it for a backup
/// (<see cref="LogPieces"/>): the next backup of the same log resumes hashing where that one
/// stopped instead of reading the prefix again. Valid because a live log only grows while the
/// database that writes it is open: no code path rewrites, truncates or reuses a log file below
/// the length it acknowledged (a reopen is a new instance with an empty set). A stored copy is
/// taken as the prefix only when its recorded size and XXH3 are exactly the ones remembered.
/// Thread-safe.
/// </summary>
internal sealed class LogPrefixHashes
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, (long Length, ulong Checksum, XxHash3 State)> _byLog = []; // guarded by _lock

    /// <summary>
    /// A copy of the state after the first <paramref name="length"/> bytes of log <paramref name="number"/>
    /// when they were remembered with XXH3-64 <paramref name="checksum"/>; null otherwise.
    /// </summary>
    public XxHash3? TryResume(long number, long length, ulong checksum)
    {
        lock (_lock)
            return _byLog.TryGetValue(number, out var known) && known.Length == length && known.Checksum == checksum ? known.State.Clone() : null;
    }

    /// <summary>Remembers the state after the first <paramref name="length"/> bytes of log <paramref name="number"/> (copied: the caller keeps its own).</summary>
    public void Remember(long number, long length, XxHash3 state)
    {
        var copy = state.Clone();
        lock (_lock) _byLog[number] = (length, copy.GetCurrentHashAsUInt64(), copy);
    }

    /// <summary>Forgets every log not in <paramref name="live"/> (retired logs never come back).</summary>
    public void KeepOnly(IReadOnlyCollection<long> live)
    {
        lock (_lock)
            foreach (long number in _byLog.Keys.Where(n => !live.Contains(n)).ToList()) _byLog.Remove(number);
    }

    /// <summary>How many logs are remembered (tests).</summary>
    public int Count
    {
        get { lock (_lock) return _byLog.Count; }
    }
}
