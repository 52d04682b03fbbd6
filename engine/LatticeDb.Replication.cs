using System.Runtime.CompilerServices;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Replication;

namespace LatticeKV;

// The replication log and change feed (engine/Replication): the public members, and what the
// log needs from the database.
public sealed partial class LatticeDb
{
    private const int ChangeChunk = 1024;

    private ReplicationLog? _replication; // set once at open

    /// <summary>
    /// This replica's id: the origin of the changes written here. Made when the database is
    /// created and kept; a restored backup or a checkpoint gets a new one (it may diverge from
    /// its source), so never copy a live database's directory to make a second replica.
    /// </summary>
    public Guid ReplicaId
    {
        get
        {
            ThrowIfClosed();
            return _replication!.ReplicaId;
        }
    }

    /// <summary>
    /// The changes of replicated families (<see cref="ColumnFamilyOptions.Replicated"/>) committed
    /// after <paramref name="since"/> and up to this call, in commit order, each once. Store the
    /// last one's <see cref="Change.Cursor"/> to resume after it, also after a restart.
    /// </summary>
    /// <exception cref="ChangeLogTruncatedException">Changes after <paramref name="since"/> were dropped (<see cref="DbOptions.ReplicationLogRetention"/>).</exception>
    public IEnumerable<Change> GetChanges(ChangeCursor since)
    {
        ThrowIfClosed();
        ulong upTo = _writePath.LastSequence;
        var first = new List<Change>();
        _replication!.Read(since, upTo, ChangeChunk, first); // throws now, not at the first MoveNext
        return RemainingChanges(first, upTo);
    }

    private IEnumerable<Change> RemainingChanges(List<Change> chunk, ulong upTo)
    {
        while (chunk.Count > 0)
        {
            foreach (var change in chunk) yield return change;
            if (chunk.Count < ChangeChunk) yield break;
            var cursor = chunk[^1].Cursor;
            chunk = [];
            ThrowIfClosed();
            _replication!.Read(cursor, upTo, ChangeChunk, chunk);
        }
    }

    /// <summary>
    /// Every change after <paramref name="since"/>: first those already committed, then each as
    /// it commits, in commit order, each once, until <paramref name="cancellationToken"/> is
    /// cancelled (<see cref="OperationCanceledException"/>) or the database is closed
    /// (<see cref="ObjectDisposedException"/>).
    /// </summary>
    /// <exception cref="ChangeLogTruncatedException">Changes after the cursor were dropped before they were read.</exception>
    public async IAsyncEnumerable<Change> WatchChangesAsync(ChangeCursor since, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var log = _replication!;
        var chunk = new List<Change>(ChangeChunk);
        var cursor = since;
        log.Signal.Enter();
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ThrowIfClosed();
                // Taken before the read: a change published after the read completes it.
                var next = log.Signal.Next;
                chunk.Clear();
                log.Read(cursor, ulong.MaxValue, ChangeChunk, chunk);
                foreach (var change in chunk)
                {
                    yield return change;
                    cursor = change.Cursor;
                }
                if (chunk.Count < ChangeChunk) await next.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            log.Signal.Leave();
        }
    }

    /// <summary>
    /// The values <see cref="ConflictResolver.KeepBoth"/> kept beside <paramref name="key"/>'s
    /// current value when sync found concurrent writes; empty once the key is written again
    /// (writing the value the application chose is how it resolves them).
    /// </summary>
    public IReadOnlyList<ConflictSibling> GetConflicts(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        CheckHandle(columnFamily);
        return _replication!.Siblings(columnFamily, key);
    }

    /// <summary>
    /// Every conflict resolution sync made on this replica, oldest first: which write won, which
    /// lost and the losing value (also <c>lkv conflicts</c>).
    /// </summary>
    public IEnumerable<ConflictRecord> GetConflictHistory()
    {
        ThrowIfClosed();
        return _replication!.ConflictHistory();
    }

    /// <summary>
    /// The changes peers sent that this replica refused to store because a column family's
    /// <c>ColumnFamilyOptions.Validator</c> rejected them (also <c>lkv quarantine</c>):
    /// kept and readable, never applied, by origin then origin sequence. Sync carries on past
    /// them; <see cref="PeerSyncStatus.QuarantinedChanges"/> counts them per peer.
    /// </summary>
    public IReadOnlyList<QuarantinedChange> GetQuarantinedChanges()
    {
        ThrowIfClosed();
        return [.. _replication!.QuarantinedChanges()];
    }

    /// <summary>Forgets a quarantined change (once the application has dealt with it); false when there is none with that id.</summary>
    /// <exception cref="InvalidArgumentException"><paramref name="id"/> is not a quarantined change's id.</exception>
    public bool DiscardQuarantinedChange(string id)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("discarding a quarantined change");
        return _replication!.DiscardQuarantined(id);
    }

    /// <summary>Sets up the replication log (at open, after recovery, before any write).</summary>
    private void OpenReplication()
    {
        _replication = new ReplicationLog(this, new Guid(Identity.Timeline), _options.ReplicationLogRetention, _options.Clock, _readOnly);
        _replication.Load();
        _replication.Rules = new Integrity.RemoteApplyRules(this);
    }

    /// <summary>Adds the log's stage and stamp to the write path (once, when the first replicated family appears).</summary>
    internal void InstallReplication(IWriteStage stage, IWriteStamp stamp)
    {
        _writePath.SetStamp(stamp);
        _writePath.AddStage(stage, WriteStageOrder.Replication);
    }

    /// <summary>The sequence number of the newest write readers see.</summary>
    internal ulong LastSequence => _writePath.LastSequence;

    /// <summary>The replication log (tests and tools).</summary>
    internal ReplicationLog Replication => _replication!;

    /// <summary>
    /// Replication is fixed when a family is created: the stored setting is kept when an open
    /// leaves it unset; turning it off, or on for a family created without it, is refused.
    /// </summary>
    private ColumnFamilyOptions KeepReplicated(ColumnFamilyOptions options, ColumnFamilyState state)
    {
        bool stored = false;
        if (state.Options is { } encoded)
        {
            try { stored = ColumnFamilyOptionsCodec.Decode(encoded).Replicated; }
            catch (CorruptionException ex) { throw ex.At(FileNames.Manifest(_path, _versions.ManifestFileNumber)); }
        }
        if (stored)
        {
            if (options.ReplicatedIsExplicit && !options.Replicated)
                throw new InvalidArgumentException($"Column family '{state.Name}' is replicated: replication cannot be turned off (peers would miss its changes).", nameof(ColumnFamilyOptions.Replicated));
            options.Replicated = true;
            _versions.ReplicationEnabled = true;
        }
        else if (options.Replicated)
        {
            throw new InvalidArgumentException($"Column family '{state.Name}' was created without replication: it can only be turned on when a family is created " +
                "(its existing data would have no changes); create a replicated family and copy the data into it.", nameof(ColumnFamilyOptions.Replicated));
        }
        return options;
    }
}
