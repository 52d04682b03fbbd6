using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace LatticeKV;

/// <summary>
/// The identity a database presents to its sync peers: a self-signed ECDSA P-256 certificate and
/// its private key. Peers trust each other by <see cref="PeerId"/> (a pin on the public key), not
/// by a certificate authority; the certificate must also be within its validity period.
/// <para>
/// Files (<see cref="Save"/>): <c>NAME.key.pem</c> holds the certificate and the private key and
/// stays with the database (mode 0600 on Unix); <c>NAME.crt.pem</c> holds the certificate only and
/// is what peers are given. Neither this type's members nor its messages reveal the private key.
/// </para>
/// <example><code>
/// using var id = SyncIdentity.Create("laptop");
/// var (keyFile, certFile) = id.Save("/etc/lkv");
/// string trustMe = id.PeerId; // give this (or certFile) to the peers
/// </code></example>
/// Thread safety: immutable after creation; dispose it when done to release the key.
/// </summary>
public sealed class SyncIdentity : IDisposable
{
    /// <summary>Validity of a new identity when none is given.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(365);

    /// <summary>Longest validity accepted: a century, well inside what X.509 dates can say.</summary>
    public static readonly TimeSpan MaxValidity = TimeSpan.FromDays(36500);

    /// <summary>
    /// How far before its creation a new identity's certificate is valid from: a peer whose clock runs
    /// behind this machine's (or the certificate's start rounded to a whole second) must not refuse a
    /// certificate made moments ago as "not valid yet".
    /// </summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromHours(1);

    private const int MaxNameLength = 64;
    private readonly X509Certificate2 _certificate;

    private SyncIdentity(string name, X509Certificate2 certificate)
    {
        Name = name;
        _certificate = certificate;
        PeerId = PeerIdOf(certificate);
    }

    /// <summary>The identity's name: the certificate's common name and the stem of its file names.</summary>
    public string Name { get; }

    /// <summary>Lowercase hex SHA-256 of the certificate's SubjectPublicKeyInfo: what peers put in their trusted set.</summary>
    public string PeerId { get; }

