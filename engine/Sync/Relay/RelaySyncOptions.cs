namespace LatticeKV;

/// <summary>
/// Options of <c>LatticeDb.StartRelaySync</c>: sync through a NATS JetStream stream instead of
/// (or besides) direct connections. Every replica of a sync group publishes its changes to the
/// group's stream and applies the others' from it, with the same idempotence, conflict rules and
/// version vectors as direct sync. Everything published is sealed (AES-256-GCM) under a key the
/// group shares, so the relay stores no plaintext of any family.
/// </summary>
public sealed class RelaySyncOptions
{
    /// <summary>The NATS server, for example <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url { get; set; } = "nats://127.0.0.1:4222";

    /// <summary>The sync group: its stream is <c>LKV_GROUP</c>, its subject <c>lkv.GROUP.changes</c> (letters, digits, '-' and '_').</summary>
    public string Group { get; set; } = "default";

    /// <summary>The group's 32-byte key: every replica of the group has the same one; the relay never sees it.</summary>
    public byte[] GroupKey { get; set; } = [];

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Group) || Group.Length > 64 || !Group.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new InvalidArgumentException("Group must be 1 to 64 letters, digits, '-' or '_'.", nameof(Group));
        if (GroupKey is not { Length: 32 }) throw new InvalidArgumentException("GroupKey must be 32 bytes.", nameof(GroupKey));
        if (!Uri.TryCreate(Url, UriKind.Absolute, out _)) throw new InvalidArgumentException($"'{Url}' is not a NATS URL.", nameof(Url));
    }
}
