using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LatticeKV.Sync;

/// <summary>
/// Decides, inside one TLS handshake, whether the remote certificate is acceptable: present,
/// within its validity period, self-signed (chain errors that only say "no trusted root" are
/// expected and ignored: the pin replaces the CA), and its peer id in the trusted set. One
/// instance per handshake; it remembers the peer id and why a certificate was refused.
/// </summary>
internal sealed class PeerVerifier(SyncTransportSettings settings)
{
    /// <summary>Chain findings a self-signed, pinned certificate always has (time is checked apart).</summary>
    private const X509ChainStatusFlags Expected = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain
        | X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;

    /// <summary>The accepted peer's id; null until a certificate is accepted.</summary>
    public string? PeerId { get; private set; }

    /// <summary>Why the certificate was refused; null when it was not.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/> of the handshake.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        Refusal = Check(certificate, chain, errors);
        return Refusal is null;
    }

    private string? Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return "the peer presented no certificate";
        // The name is not part of the identity (the pin is), so a name mismatch is not a refusal.
        if ((errors & ~(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
            return $"the peer's certificate failed TLS checks ({errors})";
        var cert = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if (chain is not null)
        {
            foreach (var status in chain.ChainStatus)
                if ((status.Status & ~Expected) != 0) return $"the peer's certificate is invalid ({status.Status})";
        }
        if (cert.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData) is false) return "the peer's certificate is not self-signed";
        var now = settings.Clock.GetUtcNow();
        if (now < cert.NotBefore.ToUniversalTime()) return $"the peer's certificate is not valid before {cert.NotBefore.ToUniversalTime():u}";
        if (now > cert.NotAfter.ToUniversalTime()) return $"the peer's certificate expired at {cert.NotAfter.ToUniversalTime():u}";
        string id = SyncIdentity.PeerIdOf(cert);
        if (!settings.TrustedPeerIds.Contains(id)) return $"peer id {id} is not trusted";
        PeerId = id;
        return null;
    }
}
