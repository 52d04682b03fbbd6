using CsCheck;
using LatticeKV.Ledger;

namespace LatticeKV.Tests.Ledger;

/// <summary>The tamper-detection property shared by the network verification tests.</summary>
internal static class Tampering
{
    /// <summary>Every byte of the raw transaction and of the encoded evidence is covered; the byte and its new value are CsCheck's choice.</summary>
    public static void AnyChangedByte_Fails(NetworkVerifier verifier, ChainTransactionClaim claim, byte[] evidence, string context)
    {
        Assert.True(verifier.VerifyOffline(claim, NetworkEvidence.Decode(evidence)).IsVerified);
        var raw = claim.RawTransaction.ToArray();
        Gen.Select(Gen.Int[0, raw.Length + evidence.Length - 1], Gen.Byte[1, 255]).Sample((index, flip) =>
        {
            var tx = raw.ToArray();
            var ev = evidence.ToArray();
            if (index < tx.Length) tx[index] ^= flip;
            else ev[index - tx.Length] ^= flip;
            NetworkVerificationResult result;
            try { result = verifier.VerifyOffline(claim with { RawTransaction = tx }, NetworkEvidence.Decode(ev)); }
            catch (ChainDataException) { return; } // the evidence no longer parses: refused as well
            Assert.False(result.IsVerified, $"{context}: byte {index} ^ {flip:x2} passed");
        }, iter: 3000, threads: 1);
    }
}
