namespace LatticeKV.Ledger;

/// <summary>
/// Base type of the ledger's errors (<see cref="Ledger"/>). Messages never quote chain ids,
/// transaction ids, accounts or amounts: the ledger's families may be encrypted.
/// </summary>
public class LedgerException : LatticeException
{
    /// <summary>Creates the error.</summary>
    public LedgerException(string message, Exception? innerException = null) : base(message, innerException) { }
}
