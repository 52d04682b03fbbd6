using LatticeKV.Coding;
using LatticeKV.Replication;

namespace LatticeKV.Sync;

/// <summary>
/// The sync protocol's frame payloads (FORMAT.md §17), read as untrusted: anything malformed is a
/// <see cref="SyncProtocolException"/> and the session ends with nothing of that frame applied.
/// <code>
/// Pull:    format:u8 (1) | flags:u8 (1 follow, 2 resync) | cursor:u64 | version vector (what the puller has)
/// Snapshot: format:u8 (1) | version vector (the sender's, at the snapshot) | the rest as Changes (flag 1: the snapshot is complete)
/// Resync:  format:u8 (1) | oldest cursor:u64 (the sender's log starts after it)
/// Changes: format:u8 (1) | flags:u8 (1 caught up) | through:u64 | count:varint32 | count x change
/// change:  position:varint64 (in the sender's log) | origin:16 | origin_sequence:varint64 | timestamp:u64 | family: lp UTF-8 | operation:u8 | key: lp | [value: lp, not for Delete] | context: version vector
/// Ack:     format:u8 (1) | through:u64
/// Attestation (protocol version 2): format:u8 (1) | step:u8 (1 seen, 2 claim) | name: lp UTF-8 (1..64 bytes) | body: lp (at most 1 MiB)
/// </code>
/// </summary>
internal static class SyncMessages
{
    private const byte Format = 1;
    private const int MaxChanges = 1 << 20;

    internal sealed record Pull(bool Follow, ulong Cursor, VersionVector Has, bool Resync = false);

    internal sealed record ChangeBatch(bool CaughtUp, ulong Through, List<RemoteChange> Changes);

    public static byte[] EncodePull(Pull pull)
    {
        var w = new ByteWriter(64);
        w.WriteByte(Format);
        w.WriteByte((byte)((pull.Follow ? 1 : 0) | (pull.Resync ? 2 : 0)));
        w.WriteUInt64(pull.Cursor);
        pull.Has.Encode(w);
        return w.ToArray();
    }

    public static Pull DecodePull(ReadOnlySpan<byte> payload) => Decode(payload, "Pull", static (ref SpanReader r) =>
    {
        byte flags = r.ReadByte();
        if ((flags & ~3) != 0) throw new CorruptionException($"unknown Pull flags {flags}");
        return new Pull((flags & 1) != 0, r.ReadUInt64(), VersionVector.Read(ref r), (flags & 2) != 0);
    });

    public static void EncodeSnapshot(ByteWriter w, VersionVector senderHas, bool complete, ulong through, IReadOnlyList<RemoteChange> changes)
    {
        w.Clear();
        w.WriteByte(Format);
        senderHas.Encode(w);
        WriteChanges(w, complete, through, changes);
    }

    public static (VersionVector SenderHas, ChangeBatch Batch) DecodeSnapshot(ReadOnlySpan<byte> payload) => Decode(payload, "Snapshot", static (ref SpanReader r) =>
    {
        var has = VersionVector.Read(ref r);
        return (has, ReadChanges(ref r, snapshot: true));
    });

    public static byte[] EncodeResync(ulong oldest)
    {
        var w = new ByteWriter(9);
        w.WriteByte(Format);
        w.WriteUInt64(oldest);
        return w.ToArray();
    }

    public static ulong DecodeResync(ReadOnlySpan<byte> payload) => Decode(payload, "Resync", static (ref SpanReader r) => r.ReadUInt64());

    public static void EncodeChanges(ByteWriter w, bool caughtUp, ulong through, IReadOnlyList<RemoteChange> changes)
    {
        w.Clear();
        w.WriteByte(Format);
        WriteChanges(w, caughtUp, through, changes);
    }

    private static void WriteChanges(ByteWriter w, bool caughtUp, ulong through, IReadOnlyList<RemoteChange> changes)
    {
        WriteChangesHead(w, caughtUp, through, changes.Count);
        var family = new FamilyBytes();
        foreach (var c in changes)
            WriteChange(w, c.SourcePosition, c.Origin, c.OriginSequence, c.Timestamp, family.Of(c.ColumnFamily), c.Operation, c.Key, c.Value, c.Context);
    }

    private static void WriteChangesHead(ByteWriter w, bool caughtUp, ulong through, int count)
    {
        w.WriteByte(caughtUp ? (byte)1 : (byte)0);
        w.WriteUInt64(through);
        w.WriteVarint((uint)count);
    }

