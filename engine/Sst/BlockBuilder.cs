using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Sst;

/// <summary>
/// Builds a block of sorted key/value entries with prefix-compressed keys (FORMAT.md, "Block").
/// Every <c>restartInterval</c> entries the full key is stored and its offset recorded as a
/// restart point, so readers binary-search restart points and scan at most one interval.
/// <code>
/// entry:   shared:varint32 | non_shared:varint32 | value_length:varint32 | key[shared..] | value
/// trailer: restart_offset:uint32 LE × num_restarts | num_restarts:uint32 LE
/// </code>
/// </summary>
internal sealed class BlockBuilder
{
    private readonly int _restartInterval;
    private readonly ByteWriter _buffer;
    private readonly List<int> _restarts = [0];
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private int _counter;
    private bool _finished;

    /// <param name="restartInterval">Entries between restart points.</param>
    /// <param name="pooled">
    /// Grow the buffer through the shared array pool (for a block that grows with the table, the
    /// index); <see cref="ReturnBuffer"/> then hands it back.
    /// </param>
    /// <param name="clearOnReturn">With <paramref name="pooled"/>: clear the arrays before they go back (an encrypted family's keys).</param>
    public BlockBuilder(int restartInterval, bool pooled = false, bool clearOnReturn = false)
    {
        _restartInterval = Math.Max(1, restartInterval);
        _buffer = pooled ? ByteWriter.Pooled(4096, clearOnReturn) : new ByteWriter(4096);
    }

    /// <summary>Returns a pooled builder's buffer; what <see cref="Finish"/> returned is no longer valid.</summary>
    public void ReturnBuffer()
    {
        _buffer.ReturnBuffer();
        Reset();
    }

    public bool IsEmpty => _buffer.Length == 0;

    public int EntryCount { get; private set; }

    public ReadOnlySpan<byte> LastKey => _lastKey.AsSpan(0, _lastKeyLength);

    /// <summary>Size of the block if finished now.</summary>
    public int CurrentSizeEstimate => _buffer.Length + _restarts.Count * 4 + 4;

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int shared = 0;
        if (_counter < _restartInterval)
        {
            int max = Math.Min(_lastKeyLength, key.Length);
            shared = key[..max].CommonPrefixLength(_lastKey.AsSpan(0, max));
        }
        else
        {
            _restarts.Add(_buffer.Length);
            _counter = 0;
        }
        _buffer.WriteVarint((uint)shared);
        _buffer.WriteVarint((uint)(key.Length - shared));
        _buffer.WriteVarint((uint)value.Length);
        _buffer.Write(key[shared..]);
        _buffer.Write(value);
        if (_lastKey.Length < key.Length) _lastKey = new byte[Math.Max(key.Length, _lastKey.Length * 2)];
        key.CopyTo(_lastKey);
        _lastKeyLength = key.Length;
        _counter++;
        EntryCount++;
    }

    /// <summary>Appends the restart array and returns the block; valid until <see cref="Reset"/>.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        if (!_finished)
        {
            foreach (int r in _restarts) _buffer.WriteUInt32((uint)r);
            _buffer.WriteUInt32((uint)_restarts.Count);
            _finished = true;
        }
        return _buffer.WrittenSpan;
    }

    public void Reset()
    {
        _buffer.Clear();
        _restarts.Clear();
        _restarts.Add(0);
        _counter = 0;
        _lastKeyLength = 0;
        _finished = false;
        EntryCount = 0;
    }

    /// <summary>Number of restart points of a finished block (for tests and inspection).</summary>
    public static int RestartCount(ReadOnlySpan<byte> block) => (int)BinaryPrimitives.ReadUInt32LittleEndian(block[^4..]);
}
