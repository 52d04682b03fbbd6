namespace LatticeKV.Sync;

/// <summary>The code in an Error frame. Wire format: do not renumber; the protocol layer adds codes at the end.</summary>
internal enum SyncErrorCode : ushort
{
    /// <summary>The peer sent something the protocol does not allow.</summary>
    ProtocolViolation = 1,
    /// <summary>The two sides' protocol version ranges do not meet.</summary>
    IncompatibleVersion = 2,
    /// <summary>The changes after the requested cursor are no longer in the sender's log: a full resync is needed.</summary>
    LogTruncated = 3,
    /// <summary>The sender failed while reading or the receiver while applying (the message says what).</summary>
    Failed = 4,
    /// <summary>The receiver judged the sender's attestation and refused it (a forked or rewritten history).</summary>
    Refused = 5,
}
