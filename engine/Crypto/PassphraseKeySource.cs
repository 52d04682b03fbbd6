using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LatticeKV.Crypto;

/// <summary>
/// A master key derived from a passphrase (NFC-normalized UTF-8) with Argon2id or
/// PBKDF2-HMAC-SHA256. Parameters: salt[16] ‖ memory KiB u32 ‖ iterations u32 ‖ parallelism u32
/// (PBKDF2: salt[16] ‖ iterations u32). Stored costs are bounded so a forged header cannot make
/// an open allocate or spin without end.
/// </summary>
internal sealed class PassphraseKeySource(string passphrase, MasterKeyKind kind, int memoryKiB, int iterations, int parallelism) : MasterKeySource
{
    public const int SaltSize = 16;
    public const int MinArgonMemoryKiB = 19 * 1024;
    public const int MinArgonIterations = 2;
    public const int MaxArgonMemoryKiB = 4 * 1024 * 1024;
    public const int MaxArgonIterations = 64;
    public const int MaxArgonParallelism = 64;
    public const int MinPbkdf2Iterations = 600_000;
    public const int MaxPbkdf2Iterations = 100_000_000;

    private readonly byte[] _passphrase = Encoding.UTF8.GetBytes(passphrase.Normalize(NormalizationForm.FormC));

    public override MasterKeyKind Kind => kind;

    public override byte[] CreateParameters()
    {
        var p = new byte[kind == MasterKeyKind.Argon2id ? SaltSize + 12 : SaltSize + 4];
        RandomNumberGenerator.Fill(p.AsSpan(0, SaltSize));
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(SaltSize), kind == MasterKeyKind.Argon2id ? memoryKiB : iterations);
        if (kind == MasterKeyKind.Argon2id)
        {
            BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(SaltSize + 4), iterations);
            BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(SaltSize + 8), parallelism);
        }
        return p;
    }

    public override void DeriveMasterKey(MasterKeyKind storedKind, ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> databaseId, Span<byte> masterKey)
    {
        switch (storedKind)
        {
            case MasterKeyKind.Argon2id:
            {
                if (parameters.Length != SaltSize + 12) throw new EncryptionKeyException("the key registry's Argon2id parameters are malformed");
                int m = BinaryPrimitives.ReadInt32LittleEndian(parameters[SaltSize..]);
                int t = BinaryPrimitives.ReadInt32LittleEndian(parameters[(SaltSize + 4)..]);
                int p = BinaryPrimitives.ReadInt32LittleEndian(parameters[(SaltSize + 8)..]);
                if (m is < MinArgonMemoryKiB or > MaxArgonMemoryKiB || t is < 1 or > MaxArgonIterations || p is < 1 or > MaxArgonParallelism)
                    throw new EncryptionKeyException($"the key registry's Argon2id cost (m={m} KiB, t={t}, p={p}) is outside what this engine accepts");
                Argon2id(_passphrase, parameters[..SaltSize], m, t, p, masterKey);
                return;
            }
            case MasterKeyKind.Pbkdf2Sha256:
            {
                if (parameters.Length != SaltSize + 4) throw new EncryptionKeyException("the key registry's PBKDF2 parameters are malformed");
                int i = BinaryPrimitives.ReadInt32LittleEndian(parameters[SaltSize..]);
                if (i is < MinPbkdf2Iterations or > MaxPbkdf2Iterations)
                    throw new EncryptionKeyException($"the key registry's PBKDF2 iteration count {i} is outside what this engine accepts");
                Rfc2898DeriveBytes.Pbkdf2(_passphrase, parameters[..SaltSize], masterKey[..KeyDerivation.KeySize], i, HashAlgorithmName.SHA256);
                return;
            }
            default:
                throw new EncryptionKeyException($"this database's master key comes from {Describe(storedKind)}, not from a passphrase");
        }
    }

    internal static void Argon2id(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int memoryKiB, int iterations, int parallelism, Span<byte> output)
    {
        using var argon = new Konscious.Security.Cryptography.Argon2id(password.ToArray())
        {
            Salt = salt.ToArray(),
            MemorySize = memoryKiB,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        var key = argon.GetBytes(KeyDerivation.KeySize);
        key.CopyTo(output);
        CryptographicOperations.ZeroMemory(key);
    }

    public override string Describe() => kind == MasterKeyKind.Argon2id
        ? $"passphrase (Argon2id, m={memoryKiB} KiB, t={iterations}, p={parallelism})"
        : $"passphrase (PBKDF2-HMAC-SHA256, {iterations} iterations)";

    internal static string Describe(MasterKeyKind kind) => kind switch
    {
        MasterKeyKind.Argon2id => "a passphrase (Argon2id)",
        MasterKeyKind.Pbkdf2Sha256 => "a passphrase (PBKDF2)",
        MasterKeyKind.RawKey => "a raw 32-byte key",
        MasterKeyKind.Provider => "a key provider",
        _ => $"an unknown source {(byte)kind}",
    };
}
