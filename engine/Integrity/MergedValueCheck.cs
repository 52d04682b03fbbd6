using System.Buffers;
using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Indexing;
using LatticeKV.Keys;

namespace LatticeKV.Integrity;

/// <summary>
/// Stage 3 of a write merging into a validated family (see <see cref="ICommitCheck"/>): for each
/// key the batch merges into, the value readers would see after it (the value at the commit
/// point, then the batch's own puts, deletions and operands on that key, in order, combined by
/// the family's merge operator) must pass the family's validator. It runs with the write alone
/// in its group, so the value it reads is the one the operands apply to.
/// </summary>
internal sealed class MergedValueCheck(LatticeDb db, Dictionary<uint, ColumnFamilyData> families, WriteBatch batch) : ICommitCheck
{
    public void Check(ulong lastSequence)
    {
        var keys = MergedKeys();
        ApplyBatch(keys);
        var output = new ArrayBufferWriter<byte>();
        using var operands = new MergeOperandList();
        foreach (var (id, perKey) in keys)
        {
            var cfd = families[id];
            var op = cfd.Policy.MergeOperator!;
            foreach (var (key, state) in perKey)
            {
                if (state.Operands.Count == 0) continue; // a later put or deletion of the batch decides: puts were judged in stage 1
                byte[]? baseValue = state.BaseSet ? state.Base : db.Get(cfd.Handle!, key);
                operands.Clear();
                foreach (var operand in state.Operands) operands.Add(operand, 0);
                if (!MergeRunner.TryFullMerge(op, key, baseValue, baseValue is not null, operands.View(newestFirst: false), output, out var error))
                    throw FamilyValidation.Refused(cfd, key, $"the merge operator '{op.Name}' could not combine the operands ({error!.GetType().Name})");
                if (FamilyValidation.Rejection(cfd, key, output.WrittenSpan) is { } reason)
                    throw FamilyValidation.Refused(cfd, key, "the value the merge produces is refused: " + reason);
            }
        }
    }

    /// <summary>The keys of validated families the batch merges into.</summary>
    private Dictionary<uint, Dictionary<byte[], KeyState>> MergedKeys()
    {
        var keys = new Dictionary<uint, Dictionary<byte[], KeyState>>();
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            if (reader.Kind != ValueKind.Merge || families[reader.ColumnFamilyId].Options.EnforcedValidator is null) continue;
            if (!keys.TryGetValue(reader.ColumnFamilyId, out var perKey)) keys[reader.ColumnFamilyId] = perKey = new Dictionary<byte[], KeyState>(ByteKeys.Instance);
            var lookup = perKey.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!lookup.ContainsKey(reader.Key)) perKey[reader.Key.ToArray()] = new KeyState();
        }
        return keys;
    }

    /// <summary>Replays the batch's operations on those keys, in order.</summary>
    private void ApplyBatch(Dictionary<uint, Dictionary<byte[], KeyState>> keys)
    {
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            if (!keys.TryGetValue(reader.ColumnFamilyId, out var perKey)) continue;
            if (reader.Kind == ValueKind.RangeDeletion)
            {
                var cmp = families[reader.ColumnFamilyId].Comparator;
                foreach (var (key, state) in perKey)
                    if (cmp.CompareUser(key, reader.Key) >= 0 && cmp.CompareUser(key, reader.Value) < 0) state.Reset(null);
                continue;
            }
            if (!perKey.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(reader.Key, out var s)) continue;
            switch (reader.Kind)
            {
                case ValueKind.Value: s.Reset(reader.Value.ToArray()); break;
                case ValueKind.Merge: s.Operands.Add(reader.Value.ToArray()); break;
                default: s.Reset(null); break; // a deletion
            }
        }
    }

    private sealed class KeyState
    {
        /// <summary>The batch put or deleted the key: <see cref="Base"/> is the value (null: none) the later operands apply to.</summary>
        public bool BaseSet { get; private set; }

        public byte[]? Base { get; private set; }

        public List<byte[]> Operands { get; } = [];

        public void Reset(byte[]? value)
        {
            BaseSet = true;
            Base = value;
            Operands.Clear();
        }
    }
}
