using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sync;

public class SyncIdentityTests
{
    [SkippableFact]
    public void Save_ThenLoad_KeepsThePeerIdAndKeepsTheKeyPrivate()
    {
        using var dir = new TempDir("sync-identity");
        using var identity = SyncIdentity.Create("laptop-1", TimeSpan.FromDays(30));
        var (keyPath, certPath) = identity.Save(dir.Sub("ids"));

        Assert.Equal(dir.Sub(Path.Combine("ids", "laptop-1.key.pem")), keyPath);
        Assert.Equal(dir.Sub(Path.Combine("ids", "laptop-1.crt.pem")), certPath);
        Assert.Contains("PRIVATE KEY", File.ReadAllText(keyPath), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(certPath), StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{64}$", identity.PeerId);
        Assert.Equal("laptop-1 (" + identity.PeerId + ")", identity.ToString());

        using var loaded = SyncIdentity.Load(keyPath);
        Assert.Equal(identity.PeerId, loaded.PeerId);
        Assert.Equal("laptop-1", loaded.Name);
        Assert.Equal(identity.PeerId, SyncIdentity.PeerIdOf(certPath));
        Assert.Equal(identity.PeerId, SyncIdentity.PeerIdOf(keyPath));
        Assert.InRange(loaded.NotAfter - loaded.NotBefore, TimeSpan.FromDays(30) + SyncIdentity.ClockSkewAllowance - TimeSpan.FromMinutes(1), TimeSpan.FromDays(30) + SyncIdentity.ClockSkewAllowance + TimeSpan.FromMinutes(1));
        // Valid from before it was made: a peer whose clock is behind (or a test clock read a moment earlier) accepts it.
        Assert.True(loaded.NotBefore <= DateTimeOffset.UtcNow - SyncIdentity.ClockSkewAllowance + TimeSpan.FromMinutes(1), $"not before {loaded.NotBefore:O}");

        // The loaded key signs what the certificate's public key verifies.
        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        using var key = loaded.Certificate.GetECDsaPrivateKey()!;
        using var publicKey = cert.GetECDsaPublicKey()!;
        var signature = key.SignData("sync"u8, HashAlgorithmName.SHA256);
        Assert.True(publicKey.VerifyData("sync"u8, signature, HashAlgorithmName.SHA256));
        // The peer id is the SHA-256 of the public key's SubjectPublicKeyInfo, as any tool computes it.
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(publicKey.ExportSubjectPublicKeyInfo())), identity.PeerId);

        Skip.If(OperatingSystem.IsWindows(), "Unix file modes do not exist on Windows");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
    }

    /// <summary>FORMAT.md §16.1: the peer id is what openssl computes from the certificate file.</summary>
    [SkippableFact]
    public void PeerId_EqualsOpensslsSha256OfTheSubjectPublicKeyInfo()
    {
        using var dir = new TempDir("sync-identity");
        using var identity = SyncIdentity.Create("node");
        var (_, certPath) = identity.Save(dir.Path);
        string? pem = RunOpenssl(["x509", "-in", certPath, "-pubkey", "-noout"], null);
        Skip.If(pem is null, "openssl is not installed");
        string? hash = RunOpenssl(["pkey", "-pubin", "-outform", "der"], pem, hashOutput: true);
        Assert.Equal(identity.PeerId, hash);
    }

    /// <summary>Runs openssl; null when it cannot be started. With <paramref name="hashOutput"/>, returns the SHA-256 of its output in hex.</summary>
    private static string? RunOpenssl(string[] args, string? stdin, bool hashOutput = false)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        System.Diagnostics.Process process;
        try { process = System.Diagnostics.Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception) { return null; }
        using (process)
        {
            process.StandardInput.Write(stdin ?? "");
            process.StandardInput.Close();
            using var output = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(output);
            Assert.True(process.WaitForExit(10_000), "openssl did not finish");
            Assert.Equal(0, process.ExitCode);
            return hashOutput ? Convert.ToHexStringLower(SHA256.HashData(output.ToArray())) : System.Text.Encoding.ASCII.GetString(output.ToArray());
        }
    }

    [Fact]
    public void Save_FilesExist_RefusedAndLeftUntouched()
    {
        using var dir = new TempDir("sync-identity");
        using var first = SyncIdentity.Create("node");
        var (keyPath, _) = first.Save(dir.Path);
        string before = File.ReadAllText(keyPath);
        using var second = SyncIdentity.Create("node");
        var ex = Assert.Throws<SyncIdentityException>(() => second.Save(dir.Path));
        Assert.Equal(keyPath, ex.FilePath);
        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(keyPath));
    }

    [Fact]
    public void Load_BadFiles_ThrowSyncIdentityExceptionNamingTheFile()
    {
        using var dir = new TempDir("sync-identity");
        using var identity = SyncIdentity.Create("node");
        var (keyPath, certPath) = identity.Save(dir.Path);
        string garbage = dir.Sub("garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        string keyOnly = dir.Sub("key-only.pem");
        string keyText = File.ReadAllText(keyPath);
        File.WriteAllText(keyOnly, keyText[keyText.IndexOf("-----BEGIN PRIVATE KEY", StringComparison.Ordinal)..]);
        string missing = dir.Sub("missing.key.pem");

        foreach (var (path, reason) in new[] { (certPath, "not a sync identity key file"), (garbage, "not a sync identity key file"), (missing, "not found") })
        {
            var ex = Assert.Throws<SyncIdentityException>(() => SyncIdentity.Load(path));
            Assert.Equal(path, ex.FilePath);
            Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE", ex.Message, StringComparison.Ordinal);
        }
        foreach (var path in new[] { garbage, keyOnly, missing })
            Assert.Equal(path, Assert.Throws<SyncIdentityException>(() => SyncIdentity.PeerIdOf(path)).FilePath);
    }

    [Fact]
    public void Load_RsaCertificate_RefusedAsNotP256()
    {
        using var dir = new TempDir("sync-identity");
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        string path = dir.Sub("rsa.key.pem");
        File.WriteAllText(path, cert.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem() + "\n");
        Assert.Contains("not ECDSA P-256", Assert.Throws<SyncIdentityException>(() => SyncIdentity.Load(path)).Message, StringComparison.Ordinal);
        Assert.Contains("not ECDSA P-256", Assert.Throws<SyncIdentityException>(() => SyncIdentity.PeerIdOf(path)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("with space")]
    public void Create_BadName_ThrowsInvalidArgument(string name)
        => Assert.Equal("name", Assert.Throws<InvalidArgumentException>(() => SyncIdentity.Create(name)).ParamName);

    [Fact]
    public void Create_ValidityOutOfRange_ThrowsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => SyncIdentity.Create("node", TimeSpan.Zero));
        Assert.Throws<InvalidArgumentException>(() => SyncIdentity.Create("node", SyncIdentity.MaxValidity + TimeSpan.FromDays(1)));
        Assert.Throws<InvalidArgumentException>(() => SyncIdentity.Create("node", TimeSpan.MaxValue));
    }
}
