using System.Buffers.Binary;

namespace LatticeKV.Coding;

/// <summary>
/// A bounds-checked cursor over encoded bytes. Every malformed input becomes a
/// <see cref="CorruptionException"/> (never an index exception), so decoders of on-disk
/// structures can be fed arbitrary bytes.
/// </summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public SpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly int Position => _pos;

    public readonly int Remaining => _data.Length - _pos;

    public readonly bool IsEmpty => _pos >= _data.Length;

    /// <summary>The bytes not read yet (a decoder that delimits a structure before decoding it slices them).</summary>
    public readonly ReadOnlySpan<byte> Rest => _data[_pos..];

    public byte ReadByte()
    {
        if (_pos >= _data.Length) throw Truncated();
        return _data[_pos++];
    }

    public uint ReadUInt32()
    {
        var s = Take(4);
        return BinaryPrimitives.ReadUInt32LittleEndian(s);
    }

    public ulong ReadUInt64()
    {
        var s = Take(8);
        return BinaryPrimitives.ReadUInt64LittleEndian(s);
    }

    public ulong ReadVarint()
    {
        if (!Varint.TryRead(_data[_pos..], out ulong v, out int n)) throw new CorruptionException($"bad varint at byte {_pos}");
        _pos += n;
        return v;
    }

    public uint ReadVarint32()
    {
        if (!Varint.TryRead32(_data[_pos..], out uint v, out int n)) throw new CorruptionException($"bad varint32 at byte {_pos}");
        _pos += n;
        return v;
    }

    /// <summary>A varint that must be a valid non-negative int no larger than <paramref name="max"/>.</summary>
    public int ReadVarintInt(int max = int.MaxValue)
    {
        ulong v = ReadVarint();
        if (v > (ulong)max) throw new CorruptionException($"length {v} exceeds limit {max} at byte {_pos}");
        return (int)v;
    }

    public ReadOnlySpan<byte> ReadLengthPrefixed()
    {
        int len = ReadVarintInt(Remaining);
        return Take(len);
    }

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining) throw Truncated();
        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    private readonly CorruptionException Truncated() => new($"truncated structure at byte {_pos} of {_data.Length}");
}
