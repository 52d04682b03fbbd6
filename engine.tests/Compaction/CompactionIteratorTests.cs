using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LatticeKV.Compaction;
using LatticeKV.Keys;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Compaction;

/// <summary>
/// What a flush or compaction keeps, case by case from the table below. Each case runs the
/// entries of <c>input</c> through a <see cref="CompactionIterator"/> and compares what comes
/// out with <c>output</c> (and the range tombstones it keeps with <c>surviving</c>).
/// <list type="bullet">
/// <item><c>a@9=v</c> a value, <c>a@9:del</c> a point tombstone, <c>a@9~95=v</c> a timed value
/// written at second 95 of the test clock, <c>[a,c)@5</c> a range tombstone.</item>
/// <item><c>snapshots</c>: live snapshot sequences (default none).</item>
/// <item><c>below</c>: which keys have older data in levels under the output: <c>nothing</c>
/// (the default: the output is the bottom), <c>all</c>, or a list of keys.</item>
/// <item><c>zero</c>: <c>yes</c> when the output level may zero sequences (any level but 0).</item>
/// <item><c>ttl</c>, <c>now</c> (seconds) and <c>filter</c> (a value the compaction filter removes) build a <see cref="ValuePolicy"/>.</item>
/// <item><c>stats</c>: counters checked when given.</item>
/// </list>
/// </summary>
public partial class CompactionIteratorTests
{
    private static readonly CaseTable Table = new("""
        case no snapshots: only the newest version of a key survives
        below:  all
        input:  a@3=v3 a@2=v2 a@1=v1 b@4=w
        output: a@3=v3 b@4=w
        stats:  shadowed=2

        case snapshot stripes: each snapshot keeps the newest version it sees, a snapshot sees its own sequence
        snapshots: 4 6
        below:  all
        input:  a@9=v9 a@8=v8 a@6=v6 a@5=v5 a@4=v4 a@2=v2
        output: a@9=v9 a@6=v6 a@4=v4
        stats:  shadowed=3

        case snapshot stripes: a snapshot between two versions keeps the older one
        snapshots: 5
        below:  all
        input:  a@7=new a@3=old b@2=only
        output: a@7=new a@3=old b@2=only

        case snapshot stripes: snapshots older than every version keep nothing extra
        snapshots: 1 2 3
        below:  all
        input:  a@9=x a@8=y
        output: a@9=x

        case snapshot stripes: a snapshot newer than every version keeps nothing extra
        snapshots: 100
        below:  all
        input:  a@9=x a@8=y
        output: a@9=x

        case tombstone at the bottom, no snapshot: dropped with what it hides
        input:  a@5:del a@3=v b@4=w
        output: b@4=w
        stats:  tombstones=1 shadowed=1

        case tombstone above the bottom: kept, hiding the older versions of its stripe
        below:  all
        input:  a@5:del a@3=v
        output: a@5:del
        stats:  tombstones=0 shadowed=1

        case tombstone: dropped only where no deeper level holds its key
        below:  a
        input:  a@5:del b@6:del c@1=v
        output: a@5:del c@1=v

        case tombstone a snapshot predates: kept, and so is the value the snapshot reads
        snapshots: 4
        input:  a@5:del a@3=v
        output: a@5:del a@3=v

        case tombstone every snapshot sees: dropped at the bottom under a newer value
        snapshots: 8
        input:  a@9=new a@5:del a@3=old
        output: a@9=new

        case zeroing: at the bottom with no snapshot, survivors get sequence 0
        zero:   yes
        input:  a@7=v a@3=old b@5=w
        output: a@0=v b@0=w

        case zeroing: only the version every snapshot sees
        zero:   yes
        snapshots: 5
        input:  a@7=new a@3=old
        output: a@7=new a@0=old

        case zeroing: not where older data of the key lies below
        zero:   yes
        below:  a
        input:  a@7=v b@6=w
        output: a@7=v b@0=w

        case zeroing: not into level 0
        input:  a@7=v
        output: a@7=v

        case zeroing: the value under a kept tombstone
        zero:   yes
        snapshots: 4
        input:  a@5:del a@3=v
        output: a@5:del a@0=v

        case zeroing: not while the compaction carries range tombstones, which a zeroed key would fall under
        zero:   yes
        below:  b
        range-dels: [a,c)@3
        input:  a@5=v
        output: a@5=v
        surviving: [a,c)@3

        case range tombstone: hides older entries of its stripe, not newer ones, not its end key
        below:  all
        range-dels: [a,c)@5
        input:  a@7=new a@4=old b@3=gone c@2=kept
        output: a@7=new c@2=kept
        surviving: [a,c)@5
        stats:  range=1 shadowed=1

        case range tombstone: a snapshot between it and an entry keeps the entry
        snapshots: 4
        below:  all
        range-dels: [a,c)@6
        input:  a@5=hidden a@3=seen b@2=seen
        output: a@3=seen b@2=seen
        surviving: [a,c)@6

        case range tombstone: of several, the oldest one newer than the entry decides
        snapshots: 5
        below:  all
        range-dels: [a,d)@9 [b,d)@4
        input:  a@3=x b@3=y c@7=z
        output: a@3=x
        surviving: [a,b)@9 [b,d)@9 [b,d)@4

        case range tombstone: one per stripe survives
        below:  all
        range-dels: [a,c)@3 [a,c)@2 [b,c)@1
        input:  a@1=x
        output:
        surviving: [a,b)@3 [b,c)@3

        case range tombstone: at the bottom, those every snapshot sees are not written
        snapshots: 4
        range-dels: [a,c)@3 [a,c)@6
        input:  b@5=v b@2=w
        output:
        surviving: [a,c)@6

        case ttl: an expired value at the bottom goes; expiry is at exactly ttl
        ttl:    10
        now:    100
        input:  a@5~90=v b@4~91=w
        output: b@4~91=w
        stats:  expired=1 tombstones=1

        case ttl: an expired value above the bottom becomes a tombstone, so nothing older resurfaces
        ttl:    10
        now:    100
        below:  all
        input:  a@5~80=v a@3~70=older
        output: a@5:del
        stats:  expired=1

        case ttl: expired for the newest reader, live for a snapshot, zeroed at the bottom
        ttl:    10
        now:    100
        zero:   yes
        snapshots: 4
        input:  a@5~80=v a@3~95=w
        output: a@5:del a@0~95=w

        case filter: removes by user value, past a timed value's write time, never tombstones
        ttl:    1000
        now:    100
        filter: junk
        below:  all
        input:  a@5~90=junk b@4=junk c@3=keep d@2:del
        output: a@5:del b@4:del c@3=keep d@2:del
        stats:  expired=2
        """);

    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    public static TheoryData<string> CaseNames() => Table.Names();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MoveNext_Case_KeepsWhatTheTableSays(string name)
    {
        var snapshots = Table.Field(name, "snapshots").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ulong.Parse).ToArray();
        string below = Table.Field(name, "below", "nothing");
        var keysBelow = below is "nothing" or "all" ? [] : below.Split(' ').ToHashSet();
        UserKeyPredicate isBase = below switch
        {
            "nothing" => _ => true,
            "all" => _ => false,
            _ => k => !keysBelow.Contains(Encoding.UTF8.GetString(k)),
        };
        var input = new ListIterator(Cmp, Table.Tokens(name, "input").Select(ParseEntry));
        var rangeDels = FragmentedRangeTombstones.Build(Table.Tokens(name, "range-dels").Select(ParseRangeDel), Cmp);
        var stats = new CompactionStats();
        var iter = new CompactionIterator(input, Cmp, snapshots, rangeDels, Policy(name), isBase, stats, zeroSequences: Table.Field(name, "zero") == "yes");

