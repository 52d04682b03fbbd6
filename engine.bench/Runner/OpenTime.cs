using System.Diagnostics;
using System.Globalization;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// How long opening an encrypted database takes with each master-key source: the passphrase
/// derivation dominates (the default Argon2id cost, PBKDF2 at 600,000 iterations), against a raw
/// key and an unencrypted open. Median of several opens of a small database, each in turn.
/// </summary>
public static class OpenTime
{
    public static int Run(string[] args)
    {
        int opens = (int)CompareCommand.LongArg(args, "--opens", 7);
        string root = Path.Combine(CompareCommand.StringArg(args, "--dir", Path.GetTempPath()), "lkv-open-time-" + Guid.NewGuid().ToString("N")[..8]);
        var key = new byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(key);
        var cases = new (string Name, Func<EncryptionOptions?> Options)[]
        {
            ("unencrypted", () => null),
            ("raw key (FromKey)", () => EncryptionOptions.FromKey(key)),
            ("passphrase, PBKDF2-SHA256 600,000", () => EncryptionOptions.FromPassphrase("bench passphrase", PassphraseKdf.Pbkdf2Sha256())),
            ("passphrase, Argon2id default (64 MiB, t=3, p=1)", () => EncryptionOptions.FromPassphrase("bench passphrase")),
            ("passphrase, Argon2id OWASP floor (19 MiB, t=2, p=1)", () => EncryptionOptions.FromPassphrase("bench passphrase", PassphraseKdf.Argon2id(19 * 1024, 2))),
        };
        try
        {
            Console.WriteLine("| Master key | median open (ms) | min | max |");
            Console.WriteLine("|---|---:|---:|---:|");
            foreach (var (name, options) in cases)
            {
                string path = Path.Combine(root, new string(name.Where(char.IsLetterOrDigit).ToArray()));
                using (var db = LatticeDb.Open(path, new DbOptions { Encryption = options(), DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = options() is not null } }))
                    for (int i = 0; i < 1000; i++) db.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(i));
                var times = new List<double>();
                for (int i = 0; i < opens; i++)
                {
                    var sw = Stopwatch.StartNew();
                    using (var db = LatticeDb.Open(path, new DbOptions { Encryption = options() })) _ = db.Get(BitConverter.GetBytes(5));
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {times[times.Count / 2]:F0} | {times[0]:F0} | {times[^1]:F0} |"));
            }
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
        return 0;
    }
}
