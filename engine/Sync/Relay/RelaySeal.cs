using System.Security.Cryptography;
using System.Text;

namespace LatticeKV.Sync;

/// <summary>
/// Seals what a replica publishes to the relay (FORMAT.md §17.4):
/// <code>format:u8 (1) | publisher replica id:16 | nonce:12 | ciphertext | tag:16</code>
/// AES-256-GCM under HKDF-SHA256(group key, info "lattice relay v1|GROUP"), the format byte and
/// publisher as associated data. A message that does not open is refused, nothing applied.
/// </summary>
internal sealed class RelaySeal : IDisposable
{
    private const byte Format = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + 16;
    // One AesGcm per direction: the publisher seals and the consumer opens on their own threads,
    // and an AesGcm must not be used by two threads at once.
    private readonly AesGcm _sealer, _opener;

    public RelaySeal(byte[] groupKey, string group)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, groupKey, 32, salt: null, info: Encoding.UTF8.GetBytes("lattice relay v1|" + group));
        _sealer = new AesGcm(key, TagSize);
        _opener = new AesGcm(key, TagSize);
        CryptographicOperations.ZeroMemory(key);
    }

    public byte[] Seal(Guid publisher, ReadOnlySpan<byte> plaintext)
    {
        var message = new byte[HeaderSize + NonceSize + plaintext.Length + TagSize];
        message[0] = Format;
        publisher.TryWriteBytes(message.AsSpan(1, 16));
        var nonce = message.AsSpan(HeaderSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _sealer.Encrypt(nonce, plaintext, message.AsSpan(HeaderSize + NonceSize, plaintext.Length), message.AsSpan(message.Length - TagSize), message.AsSpan(0, HeaderSize));
        return message;
    }

    /// <summary>Opens a message; a message that is malformed or was not sealed under the group's key throws <see cref="SyncProtocolException"/>.</summary>
    public byte[] Open(ReadOnlySpan<byte> message, out Guid publisher)
    {
        if (message.Length < HeaderSize + NonceSize + TagSize || message[0] != Format) throw new SyncProtocolException($"a relay message of {message.Length} bytes is malformed");
        publisher = new Guid(message.Slice(1, 16));
        var plaintext = new byte[message.Length - HeaderSize - NonceSize - TagSize];
        try
        {
            _opener.Decrypt(message.Slice(HeaderSize, NonceSize), message.Slice(HeaderSize + NonceSize, plaintext.Length), message[^TagSize..], plaintext, message[..HeaderSize]);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SyncProtocolException("a relay message did not open under the group key (another group's, or tampered)");
        }
        return plaintext;
    }

    public void Dispose()
    {
        _sealer.Dispose();
        _opener.Dispose();
    }
}
