namespace LatticeKV.Wal;

/// <summary>
/// Record framing shared by the WAL and the MANIFEST (FORMAT.md, "Log file framing").
/// A file is a sequence of 32 KiB blocks; each physical record is a 7-byte header
/// (masked CRC-32C of type and payload, 2-byte payload length, 1-byte type) and its payload.
/// A logical record too large for the space left in a block is split into FIRST, MIDDLE…, LAST
/// fragments. A block tail shorter than a header is zero-filled. Persistent format: do not change.
/// </summary>
internal static class LogFormat
{
    public const int BlockSize = 32 * 1024;
    public const int HeaderSize = 7;
}

/// <summary>Physical record types. Persistent format: do not renumber.</summary>
internal enum LogRecordType : byte
{
    /// <summary>Never written: a zeroed region reads as this and is rejected.</summary>
    Zero = 0,
    Full = 1,
    First = 2,
    Middle = 3,
    Last = 4,
}
