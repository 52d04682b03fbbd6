namespace LatticeKV.Sync;

/// <summary>The flags byte of a sync frame. Wire format: do not renumber; an undefined bit makes the frame malformed.</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,
    /// <summary>The payload on the wire is Snappy-compressed; the CRC covers the compressed bytes.</summary>
    Snappy = 1,
}
