using LatticeKV.Migrations;

namespace LatticeKV;

/// <summary>
/// What a migration step's apply function is given: read access to the old data (every family
/// holds it until the step commits) and, through <see cref="ForEach"/>, a writer for the new.
/// Used on the opening thread only, while <see cref="LatticeDb.Open"/> runs.
/// </summary>
public sealed class MigrationContext
{
    private readonly MigrationRunner _runner;
    private int _nextPass;

    internal MigrationContext(MigrationRunner runner, Migration step)
    {
        _runner = runner;
        Step = step;
    }

    /// <summary>The step being applied.</summary>
    public Migration Step { get; }

    /// <summary>Entries this step has processed and committed so far (resumed steps count what they did before the crash).</summary>
    public long EntriesDone => _runner.State.EntriesDone;

    /// <summary>The database being migrated (for built-in steps that create or drop indexes).</summary>
    internal LatticeDb Database => _runner.Db;

    /// <summary>The handle of column family <paramref name="name"/>; throws <see cref="ColumnFamilyNotFoundException"/> when absent.</summary>
    public ColumnFamilyHandle Family(string name) => _runner.Db.GetColumnFamily(name);

    /// <summary>True and the handle when column family <paramref name="name"/> exists.</summary>
    public bool TryGetFamily(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ColumnFamilyHandle? handle)
        => _runner.Db.TryGetColumnFamily(name, out handle);

    /// <summary>
    /// The family <paramref name="name"/>, created (empty) when absent: safe to call again when a
    /// resumed step repeats its apply function.
    /// </summary>
    public ColumnFamilyHandle CreateFamily(string name, ColumnFamilyOptions? options = null)
        => _runner.Db.TryGetColumnFamily(name, out var existing) ? existing : _runner.Db.CreateColumnFamily(name, options);

    /// <summary>The old value of <paramref name="key"/> in <paramref name="columnFamily"/>, or null.</summary>
    public byte[]? Get(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key) => _runner.Db.Get(columnFamily, key);

    /// <summary>An iterator over the old data of <paramref name="columnFamily"/>; dispose it when done.</summary>
    public LatticeIterator NewIterator(ColumnFamilyHandle columnFamily) => _runner.Db.NewIterator(columnFamily);

    /// <summary>
    /// Calls <paramref name="action"/> for every entry of <paramref name="source"/> in key order,
    /// in batches of <see cref="LatticeDb.MigrationBatchEntries"/> entries: each batch's output
    /// and the position reached are committed in one atomic write, so after a crash the pass
    /// resumes after the last committed entry and no entry's output is committed twice. An apply
    /// function may make several passes; on resume, passes that completed are skipped, so it must
    /// make them in the same order every time.
    /// </summary>
    public void ForEach(ColumnFamilyHandle source, MigrationEntryAction action)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(action);
        _runner.RunPass(source, _nextPass++, action);
    }
}
