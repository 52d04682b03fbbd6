using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>How a block's keys are ordered: internal keys for data and index blocks, bytes for meta blocks.</summary>
internal abstract class SpanComparer
{
    public static readonly SpanComparer Bytewise = new BytewiseSpanComparer();

    public abstract int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b);

    public static SpanComparer For(InternalKeyComparator cmp) => new InternalSpanComparer(cmp);

    /// <summary>True for internal keys whose user keys are ordered bytewise.</summary>
    public virtual bool IsBytewiseInternal => false;

    private sealed class BytewiseSpanComparer : SpanComparer
    {
        public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);
    }

    private sealed class InternalSpanComparer(InternalKeyComparator cmp) : SpanComparer
    {
        public override bool IsBytewiseInternal { get; } = cmp.IsBytewise;

        public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        {
            if (a.Length < InternalKey.TrailerSize || b.Length < InternalKey.TrailerSize)
                throw new CorruptionException("internal key shorter than its 8-byte trailer");
            return cmp.Compare(a, b);
        }
    }
}
