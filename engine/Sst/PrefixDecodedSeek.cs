using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// Finds the first entry at or after a key in a Snappy-compressed data block, decoding the block
/// only as far as that entry: a point lookup that finds its block in the cache's compressed tier
/// needs one entry, and on average it lies halfway through the block. Entries are parsed in
/// order from the block's start (restart entries share no prefix, so no restart array is needed:
/// it sits at the block's end). The block is decoded into a <see cref="DecodeBuffers"/> buffer
/// that carries the value found to the reader, so a lookup neither copies the value nor allocates.
/// </summary>
internal static class PrefixDecodedSeek
{
    // Output decoded ahead of the entry being parsed: a little more than the typical entry, so
    // most entries need one decoding step, and little is decoded past the entry sought.
    private const int Step = 256;
    private const int MaxLengthsBytes = 15; // three varint32s

    // Larger blocks (large values) are decoded whole: the buffers kept per thread stay small.
    private const int MaxDecodedSize = DecodeBuffers.MaxKeptSize - SnappyPrefixDecoder.Slack;

    [ThreadStatic] private static byte[]? t_key;

    /// <summary>
    /// <see cref="TrySeek(ReadOnlySpan{byte}, ReadOnlySpan{byte}, SpanComparer, out ReadOnlySpan{byte}, out Block?, out int, out int)"/>
    /// for tests: the value is valid until the thread's next seek.
    /// </summary>
    public static bool TrySeek(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> target, SpanComparer comparer, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TrySeek(stored, target, comparer, out key, out var buffer, out int valueOffset, out int valueLength)) return false;
        value = buffer!.Data.AsSpan(valueOffset, valueLength);
        buffer.Unpin(); // back to the thread's DecodeBuffers, not decoded over before its next rent
        return true;
    }

    /// <summary>
    /// The first entry of the block whose key compares at or after <paramref name="target"/> under
    /// <paramref name="comparer"/>: its key (valid until the thread's next call) and its value,
    /// <paramref name="valueLength"/> bytes at <paramref name="valueOffset"/> of
    /// <paramref name="buffer"/>, a <see cref="DecodeBuffers"/> buffer pinned for the caller, who
    /// unpins it once the value is read. False (and no buffer) when no entry does before the
    /// decoded block's end or an entry is malformed: the caller then decodes the whole block,
    /// whose checks name the damage. Damaged Snappy data throws <see cref="CorruptionException"/>.
    /// </summary>
    public static bool TrySeek(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> target, SpanComparer comparer, out ReadOnlySpan<byte> key,
        out Block? buffer, out int valueOffset, out int valueLength)
    {
        key = default;
        buffer = null;
        valueOffset = valueLength = 0;
        var decoder = new SnappyPrefixDecoder(stored);
        int length = decoder.Length;
        // Entries end before the restart array: at least one restart and the count.
        int limit = length - 8;
        if (limit <= 0 || length > MaxDecodedSize) return false;
        var rented = DecodeBuffers.Rent(length + SnappyPrefixDecoder.Slack);
        bool handedOut = false;
        try
        {
            handedOut = Seek(ref decoder, stored, rented.Data, limit, target, comparer, out key, out valueOffset, out valueLength);
            if (handedOut) buffer = rented;
            return handedOut;
        }
        finally
        {
            if (!handedOut) rented.Unpin();
        }
    }

    private static bool Seek(scoped ref SnappyPrefixDecoder decoder, ReadOnlySpan<byte> stored, byte[] output, int limit, ReadOnlySpan<byte> target, SpanComparer comparer,
        out ReadOnlySpan<byte> key, out int valueOffset, out int valueLength)
    {
        key = default;
        valueOffset = valueLength = 0;
        var keyBuffer = t_key ??= new byte[256];
        int keyLength = 0;
        int p = 0;
        bool bytewise = comparer.IsBytewiseInternal && target.Length >= InternalKey.TrailerSize;
        int m = -1;
        while (p < limit)
        {
            Ensure(ref decoder, stored, output, Math.Min(p + MaxLengthsBytes, limit));
            var lengths = output.AsSpan(p, Math.Min(decoder.Decoded, limit) - p);
            if (!Varint.TryRead32(lengths, out uint shared, out int n1) || !Varint.TryRead32(lengths[n1..], out uint nonShared, out int n2)
                || !Varint.TryRead32(lengths[(n1 + n2)..], out uint entryValueLength, out int n3)) return false;
            int start = p + n1 + n2 + n3;
            if (shared > (uint)keyLength || (ulong)nonShared + entryValueLength > (ulong)(limit - start)) return false;
            int keyEnd = start + (int)nonShared;
            int valueEnd = keyEnd + (int)entryValueLength;
            Ensure(ref decoder, stored, output, keyEnd);
            int newLength = (int)shared + (int)nonShared;
            if (keyBuffer.Length < newLength)
            {
                Array.Resize(ref keyBuffer, Math.Max(newLength, keyBuffer.Length * 2));
                t_key = keyBuffer;
            }
            output.AsSpan(start, (int)nonShared).CopyTo(keyBuffer.AsSpan((int)shared));
            keyLength = newLength;
            // A key without its trailer: damage, or the restart array read as entries (no entry at or after the target).
            if (keyLength < InternalKey.TrailerSize) return false;
            p = valueEnd;
            var current = keyBuffer.AsSpan(0, keyLength);
            if (bytewise ? !BytewiseSeekStep.AtOrAfter(current, (int)shared, target, comparer, ref m) : comparer.Compare(current, target) < 0) continue;
            Ensure(ref decoder, stored, output, valueEnd);
            key = keyBuffer.AsSpan(0, keyLength);
            valueOffset = keyEnd;
            valueLength = (int)entryValueLength;
            return true;
        }
        return false;
    }

    private static void Ensure(ref SnappyPrefixDecoder decoder, ReadOnlySpan<byte> stored, byte[] output, int needed)
    {
        if (decoder.Decoded < needed) decoder.DecodeTo(stored, output, needed + Step);
    }
}
