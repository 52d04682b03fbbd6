using System.Buffers;
using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Memtable;
using LatticeKV.Sst;

namespace LatticeKV;

// Merge operators: writing operands, and point reads of keys whose newest entry is one.
public sealed partial class LatticeDb
{
    /// <summary>
    /// Adds <paramref name="operand"/> to <paramref name="key"/> of the default column family:
    /// reads return the family's <see cref="ColumnFamilyOptions.MergeOperator"/> applied to the
    /// older value and every operand since, oldest first. Throws
    /// <see cref="InvalidArgumentException"/> when the family has no operator or the operator
    /// refuses the operand.
    /// </summary>
    public void Merge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand, WriteOptions? options = null)
        => Merge(DefaultColumnFamily, key, operand, options);

    /// <summary>Adds <paramref name="operand"/> to <paramref name="key"/> of <paramref name="columnFamily"/> (see <see cref="Merge(ReadOnlySpan{byte}, ReadOnlySpan{byte}, WriteOptions?)"/>).</summary>
    public void Merge(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand, WriteOptions? options = null)
    {
        CheckHandle(columnFamily);
        var batch = RentBatch();
        try
        {
            batch.Merge(columnFamily, key, operand);
            WriteTimed(batch, options, OperationKind.Merge, columnFamily.Data, key);
        }
        finally
        {
            ReturnBatch(batch);
        }
    }

    /// <summary>
    /// Gives <paramref name="columnFamily"/> the merge operator <paramref name="op"/> after open
    /// (subsystems that own a family and its operator, such as the ledger, whose users do not list
    /// it in <see cref="DbOptions.ColumnFamilyOptions"/>). Refused when the family was created with
    /// an operator of another name; a no-op when it already has one. Flushes and compactions that
    /// started before keep operands apart, as they do without an operator.
    /// </summary>
    internal void AttachMergeOperator(ColumnFamilyHandle columnFamily, IMergeOperator op)
    {
        CheckHandle(columnFamily);
        var cfd = columnFamily.Data;
        if (cfd.Options.MergeOperatorName is { } name && name != op.Name)
            throw new InvalidArgumentException($"Column family '{cfd.Name}' was created with merge operator '{name}', not '{op.Name}'.", nameof(op));
        lock (_columnFamilyLock)
        {
            if (cfd.Policy.MergeOperator is not null) return;
            _versions.MergesEnabled = true;
            cfd.AttachMergeOperator(op);
        }
    }

    /// <summary>
    /// The family's stored merge operator name is kept when this open gives none (its operands
    /// then read as a <see cref="MergeException"/>); an operator of another name is refused.
    /// </summary>
    private ColumnFamilyOptions KeepMergeOperator(ColumnFamilyOptions options, ColumnFamilyState state)
    {
        if (options.MergeOperator is not null) _versions.MergesEnabled = true;
        if (state.Options is not { } stored) return options;
        string? name;
        try { name = ColumnFamilyOptionsCodec.Decode(stored).StoredMergeOperator; }
        catch (CorruptionException ex) { throw ex.At(FileNames.Manifest(_path, _versions.ManifestFileNumber)); }
        if (name is null) return options;
        if (options.MergeOperator is { } op && op.Name != name)
            throw new InvalidArgumentException($"Column family '{state.Name}' was created with merge operator '{name}' and cannot be opened with '{op.Name}': " +
                "its stored operands would be combined by another rule.", nameof(ColumnFamilyOptions.MergeOperator));
        options.StoredMergeOperator = name;
        if (_options.OpenWithBuiltInMergeOperators) options.MergeOperator ??= MergeOperators.ByName(name);
        _versions.MergesEnabled = true;
        return options;
    }

    /// <summary>The format version an edit giving a family <paramref name="options"/> records (null: no change).</summary>
    private uint? FeatureFormatVersionFor(string name, ColumnFamilyOptions options)
    {
        bool integrity = NoteIntegrityFeature(name, options);
        if (options.MergeOperator is null && !options.Replicated && !integrity) return null;
        if (options.MergeOperator is not null) _versions.MergesEnabled = true;
        if (options.Replicated) _versions.ReplicationEnabled = true;
        return _versions.WrittenFormatVersion;
    }

    /// <summary>
    /// A family with a validator, or the hidden family of foreign keys or schema versions, moves
    /// the database to <see cref="VersionSet.IntegrityFormatVersion"/> (an older build would write
    /// without enforcing them); true when <paramref name="name"/> or <paramref name="options"/> does.
    /// </summary>
    private bool NoteIntegrityFeature(string name, ColumnFamilyOptions options)
    {
        if (options.ValidatorDescription is null && name != Integrity.ForeignKeyFamilies.CatalogName && name != Migrations.SchemaRecords.FamilyName) return false;
        _versions.IntegrityEnabled = true;
        return true;
    }

    // Operands and merge results of point reads, per thread: a Get allocates nothing for them
    // once a thread has read one merged key.
    [ThreadStatic] private static MergeOperandList? t_operands;
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_mergeOutput;

    /// <summary>
    /// A point read whose newest entry is a merge operand: walks down the key's history, newest
    /// first, until a value, a deletion or nothing, then merges (FORMAT.md §5). In a memtable the
    /// walk follows the key's chain of versions; in the tables it looks up again below the last
    /// operand.
    /// </summary>
    private bool GetMerged<TState>(SuperVersion sv, ColumnFamilyData cfd, ReadOnlySpan<byte> key, ulong snapshot, bool fillCache,
        ref TState state, ValueReader<TState> reader) where TState : allows ref struct
    {
        var op = cfd.Policy.MergeOperator ?? throw MergeFailure.NoOperator(cfd, key);
        var operands = t_operands ??= new MergeOperandList();
        var output = t_mergeOutput ??= new ArrayBufferWriter<byte>();
        operands.Clear();
        ulong at = snapshot, maxCovering = 0;
        bool done = WalkMemTable(sv.Mem, cfd, op, key, ref at, ref maxCovering, operands, output);
        for (int i = 0; !done && i < sv.Imm.Length; i++) done = WalkMemTable(sv.Imm[i], cfd, op, key, ref at, ref maxCovering, operands, output);
        while (!done) done = StepInVersion(sv.Version, cfd, op, key, ref at, maxCovering, fillCache, operands, output);
        if (!cfd.Policy.IsNoop && cfd.Policy.IsDead(ValueKind.Value, key, output.WrittenSpan)) return false;
        reader(output.WrittenSpan, ref state);
        return true;
    }

    /// <summary>Takes the key's versions in <paramref name="mem"/> at or below <paramref name="at"/>; true when the walk ended (and merged).</summary>
    private static bool WalkMemTable(MemTable mem, ColumnFamilyData cfd, IMergeOperator op, ReadOnlySpan<byte> key, ref ulong at, ref ulong maxCovering,
        MergeOperandList operands, ArrayBufferWriter<byte> output)
    {
        NoteCovering(mem, key, at, ref maxCovering);
        if (!mem.TryGet(key, at, out var kind, out ulong seq, out var value, out long position)) return false;
        do
        {
            var found = kind == ValueKind.Deletion || seq < maxCovering ? LookupState.Deleted : LookupState.Found;
            if (Absorb(cfd, op, key, found, kind, seq, value, ref at, operands, output)) return true;
        }
        while (mem.TryGetOlder(position, out kind, out seq, out value, out position));
        return false;
    }

    /// <summary>Takes the key's newest version in the tables at or below <paramref name="at"/>; true when the walk ended (and merged).</summary>
    private bool StepInVersion(LsmVersion version, ColumnFamilyData cfd, IMergeOperator op, ReadOnlySpan<byte> key, ref ulong at, ulong maxCovering, bool fillCache,
        MergeOperandList operands, ArrayBufferWriter<byte> output)
    {
        Block? block = null;
        try
        {
            var found = FindInVersion(version, key, at, fillCache, maxCovering, out ulong trailer, out block, out int offset, out int length);
            var stored = found == LookupState.Found ? block!.Data.AsSpan(offset, length) : default;
            return Absorb(cfd, op, key, found, (ValueKind)(byte)trailer, trailer >> 8, stored, ref at, operands, output);
        }
        finally
        {
            block?.Unpin();
        }
    }

    private static bool Absorb(ColumnFamilyData cfd, IMergeOperator op, ReadOnlySpan<byte> key, LookupState found, ValueKind kind, ulong seq,
        ReadOnlySpan<byte> stored, ref ulong at, MergeOperandList operands, ArrayBufferWriter<byte> output)
    {
        bool hasBase = false;
        ReadOnlySpan<byte> baseValue = default;
        if (found == LookupState.Found && kind == ValueKind.Merge)
        {
            operands.Add(stored, seq);
            // Sequence 0 is the oldest there is: nothing can lie under it.
            if (seq > 0)
            {
                at = seq - 1;
                return false;
            }
        }
        else if (found == LookupState.Found && (cfd.Policy.IsNoop || !cfd.Policy.IsDead(kind, key, stored)))
        {
            hasBase = true;
            baseValue = ValuePolicy.UserValue(kind, stored);
        }
        if (!MergeRunner.TryFullMerge(op, key, baseValue, hasBase, operands.View(newestFirst: true), output, out var error))
            throw MergeFailure.Failed(cfd, key, error!);
        return true;
    }
}
