namespace LatticeKV;

/// <summary>
/// Settings of one column family. Block size, bloom bits, compression, write buffer size and
/// TTL are stored in the database and reapplied on open unless new options are given for the
/// column family (<see cref="DbOptions.ColumnFamilyOptions"/>); a compaction filter is code and
/// must be supplied on every open.
/// </summary>
public sealed class ColumnFamilyOptions
{
    /// <summary>Memtable size that triggers a flush; null uses <see cref="DbOptions.WriteBufferSize"/>.</summary>
    public long? WriteBufferSize { get; set; }

    /// <summary>Target size of uncompressed data blocks in tables. Default 4 KiB (<see cref="DefaultBlockSize"/>).</summary>
    public int BlockSize { get; set; } = DefaultBlockSize;

    /// <summary>The default <see cref="BlockSize"/>.</summary>
    public const int DefaultBlockSize = 4096;

    /// <summary>Bloom filter bits per key (0 disables filters). Default 10: about 1% false positives.</summary>
    public int BloomBitsPerKey { get; set; } = 10;

    /// <summary>Block compression. Default <see cref="CompressionType.Snappy"/>.</summary>
    public CompressionType Compression { get; set; } = CompressionType.Snappy;

    /// <summary>
    /// A data block holding a value of at least this many bytes is compressed with zstd
    /// (<see cref="CompressionType.Zstd"/>) instead of <see cref="Compression"/>: such a value
    /// fills its block, so the block's codec is the value's, and zstd stores it smaller than Snappy
    /// for a decompression paid once per block cache miss. 0 turns it off. Default 16 KiB (four
    /// default blocks: below that Snappy's speed matters more than the bytes saved). Values of a
    /// family with an <see cref="EncryptionScope"/> are sealed before they reach a table and do not
    /// compress: its blocks never use zstd for this reason. Stored in the database.
    /// </summary>
    public int LargeValueCompressionThreshold { get; set; } = DefaultLargeValueCompressionThreshold;

    /// <summary>The default of <see cref="LargeValueCompressionThreshold"/>.</summary>
    public const int DefaultLargeValueCompressionThreshold = 16 * 1024;

    /// <summary>Zstd level (1 to 22) of blocks written with <see cref="CompressionType.Zstd"/>. Default 3, zstd's own. Stored in the database.</summary>
    public int LargeValueCompressionLevel { get; set; } = 3;

    /// <summary>
    /// A value of at least this many bytes is stored apart from its key, in a blob file
    /// (<c>NNNNNN.blob</c>, key-value separation as in WiscKey), when a flush or compaction writes
    /// it: the table keeps a small reference, so later compactions move the reference and not the
    /// value. Reads, iterators, merges, TTL, compaction filters and snapshots see the value as
    /// written. 0 turns it off. Default 256 KiB: such a value already fills sixty-four default
    /// blocks, so rewriting it at every level costs far more than the extra read a lookup pays for
    /// it, while smaller values keep the locality of living next to their keys (a scan over them
    /// reads blocks in order, not a blob record per key). The first blob file moves the database to
    /// format 9 (FORMAT.md §21). An <see cref="Encrypted"/> family's blob files are sealed like its
    /// tables (§21.7; format 10), and an <see cref="EncryptionScope"/>'s values stay scope-sealed in
    /// them. Stored in the database.
    /// </summary>
    public int BlobValueThreshold { get; set; } = DefaultBlobValueThreshold;

    /// <summary>The default of <see cref="BlobValueThreshold"/>.</summary>
    public const int DefaultBlobValueThreshold = 256 * 1024;

    /// <summary>
    /// Blob garbage collection: when a blob file's share of bytes no table refers to (values
    /// overwritten or deleted, found by compaction) reaches this ratio, the next compaction of the
    /// tables that still refer to it copies its live values into a new blob file, so the old one
    /// can be deleted; fully dead files are deleted without it. Between 0 (exclusive) and 1;
    /// 1 turns the copying off. Default 0.5, a file at most twice its live bytes. Not stored: an
    /// open may change it.
    /// </summary>
    public double BlobGarbageCollectionRatio { get; set; } = 0.5;

    /// <summary>
    /// Entries older than this are never returned and are removed by compaction. The age is
    /// measured from the write's commit time (<see cref="DbOptions.Clock"/>). Null: no expiry.
    /// Values written while no TTL was set never expire.
    /// </summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>Hides and removes entries the filter rejects; see <see cref="LatticeKV.CompactionFilter"/>.</summary>
    public CompactionFilter? CompactionFilter { get; set; }

