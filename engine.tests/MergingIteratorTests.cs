using System.Text;
using LatticeKV.Keys;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests;

/// <summary>
/// <see cref="MergingIterator"/> against one sorted list of all its children's entries: random
/// walks of seeks and steps in both directions, with turns, must land where the list says.
/// In either direction the iterator keeps the runner-up child between steps, so the children are
/// shaped to make the current child change often (interleaved keys), rarely (one child holding
/// long runs) and to run dry (empty and short children).
/// </summary>
public class MergingIteratorTests(ITestOutputHelper output)
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 1)]
    [InlineData(6, 2)]
    [InlineData(9, 3)]
    public void RandomWalk_ChildrenOfEveryShape_MatchesSortedList(int children, int shape)
    {
        int seed = TestSeed.Get(7900 + children * 10 + shape);
        output.WriteLine($"seed={seed} children={children} shape={shape}");
        var rnd = new Random(seed);
        var lists = Enumerable.Range(0, children).Select(_ => new List<(byte[] Key, byte[] Value)>()).ToList();
        ulong sequence = 1;
        for (int user = 0; user < 300; user++)
        {
            // Shape 0: one child. 1: interleaved at random. 2: long runs in one child.
            // 3: like 1 with a few children left empty or nearly so.
            int versions = 1 + (rnd.Next(4) == 0 ? rnd.Next(3) : 0);
            for (int v = 0; v < versions; v++)
            {
                int child = shape switch
                {
                    0 => 0,
                    2 => rnd.Next(8) != 0 ? user / 40 % children : rnd.Next(children),
                    3 => rnd.Next(50) == 0 ? children - 1 - rnd.Next(3) : rnd.Next(children - 3),
                    _ => rnd.Next(children),
                };
                var key = InternalKey.Create(UserKey(user), sequence++, ValueKind.Value);
                lists[child].Add((key, Encoding.UTF8.GetBytes($"v{user}.{v}")));
            }
        }
        var all = lists.SelectMany(l => l).ToList();
        all.Sort((a, b) => Cmp.Compare(a.Key, b.Key));
        using var merged = new MergingIterator(Cmp, lists.Select(l => (InternalIterator)new ListIterator(Cmp, l)));
        int at = -1; // index in all; -1 or all.Count when invalid
        for (int step = 0; step < 20_000 * TestSeed.Scale; step++)
        {
            int op = rnd.Next(20);
            string what;
            if (op == 0) { merged.SeekToFirst(); at = 0; what = "SeekToFirst"; }
            else if (op == 1) { merged.SeekToLast(); at = all.Count - 1; what = "SeekToLast"; }
            else if (op == 2 || op == 3)
            {
                var target = RandomTarget(rnd);
                merged.SeekForPrev(target);
                at = all.FindLastIndex(e => Cmp.Compare(e.Key, target) <= 0);
                what = $"SeekForPrev({Describe(target)})";
            }
            else if (op == 4)
            {
                var target = RandomTarget(rnd);
                merged.Seek(target);
                at = all.FindIndex(e => Cmp.Compare(e.Key, target) >= 0);
                if (at < 0) at = all.Count;
                what = $"Seek({Describe(target)})";
            }
            else if (at < 0 || at >= all.Count) continue;
            else if (op < 8) { merged.Next(); at++; what = "Next"; }
            else { merged.Prev(); at--; what = "Prev"; }
            bool inRange = at >= 0 && at < all.Count;
            Assert.True(inRange == merged.Valid, $"seed={seed} step={step} {what}: valid {merged.Valid}, expected {inRange}");
            if (!inRange) continue;
            Assert.True(all[at].Key.AsSpan().SequenceEqual(merged.Key), $"seed={seed} step={step} {what}: key {Describe(merged.Key)}, expected {Describe(all[at].Key)}");
            Assert.True(all[at].Value.AsSpan().SequenceEqual(merged.Value), $"seed={seed} step={step} {what}: value");
        }
    }

    /// <summary>A backward walk from the end over children that each run dry in turn visits every entry once, in order.</summary>
    [Fact]
    public void Prev_ChildrenRunningDryInTurn_VisitsEveryEntryInOrder()
    {
        var lists = new[]
        {
            new List<(byte[] Key, byte[] Value)> { Entry(5, 1), Entry(6, 10), Entry(9, 2) },
            new List<(byte[] Key, byte[] Value)> { Entry(1, 3), Entry(2, 4), Entry(3, 5) },
            new List<(byte[] Key, byte[] Value)>(),
            new List<(byte[] Key, byte[] Value)> { Entry(4, 6), Entry(7, 7), Entry(8, 8), Entry(10, 9) },
        };
        using var merged = new MergingIterator(Cmp, lists.Select(l => (InternalIterator)new ListIterator(Cmp, l)));
        var seen = new List<string>();
        for (merged.SeekToLast(); merged.Valid; merged.Prev()) seen.Add(Encoding.UTF8.GetString(InternalKey.UserKey(merged.Key)));
        Assert.Equal(Enumerable.Range(1, 10).Reverse().Select(i => Encoding.UTF8.GetString(UserKey(i))), seen);
    }

    private static (byte[] Key, byte[] Value) Entry(int user, ulong sequence) => (InternalKey.Create(UserKey(user), sequence, ValueKind.Value), [(byte)user]);

    private static byte[] UserKey(int user) => Encoding.UTF8.GetBytes($"u{user:D4}");

    /// <summary>Before, between, at or after the users' keys, at any sequence.</summary>
    private static byte[] RandomTarget(Random rnd)
        => InternalKey.Create(Encoding.UTF8.GetBytes($"u{rnd.Next(-5, 310):D4}" + (rnd.Next(4) == 0 ? "!" : "")), (ulong)rnd.Next(0, 1200), ValueKind.Value);

    private static string Describe(ReadOnlySpan<byte> key) => $"{Encoding.UTF8.GetString(InternalKey.UserKey(key))}@{InternalKey.Sequence(key)}";
}
