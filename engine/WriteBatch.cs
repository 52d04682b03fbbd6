using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV;

/// <summary>
/// A group of puts, deletes and merges, possibly across column families, applied atomically by
/// <see cref="LatticeDb.Write"/>: after a crash either every operation of the batch is present
/// or none is. Operations apply in the order added (a later put of a key wins). Not
/// thread-safe; reusable after <see cref="Clear"/>.
/// </summary>
/// <example>
/// <code>
/// var batch = new WriteBatch();
/// batch.Put("account/alice"u8, "90"u8);
/// batch.Put("account/bob"u8, "110"u8);
/// db.Write(batch, new WriteOptions { Sync = true });
/// </code>
/// </example>
public sealed class WriteBatch
{
    /// <summary>Largest key accepted: 64 KiB.</summary>
    public const int MaxKeySize = 64 * 1024;

    /// <summary>Largest value accepted: 64 MiB.</summary>
    public const int MaxValueSize = 64 * 1024 * 1024;

    /// <summary>Largest encoded batch accepted: 1 GiB.</summary>
    public const int MaxBatchSize = 1024 * 1024 * 1024;

    internal const int HeaderSize = 20;

    /// <summary>Header of a logged batch without a commit time: sequence and count only (FORMAT.md §3).</summary>
    internal const int UntimedHeaderSize = 12;

    /// <summary>Set in the logged count when the header carries no commit time.</summary>
    internal const uint UntimedFlag = 0x8000_0000;
    internal const byte ColumnFamilyFlag = 0x80;

    private readonly ByteWriter _rep;
    private readonly List<uint> _columnFamilies = [];
    private int _count;

    /// <summary>Creates an empty batch.</summary>
    public WriteBatch()
        : this(64)
    {
    }

    /// <summary>
    /// An empty batch whose buffer starts at <paramref name="capacity"/> bytes: a rewrite that
    /// knows roughly how big its copy gets (stage 1 of the write path, the remote apply) does not
    /// copy it again each time the buffer doubles.
    /// </summary>
    internal WriteBatch(int capacity)
    {
        _rep = new ByteWriter(Math.Clamp(capacity, HeaderSize, MaxInitialCapacity));
        ResetHeader();
    }

    // A guess, not a limit: past this the buffer grows as it fills.
    private const int MaxInitialCapacity = 16 << 20;

    /// <summary>Number of operations in the batch.</summary>
    public int Count => _count;

    /// <summary>Size in bytes of the batch's encoded form (what the write-ahead log stores).</summary>
    public long DataSize => _rep.Length;

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in the default column family.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Add(ValueKind.Value, 0, key, value, true);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in a column family.</summary>
    public void Put(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        => Add(ValueKind.Value, IdOf(columnFamily), key, value, true);

    /// <summary>Removes <paramref name="key"/> from the default column family (no error if absent).</summary>
    public void Delete(ReadOnlySpan<byte> key) => Add(ValueKind.Deletion, 0, key, default, false);

    /// <summary>Removes <paramref name="key"/> from a column family (no error if absent).</summary>
    public void Delete(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key) => Add(ValueKind.Deletion, IdOf(columnFamily), key, default, false);

    /// <summary>
    /// Adds a merge operand to <paramref name="key"/> of the default column family (see
    /// <see cref="LatticeDb.Merge(ReadOnlySpan{byte}, ReadOnlySpan{byte}, WriteOptions?)"/>); the
    /// family's operator is checked when the batch is written.
    /// </summary>
    public void Merge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand) => AddMerge(0, key, operand);

    /// <summary>Adds a merge operand to <paramref name="key"/> of a column family.</summary>
    public void Merge(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand) => AddMerge(IdOf(columnFamily), key, operand);

    /// <summary>Removes every key in [<paramref name="begin"/>, <paramref name="end"/>) of the default column family.</summary>
    public void DeleteRange(ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end) => AddRange(0, begin, end);

    /// <summary>Removes every key in [<paramref name="begin"/>, <paramref name="end"/>) of a column family.</summary>
    public void DeleteRange(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end)
        => AddRange(IdOf(columnFamily), begin, end);

    /// <summary>Removes every operation.</summary>
    public void Clear()
    {
        _rep.Clear();
        _columnFamilies.Clear();
        _count = 0;
        ResetHeader();
    }

    internal ReadOnlySpan<byte> Rep => _rep.WrittenSpan;

    /// <summary>The encoded batch, writable: for the leader's stamps (stage 4), on batches a stage made.</summary>
    internal Span<byte> MutableRep => _rep.WrittenSpanMutable;

    /// <summary>The families the batch writes to, each once; a span so that the write path's stages walk it without boxing an enumerator per batch.</summary>
    internal ReadOnlySpan<uint> ColumnFamilyIds => CollectionsMarshal.AsSpan(_columnFamilies);

    internal bool HasRangeDeletions { get; private set; }