    /// <summary>
    /// Seal this family's tables with its own random data keys (AES-256-GCM per block), wrapped in
    /// the key registry under <see cref="DbOptions.Encryption"/>, which must be set. Turning it on
    /// (or off) for an existing family writes new files sealed (or plain) at once and rewrites the
    /// older ones in the background; <c>LatticeDb.CompactRange</c> finishes it.
    /// Stored in the database and reapplied on open: a family stored as encrypted stays encrypted
    /// unless this is explicitly set to false (options that merely leave it unset never decrypt it).
    /// </summary>
    public bool Encrypted
    {
        get => _encrypted ?? false;
        set => _encrypted = value;
    }

    private bool? _encrypted;

    /// <summary>Whether <see cref="Encrypted"/> was set (to either value) rather than left at its default.</summary>
    internal bool EncryptedIsExplicit => _encrypted.HasValue;

    /// <summary>
    /// Seals each value additionally under a key of its scope (for example the user id prefix of
    /// the key), so <c>LatticeDb.ShredScope</c> can destroy one scope's values everywhere while
    /// the family's other scopes stay readable. Requires <see cref="Encrypted"/>. Code, not stored:
    /// it must be given on every open of a family that was created with it, and can only be set
    /// on a new or empty family (its values are stored with a scope marker from the first write).
    /// </summary>
    public EncryptionScopeSelector? EncryptionScope { get; set; }

    /// <summary>The stored options said the family is scoped (set when decoding them).</summary>
    internal bool StoredScoped { get; set; }

    /// <summary>
    /// Combines the operands written with <c>LatticeDb.Merge</c> (see <see cref="IMergeOperator"/>
    /// and <see cref="MergeOperators"/>); without one, merges into the family are refused. Code:
    /// it must be given on every open. Its name is stored, and opening the family with an
    /// operator of another name fails; a family opened without it reads merged keys with a
    /// <see cref="MergeException"/>. Not available with <see cref="Ttl"/> or <see cref="EncryptionScope"/>.
    /// </summary>
    public IMergeOperator? MergeOperator { get; set; }

    /// <summary>The name of the merge operator the stored options record (kept when an open gives none).</summary>
    internal string? StoredMergeOperator { get; set; }

    /// <summary>The merge operator's name to store: the operator's, else the one stored before.</summary>
    internal string? MergeOperatorName => MergeOperator?.Name ?? StoredMergeOperator;

    /// <summary>
    /// Record every write to this family in the database's change log, in the same log record as
    /// the data (<c>LatticeDb.GetChanges</c>, <c>LatticeDb.WatchChangesAsync</c>). Set when the
    /// family is created (for the default family: when the database is); stored, and reapplied
    /// on every open. Turning it on for an existing family, or off for a replicated one, is
    /// refused: the log would miss changes. Range deletions are refused on a replicated family.
    /// </summary>
    public bool Replicated
    {
        get => _replicated ?? false;
        set => _replicated = value;
    }

    private bool? _replicated;

    /// <summary>
    /// How concurrent writes to one key from different replicas are settled when this family is
    /// synced (<see cref="LatticeKV.ConflictResolver"/>; null: <see cref="ConflictResolver.LastWriterWins"/>).
    /// Code, not stored: give the same rule on every open and on every replica.
    /// </summary>
    public ConflictResolver? ConflictResolver { get; set; }

    /// <summary>Whether <see cref="Replicated"/> was set (to either value) rather than left at its default.</summary>
    internal bool ReplicatedIsExplicit => _replicated.HasValue;

    /// <summary>
    /// Judges every value written to the family before its batch is queued (puts, and the values
    /// merges produce; not deletions); a refusal throws <see cref="ValidationException"/> and
    /// nothing of the batch or transaction is written. See <see cref="IValueValidator"/> and the
    /// built-ins in <see cref="ValueValidators"/>. Its description is stored with the family: an
    /// open that leaves this unset keeps the stored one (built-ins are rebuilt from it; a delegate
    /// or a class of your own must be given again, or the family refuses writes), an open that
    /// sets it replaces the stored one, and setting it to null removes it. Existing values are
    /// not checked: see <c>LatticeDb.ValidateExisting</c>.
    /// </summary>
    public IValueValidator? Validator
    {
        get => _validator;
        set
        {
            _validator = value;
            ValidatorIsExplicit = true;
        }
    }

