namespace LatticeKV.Ledger;

/// <summary>
/// A ledger call was given something it cannot store: an empty or oversized chain id, transaction
/// id, account or asset; a negative height or position; a status that contradicts the block fields;
/// postings whose sum per account and asset leaves the range of <see cref="Int128"/>.
/// </summary>
public sealed class LedgerArgumentException : LedgerException
{
    /// <summary>Creates the error naming the parameter or field at fault.</summary>
    public LedgerArgumentException(string message, string? paramName = null) : base(message) => ParamName = paramName;

    /// <summary>The parameter or field at fault, when there is one.</summary>
    public string? ParamName { get; }
}
