using System.Globalization;

namespace LatticeKV.Bench.Engines;

/// <summary>Formats an LSM tree's files per level from an engine's per-level property.</summary>
internal static class LevelShape
{
    public static string Describe(Func<int, string?> filesAtLevel)
    {
        var parts = new List<string>();
        for (int level = 0; level < 7; level++)
        {
            if (!int.TryParse(filesAtLevel(level), NumberStyles.None, CultureInfo.InvariantCulture, out int files)) break;
            if (files > 0) parts.Add($"L{level} {files}");
        }
        return parts.Count == 0 ? "empty" : string.Join(", ", parts);
    }
}
