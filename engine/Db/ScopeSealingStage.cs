using System.Buffers;
using LatticeKV.Keys;

namespace LatticeKV.Db;

/// <summary>
/// Stage 1: seals the values of scoped column families under their scope keys
/// (<see cref="Crypto.ScopeCipher"/>), in a copy of the batch. Batches touching no scoped family
/// pass through untouched, at the cost of one look at their family ids.
/// </summary>
internal sealed class ScopeSealingStage(IWriteHost host, TimeProvider clock) : IWriteStage
{
    public WriteBatch Prepare(WriteBatch batch, ref ICommitCheck? check)
    {
        var families = host.ColumnFamilies;
        bool scoped = false;
        foreach (uint id in batch.ColumnFamilyIds)
            if (families.TryGetValue(id, out var cfd) && cfd.Scopes is not null) scoped = true;
        if (!scoped) return batch;

        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var sealedBatch = new WriteBatch();
        var reader = new WriteBatchReader(batch.Rep);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            while (reader.MoveNext())
            {
                var cfd = families[reader.ColumnFamilyId];
                if (reader.Kind != ValueKind.Value || cfd.Scopes is not { } scopes)
                {
                    sealedBatch.AddChecked(reader.Kind, reader.ColumnFamilyId, reader.Key, reader.Value);
                    continue;
                }
                var selector = cfd.Options.EncryptionScope
                    ?? throw new InvalidArgumentException($"Column family '{cfd.Name}' has scoped values and was opened without its ColumnFamilyOptions.EncryptionScope: it can be read, not written.", "EncryptionScope");
                var scope = selector(reader.Key);
                int length = Crypto.ScopeCipher.StoredLength(reader.Value.Length, !scope.IsEmpty);
                if (scratch.Length < length)
                {
                    ArrayPool<byte>.Shared.Return(scratch, clearArray: true);
                    scratch = ArrayPool<byte>.Shared.Rent(length);
                }
                scopes.Seal(scope, reader.Key, reader.Value, scratch, now);
                sealedBatch.AddChecked(ValueKind.Value, reader.ColumnFamilyId, reader.Key, scratch.AsSpan(0, length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch, clearArray: true);
        }
        return sealedBatch;
    }
}
