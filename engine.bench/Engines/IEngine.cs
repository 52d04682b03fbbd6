namespace LatticeKV.Bench.Engines;

/// <summary>
/// What the comparative runner needs from a storage engine. Adapters configure their engine for
/// the same durability: a write-ahead log on, acknowledged writes durable against a process
/// crash, and fsync per write only when <c>sync</c> is asked for.
/// </summary>
public interface IEngine : IDisposable
{
    string Name { get; }

    /// <summary>A one-line description of the settings, for the report.</summary>
    string Settings { get; }

    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync);

    /// <summary>Writes several pairs atomically.</summary>
    void PutBatch(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool sync);

    void Delete(ReadOnlySpan<byte> key, bool sync);

    /// <summary>
    /// Copies the value into <paramref name="buffer"/>; returns its length, or -1 when absent.
    /// Reads the way <see cref="EngineSettings.Reads"/> chose for the run.
    /// </summary>
    int Get(ReadOnlySpan<byte> key, Span<byte> buffer);

    /// <summary>Seeks to <paramref name="key"/> and reads up to <paramref name="count"/> entries; returns how many.</summary>
    int Scan(ReadOnlySpan<byte> key, int count);

    /// <summary>Makes all data durable in the engine's sorted files (flush memtables).</summary>
    void Flush();

    /// <summary>Compacts the whole key space.</summary>
    void CompactAll();

    /// <summary>Waits until background compaction has caught up (LatticeKV: level 0 drained too, when its idle drain is on, as by default).</summary>
    void WaitForBackgroundWork();

    /// <summary>
    /// The files per level of an LSM tree ("L0 3, L1 12"), or empty for other engines: the
    /// shape a read workload meets, which differs between runs when background compaction races
    /// the fill.
    /// </summary>
    string Shape => "";

    /// <summary>
    /// Counters of background work beside flushes and compactions (LatticeKV's automatic backups
    /// and log archiving), reported per workload as their change over it; empty for other engines.
    /// </summary>
    IReadOnlyDictionary<string, long> ActivityCounters => NoActivity;

    /// <summary>
    /// Runs, during the warm-up, the engine's own background work that the warm-up's writes and
    /// reads alone run too rarely for the JIT to optimize (LatticeKV's automatic backups and log
    /// archiving: a few backups a second would otherwise be compiled during the measured workload,
    /// which a long-running process pays once). Nothing for other engines.
    /// </summary>
    void WarmUpBackgroundWork() { }

    static readonly IReadOnlyDictionary<string, long> NoActivity = new Dictionary<string, long>();
}
