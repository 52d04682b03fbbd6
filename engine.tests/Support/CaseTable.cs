using System.Text.RegularExpressions;

namespace LatticeKV.Tests.Support;

/// <summary>
/// Test cases written as a text table in the test file: each case is a block opening with
/// "case NAME", then "field: value" lines (runs of spaces in a value collapse to one).
/// Unit tests keep the inputs and the expected outputs side by side, as pebble's testdata does.
/// </summary>
internal sealed partial class CaseTable
{
    private readonly Dictionary<string, Dictionary<string, string>> _cases = new(StringComparer.Ordinal);

    public CaseTable(string table)
    {
        Dictionary<string, string>? current = null;
        foreach (var raw in table.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith("case ", StringComparison.Ordinal))
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                _cases.Add(line[5..], current);
                continue;
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (current is null || colon < 0) throw new ArgumentException($"bad table line '{line}'");
            current.Add(line[..colon], Spaces().Replace(line[(colon + 1)..].Trim(), " "));
        }
    }

    /// <summary>The case names, for a theory's MemberData.</summary>
    public TheoryData<string> Names() => [.. _cases.Keys];

    /// <summary>A field of a case, or <paramref name="fallback"/> when the case does not give it.</summary>
    public string Field(string name, string field, string fallback = "") => _cases[name].GetValueOrDefault(field, fallback);

    /// <summary>A field split at spaces.</summary>
    public string[] Tokens(string name, string field) => Field(name, field).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
