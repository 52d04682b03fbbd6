using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Wal;

/// <summary>
/// Frames logical records into the block format of <see cref="LogFormat"/>. Not thread-safe:
/// the WAL has a single writer (the group-commit leader) and the MANIFEST is written under the
/// database mutex. <see cref="AddRecord"/> leaves bytes in the file's buffer; the caller
/// decides between <see cref="IWritableFile.Flush"/> and <see cref="IWritableFile.Sync"/>.
/// </summary>
internal sealed class LogWriter : IDisposable
{
    private static readonly byte[] s_zeros = new byte[LogFormat.HeaderSize];
    private static readonly uint[] s_typeCrc = BuildTypeCrcs();
    private readonly IWritableFile _file;
    private int _blockOffset;

    public LogWriter(IWritableFile file)
    {
        _file = file;
        _blockOffset = (int)(file.Length % LogFormat.BlockSize);
    }

    public IWritableFile File => _file;

    public long Length => _file.Length;

    /// <summary>Most bytes a record of <paramref name="length"/> bytes can take in the file, headers and padding included.</summary>
    public static long MaxEncodedSize(int length)
        => length + ((long)length / (LogFormat.BlockSize - LogFormat.HeaderSize) + 2) * (LogFormat.HeaderSize * 2);

    public void AddRecord(ReadOnlySpan<byte> record)
    {
        bool begin = true;
        do
        {
            int leftover = LogFormat.BlockSize - _blockOffset;
            if (leftover < LogFormat.HeaderSize)
            {
                if (leftover > 0) _file.Append(s_zeros.AsSpan(0, leftover));
                _blockOffset = 0;
            }
            int available = LogFormat.BlockSize - _blockOffset - LogFormat.HeaderSize;
            int fragment = Math.Min(record.Length, available);
            bool end = fragment == record.Length;
            var type = begin && end ? LogRecordType.Full
                : begin ? LogRecordType.First
                : end ? LogRecordType.Last
                : LogRecordType.Middle;
            EmitPhysicalRecord(type, record[..fragment]);
            record = record[fragment..];
            begin = false;
        }
        while (!record.IsEmpty);
    }

    private void EmitPhysicalRecord(LogRecordType type, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[LogFormat.HeaderSize];
        uint crc = Crc32C.Extend(s_typeCrc[(int)type], payload);
        BinaryPrimitives.WriteUInt32LittleEndian(header, Crc32C.Mask(crc));
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)payload.Length);
        header[6] = (byte)type;
        _file.AppendRecord(header, payload);
        _blockOffset += LogFormat.HeaderSize + payload.Length;
    }

    /// <summary>CRC of the type byte alone, the prefix of every record's checksum.</summary>
    internal static uint TypeCrc(LogRecordType type) => s_typeCrc[(int)type];

    private static uint[] BuildTypeCrcs()
    {
        var crcs = new uint[5];
        for (int i = 0; i < crcs.Length; i++) crcs[i] = Crc32C.Compute([(byte)i]);
        return crcs;
    }

    public void Dispose() => _file.Dispose();
}
