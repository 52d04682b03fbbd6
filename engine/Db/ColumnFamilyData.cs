using LatticeKV.Compaction;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Memtable;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// The live state of one column family: its memtables and super version on top of its
/// MANIFEST state. Memtable switching and the immutable list are guarded by the database
/// mutex; only the group-commit leader inserts into <see cref="Mem"/>.
/// </summary>
internal sealed class ColumnFamilyData
{
    private SuperVersion _superVersion;

    public ColumnFamilyData(ColumnFamilyState state, ColumnFamilyOptions options, long writeBufferSize, InternalKeyComparator cmp, TimeProvider clock, long logNumber)
    {
        State = state;
        Options = options;
        WriteBufferSize = options.WriteBufferSize ?? writeBufferSize;
        Comparator = cmp;
        Policy = new ValuePolicy(options.Ttl, options.CompactionFilter, clock, mergeOperator: options.MergeOperator);
        BuilderOptions = new TableBuilderOptions(cmp, options.BlockSize, 16, options.Compression, options.BloomBitsPerKey, state.Id, 0, state.Name,
            LargeValueThreshold: options.LargeValueCompressionThreshold, ZstdLevel: options.LargeValueCompressionLevel);
        Mem = NewMemTable(logNumber);
        _superVersion = new SuperVersion(Mem, [], state.Current);
    }

    public uint Id => State.Id;

    public string Name => State.Name;

    public ColumnFamilyState State { get; }

    public ColumnFamilyOptions Options { get; }

    public long WriteBufferSize { get; }

    public InternalKeyComparator Comparator { get; }

    public ValuePolicy Policy { get; private set; }

    /// <summary>The family's scope keys when its values are scoped (<see cref="ColumnFamilyOptions.EncryptionScope"/>); set at open, before any read or write.</summary>
    public Crypto.ScopeCipher? Scopes => Policy.Scopes;

    public void SetScopes(Crypto.ScopeCipher scopes)
    {
        Policy = new ValuePolicy(Options.Ttl, Options.CompactionFilter, Policy.Clock, scopes, Options.MergeOperator);
        // Scoped values reach tables sealed: ciphertext does not compress, so zstd would only cost time.
        BuilderOptions = BuilderOptions with { LargeValueThreshold = 0 };
    }

    /// <summary>
    /// Sets the merge operator of a family opened without one (<c>LatticeDb.AttachMergeOperator</c>):
    /// reads, flushes and compactions pick up the new policy from here on.
    /// </summary>
    public void AttachMergeOperator(IMergeOperator op)
    {
        Options.MergeOperator = op;
        Policy = new ValuePolicy(Options.Ttl, Options.CompactionFilter, Policy.Clock, Policy.Scopes, op);
    }

    /// <summary>How flushes and compactions write this family's tables; jobs take a copy when they start. Changed under the database mutex.</summary>
    public TableBuilderOptions BuilderOptions { get; private set; }

    /// <summary>Seals this family's new tables under <paramref name="sealing"/> (null: plaintext). Caller holds the database mutex.</summary>
    public void SetSealing(Crypto.TableSealing? sealing) => BuilderOptions = BuilderOptions with { Sealing = sealing };

    /// <summary>The registry key new tables should be sealed with (0: plaintext); older files are rewritten toward it.</summary>
    public uint DesiredKeyId => BuilderOptions.Sealing?.Key.Id ?? 0;

    /// <summary>Writes up to this sequence were shredded: a log replay must not bring them back.</summary>
    public ulong ShreddedThrough { get; set; }

    /// <summary>The memtable receiving writes. Guarded by the database mutex (switch); written by the leader.</summary>
    public MemTable Mem { get; private set; }

    /// <summary>Immutable memtables waiting for flush, oldest first. Guarded by the database mutex.</summary>
    public List<MemTable> Imm { get; } = [];

    /// <summary>How many of the oldest <see cref="Imm"/> a flush is writing now. Guarded by the database mutex.</summary>
    public int ImmBeingFlushed { get; set; }

