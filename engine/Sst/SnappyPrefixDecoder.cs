using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LatticeKV.Sst;

/// <summary>
/// Decodes a Snappy block (the raw format: a varint length, then literal and copy tags) a part at
/// a time, so a point lookup can stop once the entry it wants is decoded instead of decoding the
/// whole block. A decoding resumes where the last one stopped: a copy only reads bytes already
/// written. Input is untrusted: every length and offset is checked before use, and anything a
/// complete, well-formed stream could not contain throws <see cref="CorruptionException"/>.
/// The output array must have <see cref="Slack"/> bytes past the decoded length: short literals
/// and copies are moved in whole 8- and 16-byte words that may write (never read) beyond their end.
/// </summary>
internal struct SnappyPrefixDecoder
{
    /// <summary>Bytes the output array needs beyond <see cref="Length"/>.</summary>
    public const int Slack = 32;

    private int _input;  // next tag's offset in the input
    private int _output; // bytes decoded so far

    /// <summary>Reads the length header of <paramref name="input"/>, ready to decode from the first tag.</summary>
    public SnappyPrefixDecoder(ReadOnlySpan<byte> input)
    {
        uint length = 0;
        int i = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (i >= input.Length || shift > 28) throw new CorruptionException("bad snappy length header");
            byte b = input[i++];
            if (shift == 28 && b > 0x0F) throw new CorruptionException("bad snappy length header");
            length |= (uint)(b & 0x7F) << shift;
            if (b < 0x80) break;
        }
        if (length > int.MaxValue) throw new CorruptionException("bad snappy length header");
        Length = (int)length;
        _input = i;
        _output = 0;
    }

    /// <summary>The decoded length the header claims.</summary>
    public int Length { get; }

    /// <summary>Bytes decoded so far (the output's valid prefix).</summary>
    public readonly int Decoded => _output;

    /// <summary>Whether the whole block is decoded (and the input used up exactly).</summary>
    public readonly bool Done => _output == Length;

    /// <summary>
    /// Decodes tags of <paramref name="input"/> (the same span given to the constructor) into
    /// <paramref name="output"/> until at least <paramref name="target"/> bytes (capped at
    /// <see cref="Length"/>) are decoded. <paramref name="output"/> holds at least
    /// <see cref="Length"/> + <see cref="Slack"/> bytes and its first <see cref="Decoded"/> bytes
    /// are those of earlier calls.
    /// </summary>
    public void DecodeTo(ReadOnlySpan<byte> input, byte[] output, int target)
    {
        if (output.Length < Length + Slack) throw new ArgumentException("output array too small for the block and its slack", nameof(output));
        target = Math.Min(target, Length);
        int ip = _input, op = _output, end = Length;
        ref byte src = ref MemoryMarshal.GetReference(input);
        ref byte dst = ref MemoryMarshal.GetArrayDataReference(output);
        while (op < target)
        {
            if (ip >= input.Length) throw new CorruptionException("snappy data ends before its declared length");
            byte tag = Unsafe.Add(ref src, ip++);
            int kind = tag & 3;
            if (kind == 0)
            {
                int length = (tag >> 2) + 1;
                if (length > 60)
                {
                    int bytes = length - 60; // 1 to 4 bytes of length follow
                    if (ip + bytes > input.Length) throw new CorruptionException("snappy literal length runs past the input");
                    uint value = 0;
                    for (int k = 0; k < bytes; k++) value |= (uint)Unsafe.Add(ref src, ip + k) << (8 * k);
                    ip += bytes;
                    if (value >= int.MaxValue) throw new CorruptionException("snappy literal runs past the declared length");
                    length = (int)value + 1;
                }
                if (length > end - op) throw new CorruptionException("snappy literal runs past the declared length");
                if (length > input.Length - ip) throw new CorruptionException("snappy literal runs past the input");
                if (length <= 16 && ip + 16 <= input.Length)
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op), Unsafe.ReadUnaligned<UInt128>(ref Unsafe.Add(ref src, ip)));
                else
                    input.Slice(ip, length).CopyTo(output.AsSpan(op));
                ip += length;
                op += length;
                continue;
            }
            int count, offset;
            if (kind == 1)
            {
                if (ip >= input.Length) throw new CorruptionException("snappy copy runs past the input");
                count = ((tag >> 2) & 7) + 4;
                offset = ((tag >> 5) << 8) | Unsafe.Add(ref src, ip);
                ip += 1;
            }
            else if (kind == 2)
            {
                if (ip + 2 > input.Length) throw new CorruptionException("snappy copy runs past the input");
                count = (tag >> 2) + 1;
                offset = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref src, ip));
                ip += 2;
            }
            else
            {
                if (ip + 4 > input.Length) throw new CorruptionException("snappy copy runs past the input");
                count = (tag >> 2) + 1;
                uint wide = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, ip));
                if (wide > int.MaxValue) throw new CorruptionException("snappy copy offset out of range");
                offset = (int)wide;
                ip += 4;
            }
            if (count > end - op) throw new CorruptionException("snappy copy runs past the declared length");
            if (offset == 0 || offset > op) throw new CorruptionException("snappy copy offset out of range");
            Copy(ref dst, op, offset, count);
            op += count;
        }
        // A stream that holds every declared byte must end there: trailing tags are damage.
        if (op == end && ip != input.Length) throw new CorruptionException("snappy data continues past its declared length");
        _input = ip;
        _output = op;
    }

    /// <summary>
    /// Copies <paramref name="count"/> (at most 64) bytes from <paramref name="offset"/> bytes back to
    /// <paramref name="op"/>. Overlapping copies (offset below the count) repeat the pattern, as the
    /// format means them to.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(ref byte dst, int op, int offset, int count)
    {
        ref byte to = ref Unsafe.Add(ref dst, op);
        ref byte from = ref Unsafe.Subtract(ref to, offset);
        if (offset >= 8)
        {
            // Each word read lies wholly before the write of the same step: earlier words are in
            // place when a later one reads them. The last word may run up to 7 bytes past the
            // copy, into bytes later tags (or the slack) overwrite.
            for (int i = 0; i < count; i += 8)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, i)));
            return;
        }
        for (int i = 0; i < count; i++) Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
    }
}
