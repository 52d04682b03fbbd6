using System.CommandLine;
using LatticeKV.Tool.Backups;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv sync-identity --name NAME --out DIR [--days N]</c>: a new sync identity (SyncIdentity.Create
/// and Save). Prints the peer id and the two paths; never the key.
/// </summary>
public static class SyncIdentityCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Identity name: the certificate's common name and the file stem (letters, digits, '-', '_', '.').", Required = true };
        var output = new Option<string>("--out") { Description = "Directory to write NAME.key.pem and NAME.crt.pem to (created if missing; existing files are never overwritten).", Required = true };
        var days = new Option<int>("--days") { Description = "Days the certificate is valid (default 365); peers refuse it afterwards.", DefaultValueFactory = _ => 365 };
        var json = Common.Json();
        var cmd = new Command("sync-identity", "Make a sync identity: a self-signed ECDSA P-256 certificate and its private key. NAME.key.pem (certificate "
            + "and key, mode 0600) stays with the database; NAME.crt.pem goes to the peers, which trust the printed peer id.");
        cmd.Options.Add(name);
        cmd.Options.Add(output);
        cmd.Options.Add(days);
        cmd.Options.Add(json);
        cmd.SetAction(r => Guard.Run(() =>
        {
            int validDays = r.GetValue(days);
            if (validDays <= 0 || validDays > SyncIdentity.MaxValidity.TotalDays)
                throw new UsageException($"--days must be from 1 to {SyncIdentity.MaxValidity.TotalDays:0}.");
            using var identity = SyncIdentity.Create(r.GetValue(name)!, TimeSpan.FromDays(validDays));
            var (keyPath, certPath) = identity.Save(r.GetValue(output)!);
            if (r.GetValue(json))
            {
                BackupJson.Write(new()
                {
                    ["name"] = identity.Name, ["peer_id"] = identity.PeerId, ["key_file"] = keyPath, ["certificate_file"] = certPath,
                    ["not_after"] = BackupJson.Time(identity.NotAfter),
                });
                return ExitCodes.Ok;
            }
            Terminal.Out.MarkupLine($"peer id      [bold]{identity.PeerId}[/]");
            Terminal.Out.MarkupLine($"key file     {Markup.Escape(keyPath)} (private: keep it with the database)");
            Terminal.Out.MarkupLine($"certificate  {Markup.Escape(certPath)} (give it to the peers)");
            Terminal.Out.MarkupLine($"valid until  {BackupJson.Time(identity.NotAfter)}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