    private IValueValidator? _validator;

    /// <summary>Whether <see cref="Validator"/> was set (to a validator or to null) rather than left alone.</summary>
    internal bool ValidatorIsExplicit { get; private set; }

    /// <summary>The description of the validator the stored options record (kept when an open leaves <see cref="Validator"/> unset).</summary>
    internal string? StoredValidator { get; set; }

    /// <summary>The validator rebuilt from <see cref="StoredValidator"/> at open.</summary>
    internal IValueValidator? RebuiltValidator { get; set; }

    /// <summary>The validator writes to the family are checked with: the one given, else the stored one.</summary>
    internal IValueValidator? EnforcedValidator => ValidatorIsExplicit ? _validator : RebuiltValidator;

    /// <summary>The validator's description to store (null: none).</summary>
    internal string? ValidatorDescription => ValidatorIsExplicit ? (_validator is null ? null : Integrity.ValidatorCodec.Describe(_validator)) : StoredValidator;

    /// <summary>A copy of these options.</summary>
    public ColumnFamilyOptions Clone() => (ColumnFamilyOptions)MemberwiseClone();

    internal void Validate(string name)
    {
        if (BlockSize is < 256 or > 64 * 1024 * 1024)
            throw new InvalidArgumentException($"BlockSize of column family '{name}' must be between 256 bytes and 64 MiB.", nameof(BlockSize));
        if (BloomBitsPerKey is < 0 or > 64)
            throw new InvalidArgumentException($"BloomBitsPerKey of column family '{name}' must be between 0 and 64.", nameof(BloomBitsPerKey));
        if (WriteBufferSize is { } w && w < 4096)
            throw new InvalidArgumentException($"WriteBufferSize of column family '{name}' must be at least 4096 bytes.", nameof(WriteBufferSize));
        if (Ttl is { } ttl && ttl <= TimeSpan.Zero)
            throw new InvalidArgumentException($"Ttl of column family '{name}' must be positive.", nameof(Ttl));
        if (EncryptionScope is not null && !Encrypted)
            throw new InvalidArgumentException($"EncryptionScope of column family '{name}' requires Encrypted.", nameof(EncryptionScope));
        if (MergeOperator is { } merge)
        {
            if (string.IsNullOrEmpty(merge.Name) || merge.Name.Contains('\n', StringComparison.Ordinal))
                throw new InvalidArgumentException($"MergeOperator of column family '{name}' needs a name without newlines.", nameof(MergeOperator));
            if (Ttl is not null)
                throw new InvalidArgumentException($"MergeOperator of column family '{name}' is not available with a Ttl.", nameof(MergeOperator));
            if (EncryptionScope is not null)
                throw new InvalidArgumentException($"MergeOperator of column family '{name}' is not available with an EncryptionScope.", nameof(MergeOperator));
        }
        if (ConflictResolver is { Kind: ConflictResolverKind.Merge } && MergeOperator is null)
            throw new InvalidArgumentException($"ConflictResolver.Merge of column family '{name}' needs a MergeOperator.", nameof(ConflictResolver));
        if (!Enum.IsDefined(Compression))
            throw new InvalidArgumentException($"Unknown compression {Compression}.", nameof(Compression));
        if (LargeValueCompressionThreshold < 0)
            throw new InvalidArgumentException($"LargeValueCompressionThreshold of column family '{name}' must be 0 (off) or positive.", nameof(LargeValueCompressionThreshold));
        if (BlobValueThreshold < 0)
            throw new InvalidArgumentException($"BlobValueThreshold of column family '{name}' must be 0 (off) or positive.", nameof(BlobValueThreshold));
        if (!(BlobGarbageCollectionRatio > 0 && BlobGarbageCollectionRatio <= 1))
            throw new InvalidArgumentException($"BlobGarbageCollectionRatio of column family '{name}' must be above 0 and at most 1.", nameof(BlobGarbageCollectionRatio));
        if (LargeValueCompressionLevel is < 1 or > 22)
            throw new InvalidArgumentException($"LargeValueCompressionLevel of column family '{name}' must be between 1 and 22.", nameof(LargeValueCompressionLevel));
    }
}
