namespace LatticeKV;

/// <summary>
/// The changes after a cursor are no longer all retained (dropped past
/// <see cref="DbOptions.ReplicationLogRetention"/>): reading on would skip some, so nothing is
/// returned. A consumer must start again from a full copy of the data, then read from
/// <c>new ChangeCursor(OldestPosition)</c> or later.
/// </summary>
public sealed class ChangeLogTruncatedException : LatticeException
{
    /// <summary>Creates the exception for a read after <paramref name="requestedPosition"/> when changes up to <paramref name="oldestPosition"/> are gone.</summary>
    public ChangeLogTruncatedException(ulong requestedPosition, ulong oldestPosition)
        : base($"The change log no longer holds every change after position {requestedPosition}: changes up to position {oldestPosition} were dropped " +
            "(DbOptions.ReplicationLogRetention). Start again from a full copy, then read from a cursor at or after the oldest retained one.")
    {
        RequestedPosition = requestedPosition;
        OldestPosition = oldestPosition;
    }

    /// <summary>The position of the cursor that was asked for.</summary>
    public ulong RequestedPosition { get; }

    /// <summary>The oldest valid cursor's position: every change after it is retained.</summary>
    public ulong OldestPosition { get; }
}
