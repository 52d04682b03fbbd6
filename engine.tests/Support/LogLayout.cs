using System.Buffers.Binary;
using LatticeKV.Wal;

namespace LatticeKV.Tests.Support;

/// <summary>The records of a write-ahead log, read from the framing headers alone (FORMAT.md, "Log file framing").</summary>
public static class LogLayout
{
    /// <summary>Where each record of a log shorter than one block ends; the last ends at the end of the file.</summary>
    public static List<int> RecordEnds(byte[] log)
    {
        Assert.True(log.Length < LogFormat.BlockSize, $"the log ({log.Length} bytes) fits in one block, so no record is fragmented");
        var ends = new List<int>();
        for (int p = 0; p + LogFormat.HeaderSize <= log.Length;)
        {
            p += LogFormat.HeaderSize + BinaryPrimitives.ReadUInt16LittleEndian(log.AsSpan(p + 4));
            ends.Add(p);
        }
        Assert.Equal(log.Length, ends.Count == 0 ? 0 : ends[^1]);
        return ends;
    }
}
