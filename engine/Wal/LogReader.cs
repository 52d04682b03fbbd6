using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Wal;

/// <summary>An anomaly the reader skipped over: where it was, how much was dropped, and why.</summary>
/// <param name="Offset">File offset of the first byte dropped.</param>
/// <param name="BytesDropped">How many bytes of the file were not returned.</param>
/// <param name="Reason">Human-readable cause.</param>
/// <param name="IsTruncatedTail">True when the damage has the shape a crash leaves: the file ends inside
/// the record, the record's checksum was never written, or the record crosses a page boundary
/// beyond which the file holds only zeros (pages lost in a power loss). A complete record that
/// fails its checksum is not a torn write.</param>
/// <param name="IntactRecordFollows">True when an intact record lies after the damage in the same block:
/// the damage cannot be a torn tail even if nothing after this block survives.</param>
internal readonly record struct LogIssue(long Offset, long BytesDropped, string Reason, bool IsTruncatedTail, bool IntactRecordFollows = false);

/// <summary>
/// Reads logical records written by <see cref="LogWriter"/>. It never throws for bad data:
/// damaged regions are skipped and reported in <see cref="Issues"/> (in file order) so that
/// the caller applies its own policy (WAL recovery modes, strict MANIFEST reading). In a
/// write-ahead log, damage with the shape of pages lost in a power loss ends the file
/// (<see cref="EndsAtLostPages"/>). A returned record span is valid until the next call.
/// </summary>
internal sealed class LogReader
{
    private const int PageSize = 4096;
    private readonly IRandomAccessFile _file;
    private readonly long _fileLength;
    private readonly byte[] _block = new byte[LogFormat.BlockSize];
    private readonly ByteWriter _scratch = new(LogFormat.BlockSize);
    private readonly List<LogIssue> _issues = [];
    private long _blockStart;      // file offset of _block[0]
    private int _blockLength;      // valid bytes in _block
    private int _pos;              // read position inside _block
    private bool _eof;

    public LogReader(IRandomAccessFile file)
    {
        _file = file;
        _fileLength = file.Length;
        _blockStart = -LogFormat.BlockSize;
        EndsAtLostPages = FileNames.Parse(System.IO.Path.GetFileName(file.Path), out _) == DbFileKind.Log;
    }

    /// <summary>
    /// Whether damage with the shape of pages lost in a power loss ends the file, even when intact
    /// records follow it: from the damaged record to the end of its page, or in a whole page the
    /// record reaches, the file holds only zeros. The unsynced pages of a write-ahead log reach the
    /// disk in any order (writeback and the device both reorder them), so after a power loss its
    /// tail can hold such holes with newer records after them; none of that tail was synced (a
    /// synced write makes every page before it durable), and replaying past a hole would apply
    /// later writes without earlier ones. True by default for write-ahead logs (file names
    /// <c>NNNNNN.log</c>): a MANIFEST is synced record by record and never has such holes, so
    /// there they remain damage. Salvage (repair, dumps) turns it off to read past a hole.
    /// </summary>
    public bool EndsAtLostPages { get; init; }

    public string Path => _file.Path;

    public IReadOnlyList<LogIssue> Issues => _issues;

    /// <summary>File offset just past the last record returned: where a clean log would end.</summary>
    public long LastRecordEnd { get; private set; }

    /// <summary>Reads the next logical record; false at end of file.</summary>
    public bool ReadRecord(out ReadOnlySpan<byte> record, out long recordOffset)
    {
        bool inFragment = false;
        long fragmentStart = 0;
        _scratch.Clear();
        while (true)
        {
            var kind = ReadPhysical(out var payload, out long physicalOffset);
            switch (kind)
            {
                case PhysicalResult.Full:
                    if (inFragment) ReportPartial(fragmentStart, physicalOffset, "record without LAST fragment");
                    record = payload;
                    recordOffset = physicalOffset;
                    LastRecordEnd = physicalOffset + LogFormat.HeaderSize + payload.Length;
                    return true;
                case PhysicalResult.First:
                    if (inFragment) ReportPartial(fragmentStart, physicalOffset, "record without LAST fragment");
                    _scratch.Clear();
                    _scratch.Write(payload);
                    inFragment = true;
                    fragmentStart = physicalOffset;
                    break;
                case PhysicalResult.Middle:
                    if (!inFragment)
                        _issues.Add(new(physicalOffset, LogFormat.HeaderSize + payload.Length, "MIDDLE fragment without FIRST", false));
                    else
                        _scratch.Write(payload);
                    break;
                case PhysicalResult.Last:
                    if (!inFragment)
                    {
                        _issues.Add(new(physicalOffset, LogFormat.HeaderSize + payload.Length, "LAST fragment without FIRST", false));
                        break;
                    }
                    _scratch.Write(payload);
                    record = _scratch.WrittenSpan;
                    recordOffset = fragmentStart;
                    LastRecordEnd = physicalOffset + LogFormat.HeaderSize + payload.Length;
                    return true;
                case PhysicalResult.Bad:
                    if (inFragment)
                    {
                        // A fragment a crash left half written (its header is stored last) ends a torn
                        // tail: the record it belongs to was never completely written either.
                        if (_issues.Count > 0 && _issues[^1] is { IsTruncatedTail: true, IntactRecordFollows: false })
                            _issues.Add(new(fragmentStart, physicalOffset - fragmentStart, "fragmented record cut short by a crash", true));
                        else
                            ReportPartial(fragmentStart, physicalOffset, "fragmented record interrupted by a damaged fragment");
                        inFragment = false;
                        _scratch.Clear();
                    }
                    break;
                case PhysicalResult.Eof:
                    if (inFragment)
                        _issues.Add(new(fragmentStart, _fileLength - fragmentStart, "file ends inside a fragmented record", true));
                    record = default;
                    recordOffset = _fileLength;
                    return false;
            }
        }
    }

