using System.Buffers.Binary;

namespace LatticeKV.Coding;

/// <summary>
/// A growable byte buffer for building encoded structures (write batches, blocks, edits).
/// Reused across builds with <see cref="Clear"/> so steady-state encoding does not allocate.
/// </summary>
internal sealed class ByteWriter
{
    private byte[] _buffer;
    private int _length;
    private readonly bool _pooled;
    private readonly bool _clearOnReturn;

    public ByteWriter(int capacity = 256) => _buffer = new byte[Math.Max(16, capacity)];

    /// <summary>
    /// A writer whose buffer grows through arrays rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>
    /// (for structures that grow large and are written once, such as a table's index block), so
    /// growing leaves no large garbage; <see cref="ReturnBuffer"/> hands the buffer back. A rented
    /// array's old contents are never exposed: only the bytes written are.
    /// </summary>
    /// <param name="capacity">Bytes to rent at first.</param>
    /// <param name="clearOnReturn">
    /// Clear every array before it goes back to the pool (when the bytes are an encrypted
    /// family's plaintext: the pool is shared with the whole process).
    /// </param>
    public static ByteWriter Pooled(int capacity, bool clearOnReturn = false) => new(System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(16, capacity)), clearOnReturn);

    private ByteWriter(byte[] rented, bool clearOnReturn)
    {
        _buffer = rented;
        _pooled = true;
        _clearOnReturn = clearOnReturn;
    }

    /// <summary>
    /// Returns a pooled writer's buffer to the pool and empties the writer (it may be written
    /// again, growing from nothing). Nothing written before may be read afterwards.
    /// </summary>
    public void ReturnBuffer()
    {
        if (!_pooled) return;
        if (_buffer.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(_buffer, _clearOnReturn);
        _buffer = [];
        _length = 0;
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public Span<byte> WrittenSpanMutable => _buffer.AsSpan(0, _length);

    /// <summary>The bytes written so far, valid until the next write or <see cref="Clear"/> (for an async consumer that is awaited before then).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void Clear() => _length = 0;

    /// <summary>Drops everything after the first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length) => _length = length;

    public Span<byte> GetSpan(int size)
    {
        Ensure(size);
        return _buffer.AsSpan(_length, size);
    }

    public void Advance(int count) => _length += count;

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        Ensure(data.Length);
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    public void WriteVarint(ulong value)
    {
        Ensure(Varint.MaxLength64);
        _length += Varint.Write(_buffer.AsSpan(_length), value);
    }

    /// <summary>A varint length followed by the bytes.</summary>
    public void WriteLengthPrefixed(ReadOnlySpan<byte> data)
    {
        WriteVarint((ulong)data.Length);
        Write(data);
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteUInt64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    private void Ensure(int extra)
    {
        if ((long)_length + extra <= _buffer.Length) return;
        long wanted = Math.Max((long)_length + extra, (long)_buffer.Length * 2);
        if (wanted > Array.MaxLength) wanted = Math.Max((long)_length + extra, Array.MaxLength);
        if (wanted > Array.MaxLength) throw new InvalidArgumentException("Encoded structure exceeds the maximum array size.");
        if (!_pooled)
        {
            Array.Resize(ref _buffer, (int)wanted);
            return;
        }
        var grown = System.Buffers.ArrayPool<byte>.Shared.Rent((int)wanted);
        _buffer.AsSpan(0, _length).CopyTo(grown);
        if (_buffer.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(_buffer, _clearOnReturn);
        _buffer = grown;
    }
}
