namespace LatticeKV.Sync;

/// <summary>
/// The Ping frame of protocol version 3 (FORMAT.md §16.4): a payload of one format byte. It says
/// only that the sender is alive, so that a peer that stopped (a frozen process, a cut link that
/// TCP has not noticed) is found within the idle timeout even when no data moves.
/// </summary>
internal static class SyncPing
{
    public const byte Format = 1;

    /// <exception cref="SyncProtocolException">The payload is not exactly the format byte.</exception>
    public static void Check(ReadOnlySpan<byte> payload)
    {
        if (payload is not [Format]) throw new SyncProtocolException($"malformed Ping frame ({payload.Length} bytes)");
    }
}
