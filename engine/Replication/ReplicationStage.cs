using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Db;
using LatticeKV.Keys;

namespace LatticeKV.Replication;

/// <summary>
/// Stage 1 of every write (see <see cref="WritePath"/>): a batch touching a replicated family is
/// copied with, after each of its operations on such a family, a change record and the key's
/// new version record, so the data, its change and its version are one log record. Their
/// positions and clock readings are left for the leader to stamp (<see cref="ChangeStamp"/>).
/// A batch that already writes the change log (sync applying remote changes, truncation) brings
/// its own records and passes unchanged.
/// </summary>
internal sealed class ReplicationStage(ReplicationLog log) : IWriteStage
{
    // A change's key with the family id in front must still be a valid key.
    public const int MaxKeySize = WriteBatch.MaxKeySize - VersionKeyPrefix;
    private const int VersionKeyPrefix = 4;

    /// <summary>A change record's key until the leader stamps its position.</summary>
    public static readonly byte[] PositionPlaceholder = new byte[ChangeRecord.PositionSize];

    [ThreadStatic] private static ByteWriter? t_record;
    [ThreadStatic] private static ByteWriter? t_versionKey;
    [ThreadStatic] private static byte[]? t_version;

    public WriteBatch Prepare(WriteBatch batch, ref ICommitCheck? check)
    {
        if (log.LocalWrites.MustWait && !batch.FromPeer) log.LocalWrites.Wait();
        var replicated = log.ReplicatedFamilies;
        if (replicated.Count == 0) return batch;
        bool touched = false;
        foreach (uint id in batch.ColumnFamilyIds)
        {
            if (id == log.ChangesId) return batch;
            if (replicated.Contains(id)) touched = true;
        }
        if (!touched) return batch;

        var output = new WriteBatch(CopyCapacity(batch));
        var record = t_record ??= new ByteWriter(256);
        var versionKey = t_versionKey ??= new ByteWriter(64);
        var version = t_version ??= new byte[VersionRecord.Size];
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            output.AddChecked(reader.Kind, reader.ColumnFamilyId, reader.Key, reader.Value);
            if (!replicated.Contains(reader.ColumnFamilyId)) continue;
            var operation = OperationOf(reader.Kind, reader.ColumnFamilyId);
            if (operation == ChangeOperation.Merge && log.Db.FindFamily(reader.ColumnFamilyId)?.Data.Options.ConflictResolver is { Kind: ConflictResolverKind.Merge or ConflictResolverKind.Custom } combining)
                throw new InvalidArgumentException($"Column family '{log.NameOf(reader.ColumnFamilyId)}' settles conflicts with '{combining.Name}', which combines concurrent values: merge operands are refused there " +
                    "(a combined value could not say which operands it holds); use a family with ConflictResolver.LastWriterWins or KeepBoth for merges.", nameof(batch));
            if (reader.Key.Length > MaxKeySize)
                throw new InvalidArgumentException($"Keys of replicated column family '{log.NameOf(reader.ColumnFamilyId)}' are limited to {MaxKeySize} bytes.", "key");
            AppendLocalChange(output, log, operation, reader.ColumnFamilyId, reader.Key, reader.Value, record, versionKey, version);
        }
        return output;
    }

    // Per operation the copy adds a change record (the key and value again, a head, a position)
    // and a version record (the key again, a fixed-size value); an over-guess for batches that
    // also write other families costs only memory the batch frees with itself.
    private const int AddedPerOperation = 2 * ChangeHeader.Size + VersionRecord.Size + ChangeRecord.PositionSize + 24;

    /// <summary>Bytes the rewritten copy of <paramref name="batch"/> will need, about: its operations twice, plus the records' fixed parts.</summary>
    private static int CopyCapacity(WriteBatch batch) => (int)Math.Min(int.MaxValue, 2 * batch.DataSize + (long)batch.Count * AddedPerOperation);

    /// <summary>
    /// Adds a local change's record and the key's version record after its data operation, both
    /// left for the leader to stamp (also used by the remote apply for the writes its integrity
    /// rules add, which are this replica's own changes).
    /// </summary>
    public static void AppendLocalChange(WriteBatch output, ReplicationLog log, ChangeOperation operation, uint columnFamilyId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        ByteWriter record, ByteWriter versionKey, byte[] version)
    {
        record.Clear();
        ChangeRecord.Encode(record, operation, ChangeHeader.LocalFlag, 0, log.ReplicaIdBytes, 0, columnFamilyId, key, value);
        output.AddChecked(ValueKind.Value, log.ChangesId, PositionPlaceholder, record.WrittenSpan);
        VersionKey(versionKey, columnFamilyId, key);
        record.WrittenSpan[..ChangeHeader.Size].CopyTo(version);
        version.AsSpan(ChangeHeader.Size).Clear(); // the base: stamped by the leader
        output.AddChecked(ValueKind.Value, log.VersionsId, versionKey.WrittenSpan, version);
    }

    /// <summary>The key of a version record: the family id (4 bytes, big-endian), then the key.</summary>
    public static void VersionKey(ByteWriter dest, uint columnFamilyId, ReadOnlySpan<byte> key)
    {
        dest.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(dest.GetSpan(VersionKeyPrefix), columnFamilyId);
        dest.Advance(VersionKeyPrefix);
        dest.Write(key);
    }

    private ChangeOperation OperationOf(ValueKind kind, uint columnFamilyId) => kind switch
    {
        ValueKind.Value => ChangeOperation.Put,
        ValueKind.Deletion => ChangeOperation.Delete,
        ValueKind.Merge => ChangeOperation.Merge,
        // Another replica could not tell which of its keys the range held here; deleting them one by one says so.
        ValueKind.RangeDeletion => throw new InvalidArgumentException(
            $"Column family '{log.NameOf(columnFamilyId)}' is replicated: range deletions are refused (each deleted key must carry its own change); delete the keys one by one.", "batch"),
        _ => throw new InvalidArgumentException($"Operations of kind {kind} are not supported on a replicated column family.", "batch"),
    };
}