    private static void WriteChange(ByteWriter w, ulong position, Guid origin, ulong sequence, ulong timestamp, ReadOnlySpan<byte> family, ChangeOperation operation,
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, VersionVector context)
    {
        w.WriteVarint(position);
        origin.TryWriteBytes(w.GetSpan(16));
        w.Advance(16);
        w.WriteVarint(sequence);
        w.WriteUInt64(timestamp);
        w.WriteLengthPrefixed(family);
        w.WriteByte((byte)operation);
        w.WriteLengthPrefixed(key);
        if (operation != ChangeOperation.Delete) w.WriteLengthPrefixed(value);
        context.Encode(w);
    }

    /// <summary>A family name's UTF-8 bytes, made once per run of changes of one family.</summary>
    private sealed class FamilyBytes
    {
        private string? _name;
        private byte[] _bytes = [];

        public byte[] Of(string name)
        {
            if (!ReferenceEquals(name, _name)) _bytes = System.Text.Encoding.UTF8.GetBytes(_name = name);
            return _bytes;
        }
    }

    /// <summary>
    /// A Changes payload encoded as a <see cref="ChangeStreamReader"/> reads the changes (the same
    /// bytes as <see cref="EncodeChanges"/> of them): <see cref="Begin"/>, the reader's changes,
    /// then <see cref="Finish"/>. One frame at a time.
    /// </summary>
    internal sealed class ChangesEncoder : IChangeSink
    {
        private readonly ByteWriter _entries = new(64 << 10);
        private readonly FamilyBytes _family = new();

        /// <summary>The changes taken since <see cref="Begin"/>.</summary>
        public int Count { get; private set; }

        public void Begin()
        {
            _entries.Clear();
            Count = 0;
        }

        public void Add(in ChangeView c)
        {
            WriteChange(_entries, c.SourcePosition, c.Origin, c.OriginSequence, c.Timestamp, _family.Of(c.ColumnFamily), c.Operation, c.Key, c.Value, c.Context);
            Count++;
        }

        /// <summary>Writes the payload into <paramref name="w"/> (cleared first): the head, then the changes taken.</summary>
        public void Finish(ByteWriter w, bool caughtUp, ulong through)
        {
            w.Clear();
            w.WriteByte(Format);
            WriteChangesHead(w, caughtUp, through, Count);
            w.Write(_entries.WrittenSpan);
        }
    }

    public static ChangeBatch DecodeChanges(ReadOnlySpan<byte> payload) => Decode(payload, "Changes", static (ref SpanReader r) => ReadChanges(ref r, snapshot: false));

    private static ChangeBatch ReadChanges(ref SpanReader r, bool snapshot)
    {
        byte flags = r.ReadByte();
        if ((flags & ~1) != 0) throw new CorruptionException($"unknown Changes flags {flags}");
        ulong through = r.ReadUInt64();
        int count = r.ReadVarintInt(MaxChanges);
        var changes = new List<RemoteChange>(Math.Min(count, 4096));
        ulong previous = 0;
        // Consecutive changes mostly share their family and their context (a run of one origin's
        // changes): the bytes are compared with the previous change's and its objects reused.
        // Contexts are never changed once decoded, so sharing one is safe.
        string family = "";
        ReadOnlySpan<byte> familyBytes = default;
        VersionVector? context = null;
        ReadOnlySpan<byte> contextBytes = default;
        for (int i = 0; i < count; i++)
        {
            ulong position = r.ReadVarint();
            // A snapshot's entries all stand at the snapshot's position; a log's are in order.
            if (snapshot ? position != through : position <= previous || position > through)
                throw new CorruptionException($"change position {position} out of order (after {previous}, through {through})");
            previous = position;
            var origin = new Guid(r.Take(16));
            ulong sequence = r.ReadVarint();
            ulong timestamp = r.ReadUInt64();
            // Observed into this replica's clock and stamped on its conflict records: one past the
            // calendar's end would make them unreadable, and the clock's next reading wrap.
            if (!HybridClock.IsWithinCalendar(timestamp)) throw new CorruptionException("a change stamped past the calendar's end");
            var familyRead = r.ReadLengthPrefixed();
            if (family.Length == 0 || !familyRead.SequenceEqual(familyBytes))
            {
                family = System.Text.Encoding.UTF8.GetString(familyRead);
                familyBytes = familyRead;
            }
            var operation = (ChangeOperation)r.ReadByte();
            if (operation is not (ChangeOperation.Put or ChangeOperation.Delete or ChangeOperation.Merge)) throw new CorruptionException($"unknown operation {(byte)operation}");
            // A snapshot carries each key's current value: a merge there would be applied as an operand, once per copy.
            if (snapshot && operation == ChangeOperation.Merge) throw new CorruptionException("a snapshot entry that is a merge");
            var key = r.ReadLengthPrefixed();
            if (key.IsEmpty || key.Length > ReplicationStage.MaxKeySize) throw new CorruptionException($"a key of {key.Length} bytes");
            byte[]? value = operation == ChangeOperation.Delete ? null : r.ReadLengthPrefixed().ToArray();
            if (sequence == 0 || family.Length == 0) throw new CorruptionException("a change without origin sequence or family");
            var contextRead = VersionVector.Delimit(ref r);
            if (context is null || !contextRead.SequenceEqual(contextBytes))
            {
                context = VersionVector.Decode(contextRead);
                contextBytes = contextRead;
            }
            changes.Add(new RemoteChange
            {
                Origin = origin,
                OriginSequence = sequence,
                Timestamp = timestamp,
                ColumnFamily = family,
                Operation = operation,
                Key = key.ToArray(),
                Value = value,
                Context = context,
                SourcePosition = position,
            });
        }
        return new ChangeBatch((flags & 1) != 0, through, changes);
    }

