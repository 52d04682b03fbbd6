using System.Buffers.Binary;

namespace LatticeKV.Migrations;

/// <summary>
/// The output of the running step, held in the hidden staging family until the step commits
/// (FORMAT.md §18.3): key = target family id (4 bytes big-endian, so one family's entries are
/// contiguous) then the user key; value = operation (1 byte: 1 put, 2 delete) then the value.
/// Persistent format: do not change.
/// </summary>
internal sealed class StagingArea(ColumnFamilyHandle family)
{
    private const byte PutOp = 1; // do not renumber
    private const byte DeleteOp = 2;

    public ColumnFamilyHandle Family { get; } = family;

    public void Stage(WriteBatch batch, ColumnFamilyHandle target, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool delete)
    {
        if (Indexing.IndexFamilies.IsHidden(target.Name))
            throw new InvalidArgumentException($"A migration cannot write to the database's own family '{target.Name}'.", nameof(target));
        var k = new byte[4 + key.Length];
        BinaryPrimitives.WriteUInt32BigEndian(k, target.Id);
        key.CopyTo(k.AsSpan(4));
        var v = new byte[1 + (delete ? 0 : value.Length)];
        v[0] = delete ? DeleteOp : PutOp;
        if (!delete) value.CopyTo(v.AsSpan(1));
        batch.Put(Family, k, v);
    }

    /// <summary>Adds the staged entry (<paramref name="stagedKey"/>, <paramref name="stagedValue"/>) to <paramref name="batch"/> as a write to its family.</summary>
    public static void Publish(LatticeDb db, WriteBatch batch, ReadOnlySpan<byte> stagedKey, ReadOnlySpan<byte> stagedValue)
    {
        if (stagedKey.Length < 4 || stagedValue.Length < 1 || stagedValue[0] is not (PutOp or DeleteOp))
            throw new CorruptionException("staged migration entry is malformed");
        uint id = BinaryPrimitives.ReadUInt32BigEndian(stagedKey);
        var target = db.FindFamily(id) ?? throw new InvalidArgumentException($"A migration staged writes to column family id {id}, which was dropped before the step committed.", "columnFamily");
        if (stagedValue[0] == PutOp) batch.Put(target, stagedKey[4..], stagedValue[1..]);
        else batch.Delete(target, stagedKey[4..]);
    }

    /// <summary>Removes every staged entry (one range tombstone over the whole key space of the family).</summary>
    public void Clear(WriteBatch batch) => batch.DeleteRange(Family, [0x00], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
}
