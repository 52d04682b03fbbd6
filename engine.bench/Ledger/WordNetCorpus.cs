using System.Text;

namespace LatticeKV.Bench.Ledger;

/// <summary>
/// Real English text for the search workload: the glosses (definitions and example sentences) of
/// Princeton WordNet 3.0, as Debian's package <c>wordnet-base</c> installs them in
/// <c>/usr/share/wordnet</c> (<c>apt-get install wordnet-base</c>): 117,659 synsets, one
/// document each, its words followed by its gloss.
/// </summary>
public static class WordNetCorpus
{
    public const string DefaultDirectory = "/usr/share/wordnet";

    public static List<(string Id, string Text)> Load(string directory, int max)
    {
        var docs = new List<(string, string)>();
        foreach (string pos in new[] { "noun", "verb", "adj", "adv" })
        {
            string file = Path.Combine(directory, "data." + pos);
            if (!File.Exists(file))
                throw new FileNotFoundException($"WordNet's data files are missing from {directory}: install Debian's wordnet-base (apt-get install wordnet-base) or pass --corpus DIR", file);
            foreach (string line in File.ReadLines(file, Encoding.Latin1))
            {
                if (line.Length == 0 || line[0] == ' ') continue; // the licence header
                int bar = line.IndexOf(" | ", StringComparison.Ordinal);
                if (bar < 0) continue;
                string[] fields = line[..bar].Split(' ');
                // offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id...]
                int words = Convert.ToInt32(fields[3], 16);
                var sb = new StringBuilder();
                for (int w = 0; w < words; w++) sb.Append(fields[4 + 2 * w].Replace('_', ' ')).Append("; ");
                sb.Append(line[(bar + 3)..].Trim());
                docs.Add((pos[0] + fields[0], sb.ToString()));
                if (docs.Count >= max) return docs;
            }
        }
        return docs;
    }

    /// <summary>
    /// Queries drawn from the corpus itself: two words of four letters or more from a random
    /// document (so every query has at least one hit), and for every fourth query the second
    /// word cut to a prefix <c>term*</c>.
    /// </summary>
    public static List<string> Queries(List<(string Id, string Text)> docs, int count, int seed = 7)
    {
        var rng = new Random(seed);
        var queries = new List<string>(count);
        while (queries.Count < count)
        {
            var words = docs[rng.Next(docs.Count)].Text
                .Split([' ', ';', ',', '(', ')', '"', '\'', '.', ':', '!', '?', '-', '`'], StringSplitOptions.RemoveEmptyEntries)
                .Where(w => w.Length >= 4 && w.All(char.IsAsciiLetter)).Select(w => w.ToLowerInvariant()).Distinct().ToList();
            if (words.Count < 2) continue;
            string a = words[rng.Next(words.Count)];
            string b = words[rng.Next(words.Count)];
            if (a == b) continue;
            queries.Add(queries.Count % 4 == 3 ? $"{a} {b[..4]}*" : $"{a} {b}");
        }
        return queries;
    }
}
