using System.Net.Security;
using System.Security.Authentication;

namespace LatticeKV.Sync;

/// <summary>
/// The TLS side of a sync connection: TLS 1.3 only, both sides present their identity
/// certificate, each accepts the other only through <see cref="PeerVerifier"/>. A refused peer
/// fails here, before any frame is read.
/// </summary>
internal static class SyncTls
{
    /// <summary>Authenticates as the accepting side; returns the TLS stream and the client's peer id.</summary>
    /// <exception cref="SyncConnectionException">The handshake failed or the client was refused.</exception>
    public static Task<(SslStream Stream, string PeerId)> AcceptAsync(Stream network, SyncTransportSettings settings, CancellationToken ct)
    {
        var verifier = new PeerVerifier(settings);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(settings.Identity.Certificate, additionalCertificates: null, offline: true),
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = verifier.Validate,
            AllowRenegotiation = false,
        };
        return AuthenticateAsync(network, verifier, (ssl, token) => ssl.AuthenticateAsServerAsync(options, token), ct);
    }

    /// <summary>Authenticates as the connecting side; returns the TLS stream and the server's peer id.</summary>
    /// <exception cref="SyncConnectionException">The handshake failed or the server was refused.</exception>
    public static Task<(SslStream Stream, string PeerId)> ConnectAsync(Stream network, SyncTransportSettings settings, CancellationToken ct)
    {
        var verifier = new PeerVerifier(settings);
        var options = new SslClientAuthenticationOptions
        {
            // No host name: the peer is identified by its pinned key, not by a name.
            TargetHost = string.Empty,
            ClientCertificateContext = SslStreamCertificateContext.Create(settings.Identity.Certificate, additionalCertificates: null, offline: true),
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = verifier.Validate,
            AllowRenegotiation = false,
        };
        return AuthenticateAsync(network, verifier, (ssl, token) => ssl.AuthenticateAsClientAsync(options, token), ct);
    }

    private static async Task<(SslStream, string)> AuthenticateAsync(Stream network, PeerVerifier verifier,
        Func<SslStream, CancellationToken, Task> authenticate, CancellationToken ct)
    {
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            await authenticate(ssl, ct).ConfigureAwait(false);
            if (ssl.SslProtocol != SslProtocols.Tls13) throw new SyncConnectionException($"the sync peer negotiated {ssl.SslProtocol}, not TLS 1.3");
            return (ssl, verifier.PeerId ?? throw new SyncConnectionException("the sync peer's certificate was not checked"));
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new SyncConnectionException("Sync TLS handshake failed: " + (verifier.Refusal ?? ex.Message), ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
