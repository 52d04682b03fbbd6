namespace LatticeKV.Sync;

/// <summary>The sync protocol versions this build speaks, offered in Hello. Only goes up.</summary>
internal static class SyncProtocolVersions
{
    public const ushort Min = 1;
    public const ushort Max = 1;
}
