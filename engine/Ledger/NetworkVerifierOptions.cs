namespace LatticeKV.Ledger;

/// <summary>Options of <see cref="NetworkVerifier"/>.</summary>
public sealed class NetworkVerifierOptions
{
    /// <summary>
    /// The chains the verifier knows, by the ledger's chain id. By default "bitcoin" (main
    /// network), "bitcoin-testnet" and "bitcoin-regtest". A claim whose chain id is not here fails
    /// with <see cref="NetworkVerificationFailure.UnsupportedChain"/>.
    /// </summary>
    public IDictionary<string, ChainParameters> Chains { get; } = new Dictionary<string, ChainParameters>(StringComparer.Ordinal)
    {
        [ChainParameters.BitcoinMainnet.Name] = ChainParameters.BitcoinMainnet,
        [ChainParameters.BitcoinTestnet.Name] = ChainParameters.BitcoinTestnet,
        [ChainParameters.BitcoinRegtest.Name] = ChainParameters.BitcoinRegtest,
    };

    /// <summary>
    /// Most headers fetched and checked from the transaction's block toward the tip (default 144,
    /// about a day of Bitcoin blocks; at least 1). The reported depth never exceeds it, so a deeper
    /// transaction reports this depth; the stored evidence holds as many headers (80 bytes each).
    /// Set it to at least the depth at which the ledger calls a transaction final.
    /// </summary>
    public int MaxHeaders { get; set; } = 144;
}
