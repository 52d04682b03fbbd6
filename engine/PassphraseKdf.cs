using LatticeKV.Crypto;

namespace LatticeKV;

/// <summary>
/// How a passphrase becomes a master key: Argon2id (default) or PBKDF2-HMAC-SHA256. Costs below
/// OWASP's recommended floor are refused (Argon2id m ≥ 19 MiB, t ≥ 2; PBKDF2 ≥ 600,000 iterations).
/// </summary>
public sealed class PassphraseKdf
{
    private PassphraseKdf(MasterKeyKind kind, int memoryKiB, int iterations, int parallelism)
    {
        Kind = kind;
        MemoryKiB = memoryKiB;
        Iterations = iterations;
        Parallelism = parallelism;
    }

    internal MasterKeyKind Kind { get; }

    /// <summary>Argon2id memory in KiB (0 for PBKDF2).</summary>
    public int MemoryKiB { get; }

    /// <summary>Argon2id passes, or PBKDF2 iterations.</summary>
    public int Iterations { get; }

    /// <summary>Argon2id lanes (1 for PBKDF2).</summary>
    public int Parallelism { get; }

    /// <summary>The default: Argon2id with 64 MiB, 3 passes, 1 lane (RFC 9106's second recommended option).</summary>
    public static PassphraseKdf Default { get; } = new(MasterKeyKind.Argon2id, 64 * 1024, 3, 1);

    /// <summary>Argon2id with the given cost.</summary>
    public static PassphraseKdf Argon2id(int memoryKiB, int iterations, int parallelism = 1)
    {
        if (memoryKiB is < PassphraseKeySource.MinArgonMemoryKiB or > PassphraseKeySource.MaxArgonMemoryKiB)
            throw new InvalidArgumentException($"Argon2id memory must be between {PassphraseKeySource.MinArgonMemoryKiB} and {PassphraseKeySource.MaxArgonMemoryKiB} KiB.", nameof(memoryKiB));
        if (iterations is < PassphraseKeySource.MinArgonIterations or > PassphraseKeySource.MaxArgonIterations)
            throw new InvalidArgumentException($"Argon2id iterations must be between {PassphraseKeySource.MinArgonIterations} and {PassphraseKeySource.MaxArgonIterations}.", nameof(iterations));
        if (parallelism is < 1 or > PassphraseKeySource.MaxArgonParallelism)
            throw new InvalidArgumentException($"Argon2id parallelism must be between 1 and {PassphraseKeySource.MaxArgonParallelism}.", nameof(parallelism));
        return new PassphraseKdf(MasterKeyKind.Argon2id, memoryKiB, iterations, parallelism);
    }

    /// <summary>PBKDF2-HMAC-SHA256 with at least 600,000 iterations.</summary>
    public static PassphraseKdf Pbkdf2Sha256(int iterations = 600_000)
    {
        if (iterations is < PassphraseKeySource.MinPbkdf2Iterations or > PassphraseKeySource.MaxPbkdf2Iterations)
            throw new InvalidArgumentException($"PBKDF2 iterations must be between {PassphraseKeySource.MinPbkdf2Iterations} and {PassphraseKeySource.MaxPbkdf2Iterations}.", nameof(iterations));
        return new PassphraseKdf(MasterKeyKind.Pbkdf2Sha256, 0, iterations, 1);
    }
}