    public static byte[] EncodeAck(ulong through)
    {
        var w = new ByteWriter(9);
        w.WriteByte(Format);
        w.WriteUInt64(through);
        return w.ToArray();
    }

    public static ulong DecodeAck(ReadOnlySpan<byte> payload) => Decode(payload, "Ack", static (ref SpanReader r) => r.ReadUInt64());

    /// <summary>One step of an attestation (<see cref="ISyncAttestor"/>): what the sender saw of the receiver's history, or its claim about its own.</summary>
    internal sealed record Attestation(AttestationStep Step, string Name, byte[] Body);

    internal enum AttestationStep : byte
    {
        // Wire format: do not renumber.
        Seen = 1,
        Claim = 2,
    }

    internal const int MaxAttestorName = 64;
    internal const int MaxAttestationBody = 1 << 20;

    public static byte[] EncodeAttestation(Attestation attestation)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(attestation.Name);
        if (name.Length is 0 or > MaxAttestorName) throw new InvalidArgumentException($"An attestor's name must be 1 to {MaxAttestorName} bytes of UTF-8.", nameof(attestation));
        if (attestation.Body.Length > MaxAttestationBody) throw new InvalidArgumentException($"An attestation body is at most {MaxAttestationBody} bytes.", nameof(attestation));
        var w = new ByteWriter(8 + name.Length + attestation.Body.Length);
        w.WriteByte(Format);
        w.WriteByte((byte)attestation.Step);
        w.WriteLengthPrefixed(name);
        w.WriteLengthPrefixed(attestation.Body);
        return w.ToArray();
    }

    public static Attestation DecodeAttestation(ReadOnlySpan<byte> payload) => Decode(payload, "Attestation", static (ref SpanReader r) =>
    {
        var step = (AttestationStep)r.ReadByte();
        if (step is not (AttestationStep.Seen or AttestationStep.Claim)) throw new CorruptionException($"unknown attestation step {(byte)step}");
        var name = r.ReadLengthPrefixed();
        if (name.Length is 0 or > MaxAttestorName) throw new CorruptionException($"an attestor name of {name.Length} bytes");
        string text;
        try { text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(name); }
        catch (System.Text.DecoderFallbackException) { throw new CorruptionException("an attestor name that is not UTF-8"); }
        var body = r.ReadLengthPrefixed();
        if (body.Length > MaxAttestationBody) throw new CorruptionException($"an attestation body of {body.Length} bytes");
        return new Attestation(step, text, body.ToArray());
    });

    private delegate T Reader<T>(ref SpanReader r);

    private static T Decode<T>(ReadOnlySpan<byte> payload, string what, Reader<T> read)
    {
        try
        {
            var r = new SpanReader(payload);
            if (r.ReadByte() != Format) throw new CorruptionException($"unknown {what} format");
            var result = read(ref r);
            if (!r.IsEmpty) throw new CorruptionException($"{r.Remaining} bytes after the {what} message");
            return result;
        }
        catch (CorruptionException ex)
        {
            throw new SyncProtocolException($"malformed {what} frame: {ex.Message}");
        }
    }
}