    private void ReportPartial(long start, long end, string reason) => _issues.Add(new(start, end - start, reason, false));

    private enum PhysicalResult { Full, First, Middle, Last, Bad, Eof }

    private PhysicalResult ReadPhysical(out ReadOnlySpan<byte> payload, out long offset)
    {
        payload = default;
        while (true)
        {
            offset = _blockStart + _pos;
            if (_blockLength - _pos < LogFormat.HeaderSize)
            {
                if (!_eof && _blockLength - _pos > 0 && _blockLength == LogFormat.BlockSize)
                {
                    // Trailer of a full block: must be zero padding written by the writer.
                    if (_block.AsSpan(_pos, _blockLength - _pos).ContainsAnyExcept((byte)0))
                        _issues.Add(new(offset, _blockLength - _pos, "non-zero block trailer", false));
                }
                else if (_eof)
                {
                    if (_blockLength - _pos > 0)
                    {
                        // A header cut short by end of file: a torn write unless it is zero fill
                        // (a log left untrimmed, its file ending a few bytes past its last record).
                        if (_block.AsSpan(_pos, _blockLength - _pos).ContainsAnyExcept((byte)0))
                            _issues.Add(new(offset, _blockLength - _pos, "file ends inside a record header", true));
                        _pos = _blockLength;
                    }
                    return PhysicalResult.Eof;
                }
                if (!ReadNextBlock()) continue;
                continue;
            }

            var header = _block.AsSpan(_pos, LogFormat.HeaderSize);
            uint expected = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(header));
            int length = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
            byte type = header[6];

            if (LogFormat.HeaderSize + length > _blockLength - _pos)
            {
                long dropped = _blockLength - _pos;
                bool pastEnd = _eof && _blockStart + _blockLength == _fileLength && _blockLength < LogFormat.BlockSize
                    && _pos + LogFormat.HeaderSize + length <= LogFormat.BlockSize;
                // A record running past the end of the file is cut short by a crash, unless intact
                // records follow: then its length field is what was damaged, and they must not be
                // dropped as part of a torn tail (unless the bytes are pages a power loss lost).
                bool intactFollows = IntactRecordAfter(_pos + 1);
                bool truncated = pastEnd && !intactFollows;
                if (!truncated && EndsAtLostPagesHere(offset, offset + LogFormat.HeaderSize + length, "record length exceeds block")) return PhysicalResult.Eof;
                string reason = truncated ? "file ends inside a record"
                    : pastEnd ? "record length runs past the end of the file, before intact records"
                    : "record length exceeds block";
                _issues.Add(new(offset, dropped, reason, truncated, intactFollows));
                _pos = _blockLength;
                if (truncated) return PhysicalResult.Eof;
                return PhysicalResult.Bad;
            }

            var body = _block.AsSpan(_pos + LogFormat.HeaderSize, length);
            if (type == 0 && length == 0 && expected == Crc32C.Unmask(0) && AllZeroFrom(offset))
            {
                // Reserved log space that was never written (a crash before a clean close trims it).
                _eof = true;
                _blockStart = _fileLength;
                _blockLength = 0;
                _pos = 0;
                return PhysicalResult.Eof;
            }
            if (type == (byte)LogRecordType.Zero || type > (byte)LogRecordType.Last)
            {
                long dropped = _blockLength - _pos;
                bool zeros = type == 0 && length == 0 && expected == Crc32C.Unmask(0);
                if (EndsAtLostPagesHere(offset, offset + LogFormat.HeaderSize + length, zeros ? "record header never written" : $"unknown record type {type}")) return PhysicalResult.Eof;
                // A zero header before written bytes is a record whose payload was copied but whose
                // header was not yet: the writer stores the header last, so this is a torn write.
                _issues.Add(new(offset, dropped, zeros ? "record header never written" : $"unknown record type {type}", zeros, IntactRecordAfter(_pos + 1)));
                _pos = _blockLength;
                return PhysicalResult.Bad;
            }
            uint actual = Crc32C.Extend(LogWriter.TypeCrc((LogRecordType)type), body);
            if (actual != expected)
            {
                // The length may be the damaged field, so nothing else in this block can be trusted.
                if (EndsAtLostPagesHere(offset, offset + LogFormat.HeaderSize + length, "record never completely written")) return PhysicalResult.Eof;
                long dropped = _blockLength - _pos;
                bool torn = BinaryPrimitives.ReadUInt32LittleEndian(header) == 0
                    || LostPagesFrom(offset, offset + LogFormat.HeaderSize + length);
                _issues.Add(new(offset, dropped, torn ? "record never completely written" : "checksum mismatch", torn, IntactRecordAfter(_pos + 1)));
                _pos = _blockLength;
                return PhysicalResult.Bad;
            }

            _pos += LogFormat.HeaderSize + length;
            payload = body;
            return type switch
            {
                (byte)LogRecordType.Full => PhysicalResult.Full,
                (byte)LogRecordType.First => PhysicalResult.First,
                (byte)LogRecordType.Middle => PhysicalResult.Middle,
                _ => PhysicalResult.Last,
            };
        }
    }

    /// <summary>
    /// Looks for any intact physical record starting at or after <paramref name="from"/> in the
    /// current block. Only run after damage, to tell a torn tail from damage in the middle.
    /// </summary>
    private bool IntactRecordAfter(int from)
    {
        var block = _block.AsSpan(0, _blockLength);
        for (int off = from; off + LogFormat.HeaderSize <= block.Length; off++)
        {
            byte type = block[off + 6];
            if (type is < (byte)LogRecordType.Full or > (byte)LogRecordType.Last) continue;
            int length = BinaryPrimitives.ReadUInt16LittleEndian(block[(off + 4)..]);
            if (off + LogFormat.HeaderSize + length > block.Length) continue;
            uint expected = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(block[off..]));
            if (Crc32C.Extend(LogWriter.TypeCrc((LogRecordType)type), block.Slice(off + LogFormat.HeaderSize, length)) == expected) return true;
        }
        return false;
    }

    /// <summary>
    /// True when the record at [<paramref name="start"/>, <paramref name="end"/>) crosses a page
    /// boundary after which the file is all zeros: the shape of pages lost in a power loss.
    /// </summary>
    private bool LostPagesFrom(long start, long end)
    {
        long boundary = (start / PageSize + 1) * PageSize;
        return boundary < end && AllZeroFrom(boundary);
    }

    /// <summary>
    /// With <see cref="EndsAtLostPages"/>, when the damaged record at [<paramref name="start"/>,
    /// <paramref name="end"/>) has the shape of lost pages, reports a torn tail and ends the file
    /// there: the page holding the damage is zeros from it to its end (the page reached the disk
    /// as it was before this record), or a whole page the record reaches is zeros (that page
    /// never reached it).
    /// </summary>
    private bool EndsAtLostPagesHere(long start, long end, string reason)
    {
        if (!EndsAtLostPages) return false;
        long pageEnd = (start / PageSize + 1) * PageSize;
        bool lost = AllZero(start, Math.Min(pageEnd, _fileLength));
        for (long page = pageEnd; !lost && page < Math.Min(end, _fileLength); page += PageSize)
            lost = AllZero(page, Math.Min(page + PageSize, _fileLength));
        if (!lost) return false;
        _issues.Add(new(start, _fileLength - start, reason + ": pages lost in a power loss; the log ends here", IsTruncatedTail: true));
        _eof = true;
        _blockStart = _fileLength;
        _blockLength = 0;
        _pos = 0;
        return true;
    }

    /// <summary>True when every byte from <paramref name="offset"/> to the end of the file is zero.</summary>
    private bool AllZeroFrom(long offset) => AllZero(offset, _fileLength);

    /// <summary>True when every byte of [<paramref name="from"/>, <paramref name="to"/>) is zero.</summary>
    private bool AllZero(long from, long to)
    {
        var buffer = new byte[Math.Min(LogFormat.BlockSize, Math.Max(0, to - from))];
        for (long pos = from; pos < to; pos += buffer.Length)
        {
            int n = _file.ReadExactly(pos, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - pos)));
            if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
            if (n == 0) break;
        }
        return true;
    }

    /// <summary>Loads the next block; returns false (and sets EOF) when the file is exhausted.</summary>
    private bool ReadNextBlock()
    {
        _blockStart += LogFormat.BlockSize;
        _pos = 0;
        if (_blockStart >= _fileLength)
        {
            _blockLength = 0;
            _eof = true;
            return false;
        }
        int want = (int)Math.Min(LogFormat.BlockSize, _fileLength - _blockStart);
        _blockLength = _file.ReadExactly(_blockStart, _block.AsSpan(0, want));
        if (_blockLength < LogFormat.BlockSize) _eof = true;
        return true;
    }
}
