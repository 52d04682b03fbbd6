using System.Buffers.Binary;

namespace LatticeKV.Ledger.Chain;

/// <summary>
/// A bounds-checked cursor over untrusted chain bytes (Bitcoin's serialization: little-endian
/// integers, CompactSize counts). Every malformed input becomes a <see cref="ChainDataException"/>
/// naming the structure and the offset of the bad field, never an index exception.
/// </summary>
internal ref struct ChainReader
{
    /// <summary>Bitcoin Core's MAX_SIZE: no count or length in a message may exceed it.</summary>
    public const ulong MaxCompactSize = 0x0200_0000;

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _what;
    private int _pos;

    public ChainReader(ReadOnlySpan<byte> data, string what)
    {
        _data = data;
        _what = what;
        _pos = 0;
    }

    public readonly int Position => _pos;

    public readonly int Remaining => _data.Length - _pos;

    public readonly ReadOnlySpan<byte> Data => _data;

    public byte ReadByte() => Take(1)[0];

    public readonly byte PeekByte(int ahead)
    {
        if (_pos + ahead >= _data.Length) throw Fail(_data.Length, "ends early");
        return _data[_pos + ahead];
    }

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public ChainHash ReadHash() => ChainHash.FromBytes(Take(ChainHash.Length));

    /// <summary>
    /// A CompactSize that must be in its shortest form (as Bitcoin Core requires), at most
    /// <see cref="MaxCompactSize"/>, and, as a count of items of at least
    /// <paramref name="minItemSize"/> bytes each, no more than the bytes left could hold: a
    /// hostile count never drives an allocation.
    /// </summary>
    public int ReadCount(int minItemSize)
    {
        int start = _pos;
        byte first = ReadByte();
        ulong value = first switch
        {
            0xFD => BinaryPrimitives.ReadUInt16LittleEndian(Take(2)),
            0xFE => BinaryPrimitives.ReadUInt32LittleEndian(Take(4)),
            0xFF => BinaryPrimitives.ReadUInt64LittleEndian(Take(8)),
            _ => first,
        };
        ulong shortest = first switch { 0xFD => 0xFD, 0xFE => 0x1_0000, 0xFF => 0x1_0000_0000, _ => 0 };
        if (value < shortest) throw Fail(start, "CompactSize not in its shortest form");
        if (value > MaxCompactSize) throw Fail(start, $"count {value} over the limit {MaxCompactSize}");
        if (minItemSize > 0 && value > (ulong)(Remaining / minItemSize))
            throw Fail(start, $"count {value} needs more than the {Remaining} bytes left");
        return (int)value;
    }

    /// <summary>A CompactSize length followed by that many bytes.</summary>
    public ReadOnlySpan<byte> ReadVarBytes() => Take(ReadCount(1));

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining) throw Fail(_pos, $"field of {count} bytes runs past the end ({Remaining} left)");
        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public readonly void ExpectEnd()
    {
        if (Remaining != 0) throw Fail(_pos, $"{Remaining} bytes left over");
    }

    public readonly ChainDataException Fail(int offset, string reason) => new(_what, offset, reason);
}
