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

    /// <summary>
    /// Flips the byte at <paramref name="payloadOffset"/> of the log's first record of writes (after a sealed log's cipher header) and rewrites
    /// the record's checksum to match: damage only a seal over the payload can detect.
    /// </summary>
    public static void CorruptFirstPayloadKeepingChecksum(string path, int payloadOffset)
    {
        var log = File.ReadAllBytes(path);
        // A sealed log opens with its cipher header (FORMAT.md §12): the first record of writes follows it.
        int at = 0;
        int length = BinaryPrimitives.ReadUInt16LittleEndian(log.AsSpan(4));
        if (LatticeKV.Crypto.RecordCipher.TryReadLogHeader(log.AsSpan(LogFormat.HeaderSize, length), out _, out _))
        {
            at = LogFormat.HeaderSize + length;
            length = BinaryPrimitives.ReadUInt16LittleEndian(log.AsSpan(at + 4));
        }
        Assert.True(payloadOffset < length, $"the first record has {length} payload bytes");
        log[at + LogFormat.HeaderSize + payloadOffset] ^= 0x01;
        uint crc = LatticeKV.Coding.Crc32C.Extend(LogWriter.TypeCrc((LogRecordType)log[at + 6]), log.AsSpan(at + LogFormat.HeaderSize, length));
        BinaryPrimitives.WriteUInt32LittleEndian(log.AsSpan(at), LatticeKV.Coding.Crc32C.Mask(crc));
        File.WriteAllBytes(path, log);
    }
}