        var output = DrainCheckingFirstOfUserKey(iter);
        Assert.Equal(string.Join(' ', Table.Tokens(name, "output")), string.Join(' ', output));

        var surviving = iter.SurvivingTombstones(bottomMost: below == "nothing")
            .Select(t => $"[{Encoding.UTF8.GetString(t.Begin)},{Encoding.UTF8.GetString(t.End)})@{t.Sequence}");
        Assert.Equal(string.Join(' ', Table.Tokens(name, "surviving")), string.Join(' ', surviving));

        Assert.Equal(Table.Tokens(name, "input").Length, stats.InputEntries);
        Assert.Equal(output.Count, stats.OutputEntries);
        foreach (var counter in Table.Tokens(name, "stats"))
        {
            var (key, value) = (counter.Split('=')[0], long.Parse(counter.Split('=')[1], CultureInfo.InvariantCulture));
            long actual = key switch
            {
                "shadowed" => stats.DroppedShadowed,
                "tombstones" => stats.DroppedTombstones,
                "range" => stats.DroppedByRangeTombstone,
                "expired" => stats.ExpiredOrFiltered,
                _ => throw new ArgumentException($"unknown counter '{key}' in case '{name}'"),
            };
            Assert.True(value == actual, $"{key}: expected {value}, got {actual}");
        }
    }

    /// <summary>Merge operands, snapshots between them, and a key whose newest entries are all dropped.</summary>
    public static TheoryData<string, string, bool> MergeInputs() => new()
    {
        { "a@9+x a@8+y a@7=v b@6+z", "", true },
        { "a@9+x a@8+y a@7=v b@6+z", "8", true },
        { "a@9+x a@5+y a@3+w b@6+z b@2=v", "4 6", false },
        { "a@9+x a@8+y", "", false },
        { "a@9:del a@8+y a@7+q c@1=v", "8", true },
    };

    [Theory]
    [MemberData(nameof(MergeInputs))]
    public void IsFirstOfUserKey_MergedAndStripedOutput_TrueExactlyWhereTheOutputUserKeyChanges(string entries, string snapshotList, bool bottom)
    {
        var parsed = entries.Split(' ').Select(t =>
        {
            int at = t.IndexOf('@');
            int op = t.IndexOfAny(['+', '=', ':'], at);
            var kind = t[op] switch { '+' => ValueKind.Merge, '=' => ValueKind.Value, _ => ValueKind.Deletion };
            var key = InternalKey.Create(Encoding.UTF8.GetBytes(t[..at]), ulong.Parse(t[(at + 1)..op], CultureInfo.InvariantCulture), kind);
            return (key, kind == ValueKind.Deletion ? [] : Encoding.UTF8.GetBytes(t[(op + 1)..]));
        });
        var snapshots = snapshotList.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ulong.Parse).ToArray();
        var policy = new ValuePolicy(null, null, TimeProvider.System, mergeOperator: MergeOperators.StringAppendWith(","u8));
        var iter = new CompactionIterator(new ListIterator(Cmp, parsed), Cmp, snapshots, FragmentedRangeTombstones.Empty, policy, _ => bottom, new CompactionStats());

        Assert.NotEmpty(DrainCheckingFirstOfUserKey(iter));
    }

    /// <summary>
    /// The entries <paramref name="iter"/> returns, described; checks on the way that
    /// <see cref="CompactionIterator.IsFirstOfUserKey"/> holds exactly where the user key differs
    /// from the previous output's (a writer cuts tables only there).
    /// </summary>
    private static List<string> DrainCheckingFirstOfUserKey(CompactionIterator iter)
    {
        var output = new List<string>();
        byte[]? previousUserKey = null;
        while (iter.MoveNext())
        {
            output.Add(Describe(iter.Key, iter.Value));
            bool changed = previousUserKey is null || !iter.UserKey.SequenceEqual(previousUserKey);
            Assert.True(changed == iter.IsFirstOfUserKey, $"output {string.Join(' ', output)}: expected IsFirstOfUserKey {changed} at the last");
            previousUserKey = iter.UserKey.ToArray();
        }
        return output;
    }

    [Fact]
    public void MoveNext_KeyShorterThanItsTrailer_ThrowsCorruption()
    {
        var input = new ListIterator(Cmp, [("abc"u8.ToArray(), "v"u8.ToArray())], sort: false);
        var iter = new CompactionIterator(input, Cmp, [], FragmentedRangeTombstones.Empty, null, _ => true, new CompactionStats());
        Assert.Throws<CorruptionException>(() => iter.MoveNext());
    }

    [Fact]
    public void MoveNext_TimedValueShorterThanItsWriteTime_ThrowsCorruption()
    {
        var input = new ListIterator(Cmp, [(InternalKey.Create("a"u8, 5, ValueKind.TimedValue), new byte[3])]);
        var policy = new ValuePolicy(TimeSpan.FromSeconds(1), null, new ManualClock(DateTimeOffset.UnixEpoch));
        var iter = new CompactionIterator(input, Cmp, [], FragmentedRangeTombstones.Empty, policy, _ => true, new CompactionStats());
        Assert.Throws<CorruptionException>(() => iter.MoveNext());
    }

    private static ValuePolicy? Policy(string name)
    {
        string ttl = Table.Field(name, "ttl"), filter = Table.Field(name, "filter");
        if (ttl.Length == 0 && filter.Length == 0) return null;
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddSeconds(double.Parse(Table.Field(name, "now", "0"), CultureInfo.InvariantCulture)));
        return new ValuePolicy(ttl.Length == 0 ? null : TimeSpan.FromSeconds(double.Parse(ttl, CultureInfo.InvariantCulture)),
            filter.Length == 0 ? null : new RemoveValue(filter), clock);
    }

    /// <summary>Removes entries whose user value is exactly the given text.</summary>
    private sealed class RemoveValue(string value) : CompactionFilter
    {
        public override string Name => "remove-value";

        public override bool ShouldRemove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored) => stored.SequenceEqual(Encoding.UTF8.GetBytes(value));
    }

    [GeneratedRegex(@"^(?<key>[^@~=:]+)@(?<seq>\d+)(?::(?<del>del)|~(?<time>\d+)=(?<timed>.*)|=(?<value>.*))$")]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"^\[(?<begin>[^,]+),(?<end>[^)]+)\)@(?<seq>\d+)$")]
    private static partial Regex RangeDelPattern();

    private static (byte[] Key, byte[] Value) ParseEntry(string token)
    {
        var m = EntryPattern().Match(token);
        if (!m.Success) throw new ArgumentException($"bad entry '{token}'");
        var userKey = Encoding.UTF8.GetBytes(m.Groups["key"].Value);
        ulong seq = ulong.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture);
        if (m.Groups["del"].Success) return (InternalKey.Create(userKey, seq, ValueKind.Deletion), []);
        if (m.Groups["value"].Success) return (InternalKey.Create(userKey, seq, ValueKind.Value), Encoding.UTF8.GetBytes(m.Groups["value"].Value));
        var userValue = Encoding.UTF8.GetBytes(m.Groups["timed"].Value);
        var stored = new byte[8 + userValue.Length];
        BinaryPrimitives.WriteInt64LittleEndian(stored, long.Parse(m.Groups["time"].Value, CultureInfo.InvariantCulture) * 1000);
        userValue.CopyTo(stored, 8);
        return (InternalKey.Create(userKey, seq, ValueKind.TimedValue), stored);
    }

    private static RangeTombstone ParseRangeDel(string token)
    {
        var m = RangeDelPattern().Match(token);
        if (!m.Success) throw new ArgumentException($"bad range tombstone '{token}'");
        return new RangeTombstone(Encoding.UTF8.GetBytes(m.Groups["begin"].Value), Encoding.UTF8.GetBytes(m.Groups["end"].Value),
            ulong.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>An output entry in the table's notation; a tombstone still carrying a value shows it, so the case fails.</summary>
    private static string Describe(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        string head = $"{Encoding.UTF8.GetString(InternalKey.UserKey(key))}@{InternalKey.Sequence(key)}";
        return InternalKey.Kind(key) switch
        {
            ValueKind.Deletion => value.IsEmpty ? head + ":del" : head + ":del=" + Encoding.UTF8.GetString(value),
            ValueKind.Value => head + "=" + Encoding.UTF8.GetString(value),
            ValueKind.TimedValue => $"{head}~{BinaryPrimitives.ReadInt64LittleEndian(value) / 1000}={Encoding.UTF8.GetString(value[8..])}",
            var kind => head + ":" + kind,
        };
    }
}
