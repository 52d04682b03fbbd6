namespace LatticeKV.Sync;

/// <summary>
/// The sync protocol versions this build speaks, offered in Hello. Only goes up. Version 2 adds
/// the Attestation frame (FORMAT.md §17.5); a session at version 1 simply has none. Version 3
/// adds the Ping frame and the idle timeout it makes possible (FORMAT.md §16.4).
/// </summary>
internal static class SyncProtocolVersions
{
    public const ushort Min = 1;
    public const ushort Max = 3;

    /// <summary>The first version with heartbeats (Ping frames) and an idle timeout on every session.</summary>
    public const ushort Heartbeat = 3;
}
