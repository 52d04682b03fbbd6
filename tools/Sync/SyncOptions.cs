using System.CommandLine;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Sync;

/// <summary>The options the sync commands share: the identity file, trusted peers, and peers as HOST:PORT@PEERID.</summary>
public static class SyncOptions
{
    public static Option<string> Identity() => new("--identity") { Description = "This database's sync identity: NAME.key.pem from 'lkv sync-identity'.", Required = true };

    public static Option<string[]> Trust() => new("--trust") { Description = "A peer id allowed to connect (repeat for each peer).", AllowMultipleArgumentsPerToken = true };

    /// <summary>Opens the database for sync: its identity set, built-in merge operators resolved (sync applies merges).</summary>
    public static LatticeDb Open(string path, ParseResult r, string identityFile)
    {
        var identity = SyncIdentity.Load(identityFile);
        return Common.Open(path, r, configure: o =>
        {
            o.SyncIdentity = identity;
            o.OpenWithBuiltInMergeOperators = true;
        });
    }

    /// <summary>Parses HOST:PORT@PEERID.</summary>
    public static SyncPeer Peer(string text, string? peerId = null)
    {
        string address = text;
        int at = text.LastIndexOf('@');
        if (at >= 0)
        {
            peerId = text[(at + 1)..];
            address = text[..at];
        }
        if (string.IsNullOrEmpty(peerId)) throw new UsageException($"peer '{text}' needs its peer id: HOST:PORT@PEERID, or --peer-id.");
        try
        {
            var (host, port) = SyncPeer.ParseAddress(address);
            return new SyncPeer(host, port, peerId);
        }
        catch (InvalidArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