    /// <summary>The batch holds merge operands (checked against their families' operators before it is written).</summary>
    internal bool HasMerges { get; private set; }

    /// <summary>
    /// Written by the remote apply: a peer's changes, already judged by the integrity rules
    /// (validators, foreign keys) with sync's own outcomes (quarantine, cascades); the stages that
    /// enforce those rules on local writes let it pass.
    /// </summary>
    internal bool FromPeer { get; set; }

    /// <summary>Stamps the sequence number of the first operation and the commit time into the header.</summary>
    internal void SetHeader(ulong sequence, long commitTimeMs)
    {
        var span = _rep.WrittenSpanMutable;
        BinaryPrimitives.WriteUInt64LittleEndian(span, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(span[12..], commitTimeMs);
    }

    /// <summary>The operations, without the header.</summary>
    internal ReadOnlySpan<byte> Body => _rep.WrittenSpan[HeaderSize..];

    /// <summary>
    /// Writes the 12-byte header a batch is logged with when no operation needs its commit time
    /// (no column family it touches has a TTL): 8 bytes less per record than <see cref="Rep"/>'s.
    /// </summary>
    internal static void WriteUntimedHeader(Span<byte> dest, ulong sequence, int count)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[8..], (uint)count | UntimedFlag);
    }

    /// <summary>Appends another batch's operations (group commit merges followers into the leader's batch).</summary>
    internal void Append(WriteBatch other)
    {
        _rep.Write(other.Rep[HeaderSize..]);
        _count += other._count;
        BinaryPrimitives.WriteUInt32LittleEndian(_rep.WrittenSpanMutable[8..], (uint)_count);
        foreach (uint id in other._columnFamilies) NoteColumnFamily(id);
        HasRangeDeletions |= other.HasRangeDeletions;
        HasMerges |= other.HasMerges;
    }

    private static uint IdOf(ColumnFamilyHandle columnFamily)
    {
        ArgumentNullException.ThrowIfNull(columnFamily);
        return columnFamily.Id;
    }

    private void ResetHeader()
    {
        _rep.GetSpan(HeaderSize)[..HeaderSize].Clear();
        _rep.Advance(HeaderSize);
        HasRangeDeletions = false;
        HasMerges = false;
    }

    private void AddMerge(uint cf, ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand)
    {
        Add(ValueKind.Merge, cf, key, operand, true);
        HasMerges = true;
    }

    private void AddRange(uint cf, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end)
    {
        ValidateKey(begin, nameof(begin));
        ValidateKey(end, nameof(end));
        Add(ValueKind.RangeDeletion, cf, begin, end, true);
        HasRangeDeletions = true;
    }

    /// <summary>
    /// Appends an operation already checked by the batch it came from (stage 1 of the write path
    /// rewrites a batch, e.g. sealing values, whose envelope may exceed the user's value limit).
    /// </summary>
    internal void AddChecked(ValueKind kind, uint cf, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Add(kind, cf, key, value, kind != ValueKind.Deletion, checkValueSize: false);
        if (kind == ValueKind.RangeDeletion) HasRangeDeletions = true;
        if (kind == ValueKind.Merge) HasMerges = true;
    }

    private void Add(ValueKind kind, uint cf, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool hasValue, bool checkValueSize = true)
    {
        ValidateKey(key, nameof(key));
        if (checkValueSize && (kind is ValueKind.Value or ValueKind.Merge) && value.Length > MaxValueSize)
            throw new InvalidArgumentException($"Value of {value.Length} bytes exceeds the limit of {MaxValueSize} bytes.", nameof(value));
        long size = (long)_rep.Length + 1 + Varint.MaxLength32 + 2 * Varint.MaxLength32 + key.Length + value.Length;
        if (size > MaxBatchSize) throw new InvalidArgumentException($"Write batch would exceed {MaxBatchSize} bytes.", nameof(value));
        _rep.WriteByte((byte)((byte)kind | (cf != 0 ? ColumnFamilyFlag : 0)));
        if (cf != 0) _rep.WriteVarint(cf);
        _rep.WriteLengthPrefixed(key);
        if (hasValue) _rep.WriteLengthPrefixed(value);
        _count++;
        BinaryPrimitives.WriteUInt32LittleEndian(_rep.WrittenSpanMutable[8..], (uint)_count);
        NoteColumnFamily(cf);
    }

    private void NoteColumnFamily(uint cf)
    {
        if (!_columnFamilies.Contains(cf)) _columnFamilies.Add(cf);
    }

    internal static void ValidateKey(ReadOnlySpan<byte> key, string name)
    {
        if (key.IsEmpty) throw new InvalidArgumentException("Keys must not be empty.", name);
        if (key.Length > MaxKeySize) throw new InvalidArgumentException($"Key of {key.Length} bytes exceeds the limit of {MaxKeySize} bytes.", name);
    }
}
