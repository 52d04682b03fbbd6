namespace LatticeKV.Sync;

/// <summary>
/// What a resync's Snapshot frames must be to be applied (FORMAT.md §17.2): one snapshot (every
/// part at the same position) and nothing after its complete part, which moves the cursor and
/// raises the vector. A part sent again within the snapshot changes no value (each entry is a
/// key's whole state, a put or a delete; a snapshot holds no merges), so the order of entries is
/// not checked: the sender reads them in its own key order, which the receiver cannot know.
/// </summary>
internal sealed class SnapshotStreamCheck
{
    private ulong? _position;
    private bool _complete;

    /// <summary>Checks the next part; call before applying it.</summary>
    /// <exception cref="SyncProtocolException">The part follows the complete one, or stands at another position.</exception>
    public void Accept(SyncMessages.ChangeBatch part)
    {
        if (_complete) throw new SyncProtocolException("a Snapshot frame after the snapshot's complete part");
        if (_position is { } position && part.Through != position)
            throw new SyncProtocolException($"a Snapshot part at position {part.Through}, another than the snapshot's {position}");
        _position = part.Through;
        _complete = part.CaughtUp;
    }
}
