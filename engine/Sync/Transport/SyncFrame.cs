namespace LatticeKV.Sync;

/// <summary>One received frame: its type and its payload (decompressed, checksum verified). The payload array belongs to the receiver.</summary>
internal sealed record SyncFrame(FrameType Type, byte[] Payload);
