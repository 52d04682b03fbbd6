using System.Text.Json;
using LatticeKV.Backup;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>Running <c>lkv backup</c> in tests: expected exit codes with the output in the message, JSON, and the directory's referenced files.</summary>
internal static class BackupToolSupport
{
    public static LkvResult Expect(int exitCode, params string[] args)
    {
        var r = Lkv.Run(args);
        Assert.True(r.ExitCode == exitCode, $"lkv {string.Join(' ', args)}: expected exit {exitCode}\n{r}");
        return r;
    }

    public static LkvResult Ok(params string[] args) => Expect(0, args);

    /// <summary>Runs lkv with <c>--json</c> appended, expecting exit 0, and returns the parsed output.</summary>
    public static JsonElement Json(params string[] args)
    {
        var r = Ok([.. args, "--json"]);
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.Clone();
    }

    public static int[] Ids(JsonElement array) => array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number ? e.GetInt32() : e.GetProperty("id").GetInt32()).ToArray();

    /// <summary>
    /// Every file under the backup directory that is not the lock, a committed descriptor, a
    /// file a committed backup lists, or an archived log of a timeline some backup is on.
    /// </summary>
    public static List<string> UnreferencedFiles(string root)
    {
        var backups = BackupCatalog.Load(new FileSystemBackupStorage(root));
        var wanted = backups.SelectMany(b => b.Files.Select(f => f.StoredPath)).Concat(backups.Select(b => BackupDescriptor.PathOf(b.Id))).Append("LOCK")
            .ToHashSet(StringComparer.Ordinal);
        var timelines = backups.Select(b => b.Timeline).ToHashSet(StringComparer.Ordinal);
        var stray = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            var parts = rel.Split('/');
            bool archived = parts is ["archive", var timeline, var name] && timelines.Contains(timeline) && name.EndsWith(".log", StringComparison.Ordinal);
            if (!wanted.Contains(rel) && !archived) stray.Add(rel);
        }
        return stray;
    }
}
