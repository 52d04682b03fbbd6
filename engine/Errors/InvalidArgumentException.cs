namespace LatticeKV;

/// <summary>An argument or option is outside what LatticeKV accepts (empty key, oversized value, bad option).</summary>
public class InvalidArgumentException : LatticeException
{
    /// <summary>Creates the error naming the parameter.</summary>
    public InvalidArgumentException(string message, string? paramName = null) : base(message) => ParamName = paramName;

    /// <summary>The parameter or option at fault, when there is one.</summary>
    public string? ParamName { get; }
}
