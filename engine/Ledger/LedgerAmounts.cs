using System.Buffers.Binary;

namespace LatticeKV.Ledger;

/// <summary>Exact sums of postings per (account, asset): the balance arithmetic of the fold and of verification.</summary>
internal static class LedgerAmounts
{
    /// <summary>The width of a stored balance and of a balance operand: an <see cref="Int128"/>, little-endian. Persistent format.</summary>
    internal const int Size = 16;

    /// <summary>Adds <paramref name="sign"/> times each posting to <paramref name="into"/> (a new map when null); an overflow is a <see cref="LedgerArgumentException"/>.</summary>
    internal static Dictionary<(string Account, string Asset), Int128> Contributions(IEnumerable<LedgerPosting> postings, int sign,
        Dictionary<(string Account, string Asset), Int128>? into = null)
    {
        into ??= [];
        try
        {
            foreach (var p in postings)
            {
                Int128 amount = sign < 0 ? checked(-p.Amount) : p.Amount;
                into[(p.Account, p.Asset)] = checked(into.GetValueOrDefault((p.Account, p.Asset)) + amount);
            }
        }
        catch (OverflowException)
        {
            throw new LedgerArgumentException("The postings' sum for an account and asset is outside the range of a 128-bit integer.", nameof(LedgerTransaction.Postings));
        }
        return into;
    }

    /// <summary>
    /// Sums the run of postings from <paramref name="start"/> on that share its account and asset
    /// (in a canonical record, sorted, that is all of them); returns the index after the run.
    /// </summary>
    /// <exception cref="LedgerArgumentException">The run's sum overflows.</exception>
    internal static int SumRun(IReadOnlyList<LedgerPosting> postings, int start, out Int128 sum)
    {
        var first = postings[start];
        sum = first.Amount;
        int i = start + 1;
        try
        {
            for (; i < postings.Count && postings[i].Account == first.Account && postings[i].Asset == first.Asset; i++) sum = checked(sum + postings[i].Amount);
        }
        catch (OverflowException)
        {
            throw new LedgerArgumentException("The postings' sum for an account and asset is outside the range of a 128-bit integer.", nameof(LedgerTransaction.Postings));
        }
        return i;
    }

    internal static byte[] Encode(Int128 value)
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteInt128LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>A stored balance; a value of another width is corruption.</summary>
    internal static Int128 Decode(ReadOnlySpan<byte> value)
        => value.Length == Size ? BinaryPrimitives.ReadInt128LittleEndian(value) : throw new CorruptionException($"ledger balance is {value.Length} bytes, not {Size}");
}
