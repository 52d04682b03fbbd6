using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LatticeKV.Ledger;

/// <summary>
/// A signed statement of a ledger's Merkle tree: its origin (the ledger's name), size, root
/// hash and time, signed with ECDSA P-256. Its text form (<see cref="ToString"/>,
/// <see cref="Parse"/>) is a C2SP signed note carrying a tlog-checkpoint body (FORMAT.md §22.3):
/// <code>
/// example.org/ledger
/// 8
/// XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=
/// timestamp 1765000000000
///
/// — example.org/ledger BASE64(key id ‖ DER signature)
/// </code>
/// A parsed checkpoint is untrusted until <see cref="Verify(ReadOnlySpan{byte})"/> returns
/// true for a key the reader trusts. Immutable and thread-safe.
/// </summary>
public sealed class LedgerCheckpoint
{
    /// <summary>C2SP signed-note signature type of ECDSA signatures (key id = SHA-256 of the SPKI public key, first 4 bytes).</summary>
    private const byte SignatureType = 0x02;
    private const string TimestampPrefix = "timestamp ";
    private const string SignaturePrefix = "\u2014 ";

    /// <summary>Longest accepted text form; a checkpoint is a few hundred bytes.</summary>
    public const int MaxTextLength = 4096;

    // DER encoding of a P-256 signature: at most 72 bytes.
    private const int MaxSignatureSize = 72;

    private readonly byte[] _rootHash;
    private readonly byte[] _signature;

    private LedgerCheckpoint(string origin, long treeSize, byte[] rootHash, long unixMilliseconds, string keyName, uint keyId, byte[] signature)
    {
        Origin = origin;
        TreeSize = treeSize;
        _rootHash = rootHash;
        UnixMilliseconds = unixMilliseconds;
        KeyName = keyName;
        KeyId = keyId;
        _signature = signature;
    }

    /// <summary>The ledger the checkpoint speaks for (the note's first line).</summary>
    public string Origin { get; }

    /// <summary>Number of leaves of the tree.</summary>
    public long TreeSize { get; }

    /// <summary>RFC 9162 root hash of the first <see cref="TreeSize"/> leaves (a copy).</summary>
    public byte[] RootHash => (byte[])_rootHash.Clone();

    /// <summary>When the checkpoint was signed (millisecond precision, UTC).</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(UnixMilliseconds);

    /// <summary>Name of the signing key (the signature line's key name).</summary>
    public string KeyName { get; }

    /// <summary>C2SP key id: the first four bytes, big-endian, of SHA-256 of the signer's SubjectPublicKeyInfo.</summary>
    public uint KeyId { get; }

    /// <summary>The DER-encoded ECDSA P-256 signature over the note text (a copy).</summary>
    public byte[] Signature => (byte[])_signature.Clone();

    internal long UnixMilliseconds { get; }

    /// <summary>The signed note text: origin, size, root and timestamp lines, each ending in a newline.</summary>
    internal string NoteText => NoteTextOf(Origin, TreeSize, _rootHash, UnixMilliseconds);

