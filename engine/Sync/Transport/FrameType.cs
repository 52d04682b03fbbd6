namespace LatticeKV.Sync;

/// <summary>
/// The type byte of a sync frame (FORMAT.md, "Sync wire protocol (transport)"). Wire format: do
/// not renumber; the protocol layer adds new types at the end. A frame whose type is not defined
/// here is malformed.
/// </summary>
internal enum FrameType : byte
{
    /// <summary>First frame each side sends: protocol versions, replica id, session nonce (<see cref="SyncHello"/>).</summary>
    Hello = 1,
    /// <summary>A refusal with a code and a message (<see cref="SyncError"/>); the sender closes the connection after it.</summary>
    Error = 2,
    /// <summary>Reserved for the sync protocol: a request for changes after a cursor.</summary>
    Pull = 3,
    /// <summary>Reserved for the sync protocol: a batch of changes.</summary>
    Changes = 4,
    /// <summary>Reserved for the sync protocol: an acknowledgement of applied changes.</summary>
    Ack = 5,
    /// <summary>Reserved for the sync protocol: a piece of a full-resync snapshot.</summary>
    Snapshot = 6,
    /// <summary>The sync protocol's notice that a Pull's cursor is before the sender's log: the puller asks again with a resync.</summary>
    Resync = 7,
    /// <summary>From protocol version 2: an attestation step (what one side saw of the other's history, or its claim about its own; <see cref="ISyncAttestor"/>).</summary>
    Attestation = 8,
    /// <summary>From protocol version 3: "still here", sent when a side has sent nothing else for a while (<see cref="SyncPing"/>); consumed by the channel.</summary>
    Ping = 9,
}
