namespace LatticeKV.Ledger;

/// <summary>
/// A peer offered a checkpoint that is not a consistent extension of the last one accepted
/// from it: a fork, a rewritten or rolled-back history, a bad signature or a changed key. The
/// offered checkpoint was refused and the peer's accepted state kept as it was.
/// </summary>
public sealed class LedgerForkException : LatticeException
{
    /// <summary>Creates the error for <paramref name="peerId"/>.</summary>
    public LedgerForkException(string peerId, long acceptedSize, long offeredSize, string reason)
        : base($"Peer '{peerId}' offered a checkpoint of size {offeredSize} that is not a consistent extension of the one accepted from it (size {acceptedSize}): {reason}")
    {
        PeerId = peerId;
        AcceptedSize = acceptedSize;
        OfferedSize = offeredSize;
        Reason = reason;
    }

    /// <summary>The peer whose checkpoint was refused.</summary>
    public string PeerId { get; }

    /// <summary>Tree size of the last checkpoint accepted from the peer (0 when none was).</summary>
    public long AcceptedSize { get; }

    /// <summary>Tree size of the refused checkpoint.</summary>
    public long OfferedSize { get; }

    /// <summary>Why it was refused, without the location.</summary>
    public string Reason { get; }
}
