using System.Globalization;
using LatticeKV.Manifest;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Manifest;

/// <summary>
/// Edits applied to a base version, case by case from the table below. <c>base</c> is a tree
/// and files in <see cref="LevelFixture"/>'s notation; <c>edits</c> are separated by <c>|</c>,
/// each a list of <c>+L1=file</c> (add) and <c>-L1=N</c> (delete). <c>result</c> lists the
/// file numbers of each level in the built version's order; <c>error</c> is what the
/// <see cref="CorruptionException"/> must say instead.
/// </summary>
public class VersionBuilderTests
{
    private const int NumLevels = 4;

    private static readonly CaseTable Table = new("""
        case adds across levels in one edit
        edits:  +L1=3:a-b +L2=4:a-z
        result: L1: 3; L2: 4

        case deletes from the base
        base:   L1: 1:a-b 2:c-d
        edits:  -L1=1
        result: L1: 2

        case a file added and deleted in a later edit is gone
        base:   L1: 1:a-b
        edits:  +L1=5:c-d | -L1=5
        result: L1: 1

        case a move: one edit deletes a number at one level and adds it at the next, as a trivial move does
        base:   L1: 1:a-b
        edits:  -L1=1 +L2=1:a-b
        result: L2: 1

        case levels above 0 are sorted by smallest key, whatever order files came in
        base:   L1: 1:m-n
        edits:  +L1=2:x-y +L1=3:a-b | +L1=4:c-d
        result: L1: 3 4 1 2

        case level 0 is ordered newest first: by largest sequence, then by number, and may overlap
        edits:  +L0=1:a-z@5 +L0=2:a-z@9 +L0=3:b-c@9 +L0=4:a-z@7
        result: L0: 3 2 4 1

        case two files may share a user key when the newer version is in the first
        edits:  +L1=1:a-c@9 +L1=2:c@5-e
        result: L1: 1 2

        case a range-end sentinel is exclusive: a file may start at the key where the previous one ends
        edits:  +L1=1:a-c) +L1=2:c@9-e
        result: L1: 1 2

        case sharing a user key with the older version in the first file is an overlap
        edits:  +L1=1:a-c@5 +L1=2:c@9-e
        error:  files 1 and 2 overlap at level 1

        case overlapping files above level 0 are rejected at build
        base:   L2: 1:a-m
        edits:  +L2=2:k-z
        error:  files 1 and 2 overlap at level 2

        case deleting a file the version does not hold
        base:   L1: 1:a-b
        edits:  -L1=7
        error:  deletes file 7 at level 1

        case deleting a file from the wrong level
        base:   L1: 1:a-b
        edits:  -L2=1
        error:  deletes file 1 at level 2

        case deleting a file twice
        base:   L1: 1:a-b
        edits:  -L1=1 | -L1=1
        error:  deletes file 1 at level 1

        case adding a file the version holds at another level
        base:   L1: 1:a-b
        edits:  +L3=1:x-y
        error:  adds file 1 twice

        case adding one number twice in one edit
        edits:  +L1=1:a-b +L2=1:c-d
        error:  adds file 1 twice
        """);

    public static TheoryData<string> CaseNames() => Table.Names();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ApplyThenBuild_Case_GivesWhatTheTableSays(string name)
    {
        var baseVersion = LevelFixture.Version(Table.Field(name, "base"), NumLevels);
        string baseBefore = LevelFixture.Describe(baseVersion);
        var builder = new VersionBuilder(LevelFixture.Cmp, baseVersion, NumLevels);
        var edits = Edits(Table.Field(name, "edits"));

        string error = Table.Field(name, "error");
        if (error.Length > 0)
        {
            var ex = Assert.Throws<CorruptionException>(() =>
            {
                foreach (var edit in edits) builder.Apply(edit);
                builder.Build(null);
            });
            Assert.Contains(error, ex.Message, StringComparison.Ordinal);
        }
        else
        {
            foreach (var edit in edits) builder.Apply(edit);
            var built = builder.Build(null);
            Assert.Equal(Table.Field(name, "result"), LevelFixture.Describe(built));
            Assert.Equal(NumLevels, built.NumLevels);
        }
        Assert.Equal(baseBefore, LevelFixture.Describe(baseVersion));
    }

    [Fact]
    public void Build_Twice_GivesIndependentVersionsOfTheSameFiles()
    {
        var builder = new VersionBuilder(LevelFixture.Cmp, null, NumLevels);
        builder.Apply(Edits("+L1=1:a-b")[0]);
        var first = builder.Build(null);
        builder.Apply(Edits("+L1=2:c-d")[0]);
        var second = builder.Build(null);
        Assert.Equal("L1: 1", LevelFixture.Describe(first));
        Assert.Equal("L1: 1 2", LevelFixture.Describe(second));
        Assert.Same(first.Files(1)[0], second.Files(1)[0]);
    }

    private static List<VersionEdit> Edits(string text)
    {
        var edits = new List<VersionEdit>();
        long next = 1;
        foreach (var part in text.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var edit = new VersionEdit();
            foreach (var token in part.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = token.IndexOf('=', StringComparison.Ordinal);
                if (token.Length < 4 || token[1] != 'L' || eq < 0) throw new ArgumentException($"bad edit '{token}'");
                int level = int.Parse(token[2..eq], CultureInfo.InvariantCulture);
                string file = token[(eq + 1)..];
                if (token[0] == '+') edit.AddFile(level, LevelFixture.File(file, ref next));
                else edit.DeleteFile(level, long.Parse(file, CultureInfo.InvariantCulture));
            }
            edits.Add(edit);
        }
        return edits;
    }
}
