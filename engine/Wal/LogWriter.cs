using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Wal;

/// <summary>
/// Frames logical records into the block format of <see cref="LogFormat"/>. Not thread-safe:
/// the WAL has a single writer (the group-commit leader) and the MANIFEST is written under the
/// database mutex. <c>AddRecord</c> leaves bytes in the file's buffer; the caller
/// decides between <see cref="IWritableFile.Flush"/> and <see cref="IWritableFile.Sync"/>.
/// </summary>
internal sealed class LogWriter : IDisposable
{
    private static readonly byte[] s_zeros = new byte[LogFormat.HeaderSize];
    private static readonly uint[] s_typeCrc = BuildTypeCrcs();
    private readonly IWritableFile _file;
    private int _blockOffset;
    private byte[] _scratch = new byte[256];

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

    /// <summary>
    /// Adds the logical record <paramref name="head"/> ‖ <paramref name="body"/>: a batch logged
    /// with a shorter header than the one it was built with. Fragments holding bytes of
    /// <paramref name="head"/> are assembled in a scratch buffer; the rest come straight from
    /// <paramref name="body"/>.
    /// </summary>
    public void AddRecord(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body)
    {
        bool begin = true;
        while (!head.IsEmpty)
        {
            int available = StartFragment();
            int fromHead = Math.Min(head.Length, available);
            int fromBody = Math.Min(body.Length, available - fromHead);
            if (_scratch.Length < fromHead + fromBody) _scratch = new byte[Math.Max(fromHead + fromBody, _scratch.Length * 2)];
            head[..fromHead].CopyTo(_scratch);
            body[..fromBody].CopyTo(_scratch.AsSpan(fromHead));
            head = head[fromHead..];
            body = body[fromBody..];
            EmitPhysicalRecord(TypeOf(begin, head.IsEmpty && body.IsEmpty), _scratch.AsSpan(0, fromHead + fromBody));
            begin = false;
        }
        if (begin || !body.IsEmpty) AddFragments(body, begin);
    }

    public void AddRecord(ReadOnlySpan<byte> record) => AddFragments(record, begin: true);

    /// <summary>
    /// Where a record of <paramref name="length"/> bytes would go as one full physical record,
    /// in the file's own memory (<see cref="IWritableFile.RecordSpace"/>), for a writer that
    /// produces it there (a sealed record, encrypted straight into the log) and then calls
    /// <see cref="CommitInPlace"/>. Empty when the file has no such memory or the record does
    /// not fit in the current block: then use <see cref="AddRecord(ReadOnlySpan{byte})"/>.
    /// Room must have been made. A block tail too short for a header is padded here either way.
    /// </summary>
    public Span<byte> RecordSpace(int length)
    {
        if (StartFragment() < length) return default;
        var space = _file.RecordSpace(LogFormat.HeaderSize + length);
        return space.IsEmpty ? default : space[LogFormat.HeaderSize..];
    }

    /// <summary>Frames <paramref name="payload"/>, the span <see cref="RecordSpace"/> gave, filled, as a full record.</summary>
    public void CommitInPlace(ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[LogFormat.HeaderSize];
        EncodeHeader(header, LogRecordType.Full, payload);
        _file.CommitRecord(header, payload.Length);
        _blockOffset += LogFormat.HeaderSize + payload.Length;
    }

    private void AddFragments(ReadOnlySpan<byte> record, bool begin)
    {
        do
        {
            int available = StartFragment();
            int fragment = Math.Min(record.Length, available);
            EmitPhysicalRecord(TypeOf(begin, fragment == record.Length), record[..fragment]);
            record = record[fragment..];
            begin = false;
        }
        while (!record.IsEmpty);
    }

    /// <summary>Pads a block tail too short for a header; returns the payload bytes the current block has room for.</summary>
    private int StartFragment()
    {
        int leftover = LogFormat.BlockSize - _blockOffset;
        if (leftover < LogFormat.HeaderSize)
        {
            if (leftover > 0) _file.Append(s_zeros.AsSpan(0, leftover));
            _blockOffset = 0;
        }
        return LogFormat.BlockSize - _blockOffset - LogFormat.HeaderSize;
    }

    private static LogRecordType TypeOf(bool begin, bool end)
        => begin && end ? LogRecordType.Full : begin ? LogRecordType.First : end ? LogRecordType.Last : LogRecordType.Middle;

    private void EmitPhysicalRecord(LogRecordType type, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[LogFormat.HeaderSize];
        EncodeHeader(header, type, payload);
        _file.AppendRecord(header, payload);
        _blockOffset += LogFormat.HeaderSize + payload.Length;
    }

    private static void EncodeHeader(Span<byte> header, LogRecordType type, ReadOnlySpan<byte> payload)
    {
        uint crc = Crc32C.Extend(s_typeCrc[(int)type], payload);
        BinaryPrimitives.WriteUInt32LittleEndian(header, Crc32C.Mask(crc));
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)payload.Length);
        header[6] = (byte)type;
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