    public bool Dropped { get; set; }

    /// <summary>The handle returned to users (one per column family).</summary>
    public ColumnFamilyHandle? Handle { get; set; }

    // Entries the last full memtable held: the next one sizes its hash index for as many.
    private int _lastMemTableEntries;

    /// <summary>
    /// Bytes an entry is assumed to take in a first memtable, whose hash index has no full one
    /// before it to be sized by: a guess of small entries, so the index grows at most a few
    /// times (each table it outgrows counts against the write buffer until the memtable is
    /// sealed), while one of large entries leaves a table not much larger than it needs.
    /// </summary>
    private const int FirstMemTableBytesPerEntry = 256;

    /// <summary>
    /// At most this many entries for that guess (a table of 6 MiB): a very large write buffer
    /// (readmemtable's 4 GiB) would otherwise start with a table of hundreds of megabytes whose
    /// pages the first keys, hashed across it, all touch; beyond it the index grows as it fills.
    /// </summary>
    private const int FirstMemTableMaxExpectedEntries = 1 << 19;

    public MemTable NewMemTable(long logNumber)
    {
        // An eighth of the write buffer, at most 8 MiB: few chunks to map, and a large write
        // buffer's chunks whole multiples of a huge page.
        int chunk = (int)Math.Clamp(WriteBufferSize / 8, 64 * 1024, 8 << 20);
        int expected = _lastMemTableEntries > 0 ? _lastMemTableEntries : (int)Math.Min(FirstMemTableMaxExpectedEntries, WriteBufferSize / FirstMemTableBytesPerEntry);
        return new MemTable(Comparator, chunk, logNumber, expected);
    }

    /// <summary>Moves the full memtable to the immutable list. Caller holds the database mutex.</summary>
    public MemTable SwitchMemTable(long newLogNumber)
    {
        var old = Mem;
        _lastMemTableEntries = old.EntryCount;
        old.Seal();
        Imm.Add(old);
        Mem = NewMemTable(newLogNumber);
        InstallSuperVersion();
        return old;
    }

    /// <summary>Drops every memtable unflushed (a shredded family). Caller holds the database mutex and write leadership, with no flush running.</summary>
    public void DiscardMemTables(long logNumber)
    {
        Imm.Clear();
        Mem = NewMemTable(logNumber);
        InstallSuperVersion();
    }

    /// <summary>
    /// Starts an empty memtable after a recovery flush (recovery is single-threaded, so the
    /// mutex is not needed). The super version takes it, and lets go of the flushed one, whose
    /// memory is freed.
    /// </summary>
    public void ResetMemTableAfterRecoveryFlush(long logNumber)
    {
        Mem = NewMemTable(logNumber);
        InstallSuperVersion();
    }

    /// <summary>The WAL number this column family still needs: that of its oldest unflushed memtable.</summary>
    public long OldestNeededLog(long currentLog)
    {
        if (Imm.Count > 0) return Imm[0].FirstLogNumber;
        return Mem.IsEmpty ? currentLog : Mem.FirstLogNumber;
    }

    public SuperVersion AcquireSuperVersion()
    {
        while (true)
        {
            var sv = Volatile.Read(ref _superVersion);
            if (sv.TryAcquire()) return sv;
        }
    }

    public SuperVersion CurrentSuperVersion => Volatile.Read(ref _superVersion);

    /// <summary>Publishes a new super version from the current parts. Caller holds the database mutex.</summary>
    public void InstallSuperVersion()
    {
        var imm = new MemTable[Imm.Count];
        for (int i = 0; i < imm.Length; i++) imm[i] = Imm[Imm.Count - 1 - i];
        var next = new SuperVersion(Mem, imm, State.Current);
        var old = Interlocked.Exchange(ref _superVersion, next);
        old.Release();
    }

    /// <summary>Drops the column family's own reference at close or drop.</summary>
    public void ReleaseSuperVersion() => Volatile.Read(ref _superVersion).Release();
}
