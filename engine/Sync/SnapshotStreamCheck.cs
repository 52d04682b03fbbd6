using LatticeKV.Replication;

namespace LatticeKV.Sync;

/// <summary>
/// What a resync's Snapshot frames must be to be applied (FORMAT.md §17.2): one snapshot (every
/// part at the same position), each replicated key once, in the order a sender reads them (a family's
/// keys together, bytewise ascending, and a family never returned to), nothing after the complete
/// part. A part sent again, or reordered, would otherwise be applied again. Memory: the last key
/// and the names of the families passed.
/// </summary>
internal sealed class SnapshotStreamCheck
{
    private readonly HashSet<string> _passed = new(StringComparer.Ordinal);
    private string? _family;
    private byte[]? _lastKey;
    private ulong? _position;
    private bool _complete;

    /// <summary>Checks the next part; call before applying it.</summary>
    /// <exception cref="SyncProtocolException">The part repeats, reorders or follows the snapshot, or stands at another position.</exception>
    public void Accept(SyncMessages.ChangeBatch part)
    {
        if (_complete) throw new SyncProtocolException("a Snapshot frame after the snapshot's complete part");
        if (_position is { } position && part.Through != position)
            throw new SyncProtocolException($"a Snapshot part at position {part.Through}, another than the snapshot's {position}");
        _position = part.Through;
        foreach (var change in part.Changes) Accept(change);
        _complete = part.CaughtUp;
    }

    private void Accept(RemoteChange change)
    {
        if (change.ColumnFamily != _family)
        {
            if (_family is not null) _passed.Add(_family);
            if (_passed.Contains(change.ColumnFamily))
                throw new SyncProtocolException($"a snapshot returns to column family '{change.ColumnFamily}' after leaving it (a part repeated or reordered)");
            _family = change.ColumnFamily;
            _lastKey = null;
        }
        else if (_lastKey is not null && change.Key.AsSpan().SequenceCompareTo(_lastKey) <= 0)
        {
            throw new SyncProtocolException("snapshot entries out of key order (a part repeated or reordered)");
        }
        _lastKey = change.Key;
    }
}
