using LatticeKV.Coding;

namespace LatticeKV.Replication;

/// <summary>A data write an apply makes: a put (a value), a delete (null), or a merge operand.</summary>
internal readonly record struct AppliedWrite(ColumnFamilyHandle Family, byte[] Key, byte[]? Value, bool Merge, ChangeVersion Because);

/// <summary>
/// What the integrity rules see of one part of a remote apply once its changes are judged
/// (<see cref="IRemoteApplyRules.Complete"/>), and how they act in the same batch: the part's data
/// writes, the values keys will have after it, this replica's own changes they add (a cascaded
/// delete, a restored parent: recorded in the change log like any local write, so every replica
/// gets them), the record of what they did (the conflict history), and facts that must still
/// hold at commit (else the part is judged again).
/// </summary>
internal sealed class RemoteApplyContext
{
    private readonly ReplicationLog _log;
    private readonly WriteBatch _batch;
    private readonly VersionsUnchangedCheck _check;
    private readonly List<AppliedWrite> _writes;
    private readonly ByteWriter _record = new(256), _versionKey = new(64);
    private readonly byte[] _version = new byte[VersionRecord.Size];

    internal RemoteApplyContext(ReplicationLog log, WriteBatch batch, VersionsUnchangedCheck check, List<AppliedWrite> writes)
    {
        _log = log;
        _batch = batch;
        _check = check;
        _writes = writes;
        Judged = writes.Count;
    }

    /// <summary>How many of <see cref="Writes"/> the peer's changes made (the rest the rules added).</summary>
    public int Judged { get; }

    /// <summary>The part's data writes, in order, those the rules add included (so a rule sees what an earlier one did).</summary>
    public IReadOnlyList<AppliedWrite> Writes => _writes;

    /// <summary>The value <paramref name="key"/> of <paramref name="family"/> has once the part is written (null: none).</summary>
    public byte[]? ValueAfter(ColumnFamilyHandle family, ReadOnlySpan<byte> key)
    {
        for (int i = _writes.Count - 1; i >= 0; i--)
        {
            var w = _writes[i];
            if (w.Family.Id != family.Id || !w.Key.AsSpan().SequenceEqual(key)) continue;
            // A merge operand lands on what is stored; for existence that is enough, and a child family's
            // parent keys come from the key when it takes merges.
            return w.Merge ? _log.Db.Get(family, key) ?? w.Value : w.Value;
        }
        return _log.Db.Get(family, key);
    }

    /// <summary>Deletes a key as this replica's own change (a cascade), recording why with the deleted value.</summary>
    public void DeleteAsLocal(ColumnFamilyHandle family, byte[] key, byte[]? oldValue, string rule, ConflictOutcome outcome, ChangeVersion because)
    {
        _because = because;
        WriteLocal(family, key, null);
        Record(outcome, rule, family, key, because, oldValue);
    }

    /// <summary>Writes a key again as this replica's own change (a parent a Restrict rule keeps), recording why.</summary>
    public void PutAsLocal(ColumnFamilyHandle family, byte[] key, byte[] value, string rule, ConflictOutcome outcome, ChangeVersion because)
    {
        _because = because;
        WriteLocal(family, key, value);
        Record(outcome, rule, family, key, because, null);
    }

    /// <summary>Records what a rule did (or why it left a key as it is) in the conflict history.</summary>
    public void Record(ConflictOutcome outcome, string rule, ColumnFamilyHandle family, byte[] key, ChangeVersion because, byte[]? value)
        => _batch.Put(_log.Audit!, ConflictStore.AuditKey(_log.Clock.Now()),
            ConflictStore.EncodeAudit(outcome, rule, family.Name, key, new Dot(because.Origin, because.OriginSequence, (ulong)because.Timestamp), default, value));

    /// <summary>A fact the rules relied on that a local write landing before the commit could change: checked then, and the part judged again if it no longer holds.</summary>
    public void ExpectAtCommit(Func<bool> holds) => _check.ExpectFact(holds);

    private ChangeVersion _because;

    private void WriteLocal(ColumnFamilyHandle family, byte[] key, byte[]? value)
    {
        if (value is null) _batch.Delete(family, key);
        else _batch.Put(family, key, value);
        _writes.Add(new AppliedWrite(family, key, value, Merge: false, _because));
        if (!_log.ReplicatedFamilies.Contains(family.Id)) return;
        ReplicationStage.AppendLocalChange(_batch, _log, value is null ? ChangeOperation.Delete : ChangeOperation.Put, family.Id, key, value ?? [], _record, _versionKey, _version);
    }
}
