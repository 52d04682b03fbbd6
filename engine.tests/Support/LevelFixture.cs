using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LatticeKV.Keys;
using LatticeKV.Manifest;

namespace LatticeKV.Tests.Support;

/// <summary>
/// Builds <see cref="FileMetaData"/> and <see cref="LsmVersion"/> fixtures from a short notation,
/// for unit tests of the picker and the version builder. A tree is "L0: f f; L1: f" and a file
/// <c>[N:]lo[@s]-hi[@s][)][/size][+dels][*]</c>: its number (default: the next one), its smallest
/// and largest user keys with their sequence numbers (default 1), <c>)</c> for a largest key that
/// is a range-end sentinel (exclusive), its size (default 100), a count of tombstones (a file with
/// them holds nothing else; any other file holds one put per 10 bytes of its size, with 10-byte
/// values, so each tombstone weighs 2 × 10 bytes in its compensated size), and <c>*</c> for being compacted.
/// </summary>
internal static partial class LevelFixture
{
    public static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    [GeneratedRegex(@"^(?:(?<num>\d+):)?(?<lo>[a-z0-9]+)(?:@(?<ls>\d+))?-(?<hi>[a-z0-9]+)(?:@(?<hs>\d+))?(?<excl>\))?(?:/(?<size>\d+))?(?:\+(?<dels>\d+))?(?<busy>\*)?$")]
    private static partial Regex FilePattern();

    public static FileMetaData File(string token, ref long nextNumber)
    {
        var m = FilePattern().Match(token);
        if (!m.Success) throw new ArgumentException($"bad file '{token}'");
        long number = m.Groups["num"].Success ? Long(m.Groups["num"].Value) : nextNumber;
        nextNumber = Math.Max(nextNumber, number + 1);
        ulong smallSeq = m.Groups["ls"].Success ? (ulong)Long(m.Groups["ls"].Value) : 1;
        ulong largeSeq = m.Groups["hs"].Success ? (ulong)Long(m.Groups["hs"].Value) : 1;
        var lo = Encoding.UTF8.GetBytes(m.Groups["lo"].Value);
        var hi = Encoding.UTF8.GetBytes(m.Groups["hi"].Value);
        long deletions = m.Groups["dels"].Success ? Long(m.Groups["dels"].Value) : 0;
        long size = m.Groups["size"].Success ? Long(m.Groups["size"].Value) : 100;
        // A file without tombstones holds puts: one per 10 bytes of its size, 10-byte values.
        long puts = deletions > 0 ? 0 : Math.Max(1, size / 10);
        return new FileMetaData
        {
            Number = number,
            FileSize = size,
            Smallest = InternalKey.Create(lo, smallSeq, ValueKind.Value),
            Largest = m.Groups["excl"].Success ? InternalKey.RangeEndSentinel(hi) : InternalKey.Create(hi, largeSeq, ValueKind.Value),
            SmallestSequence = Math.Min(smallSeq, largeSeq),
            LargestSequence = Math.Max(smallSeq, largeSeq),
            NumEntries = puts + deletions,
            NumDeletions = deletions,
            RawKeySize = (puts + deletions) * 10,
            RawValueSize = puts * 10,
            BeingCompacted = m.Groups["busy"].Success,
        };
    }

    /// <summary>The files of each level, in the order written.</summary>
    public static FileMetaData[][] Levels(string tree, int numLevels)
    {
        var levels = new List<FileMetaData>[numLevels];
        for (int i = 0; i < numLevels; i++) levels[i] = [];
        long next = 1;
        foreach (var part in tree.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (!part.StartsWith('L') || colon < 0) throw new ArgumentException($"bad level '{part}'");
            int level = (int)Long(part[1..colon]);
            foreach (var token in part[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                levels[level].Add(File(token, ref next));
        }
        return [.. levels.Select(l => l.ToArray())];
    }

    public static LsmVersion Version(string tree, int numLevels) => new(Cmp, Levels(tree, numLevels), null);

    /// <summary>File numbers per non-empty level, in the version's order: "L0: 3 2; L1: 1".</summary>
    public static string Describe(LsmVersion v)
        => string.Join("; ", Enumerable.Range(0, v.NumLevels).Where(l => v.NumFiles(l) > 0)
            .Select(l => $"L{l}: " + string.Join(' ', v.Files(l).Select(f => f.Number))));

    private static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);
}