    /// <summary>The C2SP key id of a P-256 public key in SubjectPublicKeyInfo form.</summary>
    public static uint KeyIdOf(ReadOnlySpan<byte> subjectPublicKeyInfo)
        => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>Parses the text form; throws <see cref="InvalidArgumentException"/> when it is not a well-formed checkpoint (the signature is not checked).</summary>
    public static LedgerCheckpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var checkpoint, out string? error)
            ? checkpoint
            : throw new InvalidArgumentException("not a ledger checkpoint: " + error, nameof(text));
    }

    /// <summary>Parses the text form; false when it is not a well-formed checkpoint (the signature is not checked).</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LedgerCheckpoint? checkpoint)
        => TryParse(text, out checkpoint, out _);

    /// <summary>True when the signature verifies with the P-256 public key <paramref name="subjectPublicKeyInfo"/> (DER SubjectPublicKeyInfo) and its key id matches.</summary>
    public bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        if (subjectPublicKeyInfo.IsEmpty || KeyIdOf(subjectPublicKeyInfo) != KeyId) return false;
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out int read);
            return read == subjectPublicKeyInfo.Length && VerifyWith(key);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>True when the signature verifies with <paramref name="publicKey"/> (a P-256 key) and its key id matches.</summary>
    public bool Verify(ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        try
        {
            return Verify(publicKey.ExportSubjectPublicKeyInfo());
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The signed note text form (FORMAT.md §22.3).</summary>
    public override string ToString()
    {
        Span<byte> sig = stackalloc byte[4 + _signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(sig, KeyId);
        _signature.CopyTo(sig[4..]);
        return NoteText + "\n" + SignaturePrefix + KeyName + " " + Convert.ToBase64String(sig) + "\n";
    }

    /// <summary>Signs a checkpoint with the P-256 private key <paramref name="key"/>.</summary>
    internal static LedgerCheckpoint Sign(string origin, long treeSize, ReadOnlySpan<byte> rootHash, DateTimeOffset timestamp, string keyName, ECDsa key)
    {
        if (!IsValidName(origin)) throw new InvalidArgumentException("a checkpoint origin is one line of printable text without leading or trailing spaces", nameof(origin));
        if (!IsValidName(keyName) || keyName.Contains(' ', StringComparison.Ordinal) || keyName.Contains('+', StringComparison.Ordinal))
            throw new InvalidArgumentException("a checkpoint key name is printable text without spaces or '+'", nameof(keyName));
        if (treeSize < 0) throw new InvalidArgumentException("a tree size is not negative", nameof(treeSize));
        if (rootHash.Length != MerkleProof.HashSize) throw new InvalidArgumentException("a root hash has 32 bytes", nameof(rootHash));
        if (key.KeySize != 256) throw new InvalidArgumentException("checkpoints are signed with P-256 keys", nameof(key));
        long ms = timestamp.ToUnixTimeMilliseconds();
        if (ms < 0) throw new InvalidArgumentException("a checkpoint's time is after 1970", nameof(timestamp));
        var root = rootHash.ToArray();
        byte[] signature = key.SignData(Encoding.UTF8.GetBytes(NoteTextOf(origin, treeSize, root, ms)), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new LedgerCheckpoint(origin, treeSize, root, ms, keyName, KeyIdOf(key.ExportSubjectPublicKeyInfo()), signature);
    }

    /// <summary>The RFC 9162 root hash without a copy, for comparisons.</summary>
    internal ReadOnlySpan<byte> Root => _rootHash;

    private bool VerifyWith(ECDsa key)
        => key.KeySize == 256
           && key.VerifyData(Encoding.UTF8.GetBytes(NoteText), _signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    private static string NoteTextOf(string origin, long treeSize, byte[] rootHash, long unixMilliseconds)
        => string.Create(CultureInfo.InvariantCulture, $"{origin}\n{treeSize}\n{Convert.ToBase64String(rootHash)}\n{TimestampPrefix}{unixMilliseconds}\n");

    private static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LedgerCheckpoint? checkpoint, out string? error)
    {
        checkpoint = null;
        if (text is null)
        {
            error = "no text";
            return false;
        }
        error = Check(text.Length <= MaxTextLength, $"longer than {MaxTextLength} characters")
            ?? Check(text.EndsWith('\n'), "the last line does not end in a newline");
        if (error is not null) return false;
        int split = text.LastIndexOf("\n\n", StringComparison.Ordinal);
        if ((error = Check(split > 0 && split + 2 < text.Length, "no blank line between the note text and a signature")) is not null) return false;
        var body = text[..(split + 1)].Split('\n');
        var signatures = text[(split + 2)..^1].Split('\n');
        error = Check(body.Length == 5, "the note text is not four lines (origin, size, root hash, timestamp)")
            ?? Check(signatures.Length == 1, "not exactly one signature line");
        if (error is not null) return false;

        string origin = body[0];
        long size = 0, ms = 0;
        byte[]? root = null;
        string? keyName = null;
        byte[]? sig = null;
        error = Check(IsValidName(origin), "the origin line is empty or not printable")
            ?? Check(TryParseDecimal(body[1], out size), "the size line is not a decimal number")
            ?? Check(TryParseHash(body[2], out root), "the root line is not a base64 32-byte hash")
            ?? Check(body[3].StartsWith(TimestampPrefix, StringComparison.Ordinal) && TryParseDecimal(body[3][TimestampPrefix.Length..], out ms), "the timestamp line is malformed")
            ?? Check(ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds(), "the timestamp is out of range")
            ?? Check(TryParseSignatureLine(signatures[0], out keyName, out sig), "the signature line is malformed");
        if (error is not null) return false;
        checkpoint = new LedgerCheckpoint(origin, size, root!, ms, keyName!, BinaryPrimitives.ReadUInt32BigEndian(sig!), sig![4..]);
        return true;
    }

    private static string? Check(bool condition, string error) => condition ? null : error;

    private static bool TryParseSignatureLine(string line, out string? keyName, out byte[]? signature)
    {
        keyName = null;
        signature = null;
        if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal)) return false;
        var parts = line[SignaturePrefix.Length..].Split(' ');
        if (parts.Length != 2 || !IsValidName(parts[0]) || parts[0].Contains('+', StringComparison.Ordinal)) return false;
        if (!TryDecodeCanonical(parts[1], out var bytes) || bytes.Length <= 4 || bytes.Length > 4 + MaxSignatureSize) return false;
        keyName = parts[0];
        signature = bytes;
        return true;
    }

    private static bool TryParseHash(string line, out byte[]? hash)
    {
        hash = null;
        if (!TryDecodeCanonical(line, out var bytes) || bytes.Length != MerkleProof.HashSize) return false;
        hash = bytes;
        return true;
    }

    /// <summary>Standard base64 that re-encodes to the same text (one text per value).</summary>
    private static bool TryDecodeCanonical(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 != 0) return false;
        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out int written)) return false;
        bytes = buffer[..written];
        return Convert.ToBase64String(bytes) == text;
    }

    /// <summary>A non-negative decimal without sign, spaces or leading zeros that fits a long.</summary>
    private static bool TryParseDecimal(string text, out long value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 19 || (text.Length > 1 && text[0] == '0')) return false;
        foreach (char c in text)
        {
            if (c is < '0' or > '9') return false;
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Non-empty, at most 256 characters of the basic multilingual plane, no control characters, no spaces but U+0020, none around.</summary>
    private static bool IsValidName(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 256 || text.Trim() != text) return false;
        foreach (char c in text)
        {
            if (char.IsControl(c) || char.IsSurrogate(c) || (char.IsWhiteSpace(c) && c != ' ')) return false;
        }
        return true;
    }
}
