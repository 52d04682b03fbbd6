using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Indexes;

/// <summary>
/// <c>lkv index create DB NAME --json-field PATH ...</c>: creates an index and, unless
/// <c>--no-wait</c>, waits for its build, printing "backfilled N" lines as it goes (an
/// interrupted build resumes the next time the database is opened).
/// </summary>
public static class IndexCreateCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var name = new Argument<string>("name") { Description = "The index's name." };
        var cf = Common.ColumnFamily();
        var jsonField = new Option<string[]>("--json-field") { Description = "A dotted JSON path of the value ($.account); give several for a composite key.", AllowMultipleArgumentsPerToken = false };
        var keyBytes = new Option<string?>("--key-bytes") { Description = "Bytes of the primary key: OFFSET or OFFSET:LENGTH." };
        var valueBytes = new Option<string?>("--value-bytes") { Description = "Bytes of the value: OFFSET or OFFSET:LENGTH." };
        var text = new Option<string?>("--text") { Description = "A full-text index of the string at this JSON path ('' for the whole value)." };
        var unique = new Option<bool>("--unique") { Description = "At most one primary key per index key." };
        var rate = new Option<int?>("--rate") { Description = "Index at most this many existing entries per second." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return at once; the build goes on while the database is open, and resumes at the next open." };
        var cmd = new Command("create", "Create an index and build it over the existing data.");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(name);
        foreach (var o in new Option[] { cf, jsonField, keyBytes, valueBytes, text, unique, rate, noWait }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var parts = new List<IndexExtractor>();
            foreach (var path in r.GetValue(jsonField) ?? []) parts.Add(IndexExtractors.JsonField(path));
            if (r.GetValue(keyBytes) is { } k) parts.Add(Range(k, IndexExtractors.KeyBytes, "--key-bytes"));
            if (r.GetValue(valueBytes) is { } v) parts.Add(Range(v, IndexExtractors.ValueBytes, "--value-bytes"));
            if (r.GetValue(text) is { } t)
            {
                if (parts.Count > 0) throw new UsageException("--text cannot be combined with other key parts.");
                parts.Add(IndexExtractors.Text(t.Length == 0 ? null : t));
            }
            if (parts.Count == 0) throw new UsageException("Say what to index: --json-field, --key-bytes, --value-bytes or --text.");
            var definition = new IndexDefinition
            {
                Name = r.GetValue(name)!,
                Extractor = parts.Count == 1 ? parts[0] : IndexExtractors.Composite([.. parts]),
                Unique = r.GetValue(unique),
                BackfillEntriesPerSecond = r.GetValue(rate),
            };
            using var database = Common.Open(r.GetValue(db)!, r);
            var index = database.CreateIndex(Common.Family(database, r.GetValue(cf)), definition);
            if (r.GetValue(noWait)) return ExitCodes.Ok;
            return WaitForBuild(index);
        }));
        return cmd;
    }

    /// <summary>Waits for the build, printing progress on standard output (a parent process may watch it).</summary>
    public static int WaitForBuild(IndexHandle index)
    {
        long reported = -1;
        while (!index.WaitUntilReady(TimeSpan.FromMilliseconds(100)))
        {
            long done = index.Index.Backfilled;
            if (done == reported) continue;
            reported = done;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"backfilled {done}"));
            Console.Out.Flush();
        }
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"index {index.Name} {index.State.ToString().ToLowerInvariant()}"));
        if (index.State == IndexState.Failed) throw new ExitException($"index '{index.Name}' failed to build: existing data breaks its unique constraint.", ExitCodes.Usage);
        return ExitCodes.Ok;
    }

    private static IndexExtractor Range(string text, Func<int, int?, IndexExtractor> make, string option)
    {
        var parts = text.Split(':');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int offset))
            throw new UsageException($"{option} must be OFFSET or OFFSET:LENGTH.");
        int? length = null;
        if (parts.Length == 2)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)) throw new UsageException($"{option} must be OFFSET or OFFSET:LENGTH.");
            length = n;
        }
        return make(offset, length);
    }
}