    /// <summary>Start of the certificate's validity period.</summary>
    public DateTimeOffset NotBefore => new(_certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>End of the certificate's validity period: after it, peers refuse this identity.</summary>
    public DateTimeOffset NotAfter => new(_certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>The certificate with its private key, for the TLS handshake.</summary>
    internal X509Certificate2 Certificate => _certificate;

    /// <summary>
    /// Makes a new identity valid from <see cref="ClockSkewAllowance"/> before now until now plus <paramref name="validity"/> (default
    /// <see cref="DefaultValidity"/>, at most <see cref="MaxValidity"/>). <paramref name="name"/>: 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'.
    /// </summary>
    public static SyncIdentity Create(string name, TimeSpan? validity = null)
    {
        var span = validity ?? DefaultValidity;
        if (span <= TimeSpan.Zero || span > MaxValidity)
            throw new InvalidArgumentException($"A sync identity's validity must be positive and at most {MaxValidity.TotalDays:0} days.", nameof(validity));
        var now = DateTimeOffset.UtcNow;
        return Create(name, now - ClockSkewAllowance, now + span);
    }

    /// <summary>Makes an identity valid from <paramref name="notBefore"/> to <paramref name="notAfter"/> (tests make expired ones).</summary>
    internal static SyncIdentity Create(string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        ValidateName(name);
        if (notAfter <= notBefore) throw new InvalidArgumentException("A sync identity must end after it begins.", nameof(notAfter));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + name), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // TLS server and client authentication
        return new SyncIdentity(name, request.CreateSelfSigned(notBefore, notAfter));
    }

    /// <summary>
    /// Writes <c>NAME.key.pem</c> (certificate and private key, created with mode 0600 on Unix) and
    /// <c>NAME.crt.pem</c> (certificate only) into <paramref name="directory"/>, creating it if needed.
    /// Existing files are never overwritten: that would silently replace an identity peers trust.
    /// </summary>
    /// <returns>The paths of the key file and the certificate file.</returns>
    public (string KeyPath, string CertificatePath) Save(string directory)
    {
        string dir = Path.GetFullPath(directory);
        Directory.CreateDirectory(dir);
        string keyPath = Path.Combine(dir, Name + ".key.pem");
        string certPath = Path.Combine(dir, Name + ".crt.pem");
        foreach (var path in new[] { keyPath, certPath })
            if (File.Exists(path)) throw new SyncIdentityException("already exists; an identity file is never overwritten", path);
        string certificatePem = _certificate.ExportCertificatePem() + "\n";
        using (var key = _certificate.GetECDsaPrivateKey()!)
            WriteNew(keyPath, certificatePem + key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        WriteNew(certPath, certificatePem, secret: false);
        return (keyPath, certPath);
    }

    /// <summary>Reads an identity written by <see cref="Save"/> (the <c>.key.pem</c> file).</summary>
    /// <exception cref="SyncIdentityException">The file is missing, unreadable, or not a P-256 certificate with its private key.</exception>
    public static SyncIdentity Load(string keyPemPath)
    {
        string pem = ReadText(keyPemPath);
        X509Certificate2 certificate;
        try { certificate = X509Certificate2.CreateFromPem(pem, pem); }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new SyncIdentityException("not a sync identity key file (a PEM certificate followed by its PEM private key)", keyPemPath, ex);
        }
        try
        {
            RequireP256(certificate, keyPemPath);
            using (var key = certificate.GetECDsaPrivateKey())
                if (key is null) throw new SyncIdentityException("holds no ECDSA private key for its certificate", keyPemPath);
            return new SyncIdentity(certificate.GetNameInfo(X509NameType.SimpleName, false), certificate);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>The peer id of the certificate in <paramref name="certPemPath"/> (a peer's <c>.crt.pem</c>, or a <c>.key.pem</c>).</summary>
    /// <exception cref="SyncIdentityException">The file is missing, unreadable, or holds no P-256 certificate.</exception>
    public static string PeerIdOf(string certPemPath)
    {
        string pem = ReadText(certPemPath);
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            RequireP256(certificate, certPemPath);
            return PeerIdOf(certificate);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new SyncIdentityException("holds no PEM certificate", certPemPath, ex);
        }
    }

    /// <summary>Lowercase hex SHA-256 of <paramref name="certificate"/>'s SubjectPublicKeyInfo.</summary>
    internal static string PeerIdOf(X509Certificate2 certificate)
        => Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>Releases the private key.</summary>
    public void Dispose() => _certificate.Dispose();

    /// <summary>The name and peer id (never key material).</summary>
    public override string ToString() => $"{Name} ({PeerId})";

    private static void ValidateName(string name)
    {
        bool ok = !string.IsNullOrEmpty(name) && name.Length <= MaxNameLength && name[0] != '.'
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        if (!ok) throw new InvalidArgumentException($"A sync identity name is 1 to {MaxNameLength} letters, digits, '-', '_' or '.', not starting with '.'.", nameof(name));
    }

    private static void RequireP256(X509Certificate2 certificate, string path)
    {
        using var key = certificate.GetECDsaPublicKey();
        if (key is null || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            throw new SyncIdentityException("the certificate's key is not ECDSA P-256", path);
    }

    private static string ReadText(string path)
    {
        try { return File.ReadAllText(path, Encoding.UTF8); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SyncIdentityException(ex is FileNotFoundException or DirectoryNotFoundException ? "not found" : "cannot be read", path, ex);
        }
    }

    private static void WriteNew(string path, string text, bool secret)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        FileStream stream;
        try { stream = new FileStream(path, options); }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new SyncIdentityException("already exists; an identity file is never overwritten", path, ex);
        }
        using (stream)
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
    }
}
