namespace LatticeKV.Sync;

/// <summary>
/// The sync protocol versions this build speaks, offered in Hello. Only goes up. Version 2 adds
/// the Attestation frame (FORMAT.md §17.5); a session at version 1 simply has none.
/// </summary>
internal static class SyncProtocolVersions
{
    public const ushort Min = 1;
    public const ushort Max = 2;
}
