using System.CommandLine;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv change-passphrase DB</c>: rewraps the key registry under a new master key (LatticeDb.ChangeMasterKey).</summary>
public static class ChangePassphraseCommand
{
    /// <summary>The new passphrase when neither new-key option is given.</summary>
    public const string NewPassphraseVariable = "LKV_NEW_PASSPHRASE";

    public static Command Create()
    {
        var db = Common.Db();
        var newPassphrase = new Option<string?>("--new-passphrase-file")
        {
            Description = "Read the new passphrase from this file (one trailing newline is dropped). Default: $" + NewPassphraseVariable + ".",
        };
        var newKey = new Option<string?>("--new-key-file") { Description = "Use the 32-byte key in this file (32 raw bytes, or 64 hex digits) as the new master key instead of a passphrase." };
        var cmd = new Command("change-passphrase", "Change the master key of an encrypted database: the current one comes from --passphrase-file, --key-file or $"
            + KeyOptions.PassphraseVariable + "; the new one from --new-passphrase-file, --new-key-file or $" + NewPassphraseVariable
            + ". Only the key registry is rewritten; afterwards the old passphrase or key no longer opens the database.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(newPassphrase);
        cmd.Options.Add(newKey);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string? passphraseFile = r.GetValue(newPassphrase), keyFile = r.GetValue(newKey);
            if (passphraseFile is not null && keyFile is not null) throw new UsageException("give either --new-passphrase-file or --new-key-file, not both.");
            // The new key is read before the database is touched: a bad one changes nothing.
            var replacement = keyFile is not null ? KeyOptions.FromKeyFile(keyFile, "--new-key-file")
                : passphraseFile is not null ? EncryptionOptions.FromPassphrase(KeyOptions.ReadPassphrase(passphraseFile, "--new-passphrase-file"))
                : Environment.GetEnvironmentVariable(NewPassphraseVariable) is { Length: > 0 } p ? EncryptionOptions.FromPassphrase(p)
                : throw new UsageException($"give the new passphrase with --new-passphrase-file or ${NewPassphraseVariable}, or a new key with --new-key-file.");
            using var database = Common.Open(r.GetValue(db)!, r);
            database.ChangeMasterKey(replacement);
            Terminal.Out.MarkupLine(Markup.Escape($"master key changed: the database now opens with the new {replacement} only."));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
