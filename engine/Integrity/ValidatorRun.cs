namespace LatticeKV.Integrity;

/// <summary>Runs any validator: built-ins with the family's confidentiality, and a throwing validator as a refusal.</summary>
internal static class ValidatorRun
{
    /// <summary>
    /// As <see cref="IValueValidator.TryValidate"/>; when <paramref name="confidential"/> (an encrypted family)
    /// built-in reasons leave out the value's contents and a validator's exception message is not quoted.
    /// </summary>
    public static bool TryValidate(IValueValidator validator, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        try
        {
            bool accepted = validator is DescribedValidator described
                ? described.TryValidate(key, value, confidential, out reason)
                : validator.TryValidate(key, value, out reason);
            if (accepted) return true;
            reason ??= "refused (the validator gave no reason)";
            return false;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reason = confidential ? $"the validator threw {ex.GetType().Name}" : $"the validator threw {ex.GetType().Name}: {ex.Message}";
            return false;
        }
    }

    /// <summary>Null when <paramref name="validator"/> accepts the value, else the reason.</summary>
    public static string? Rejection(IValueValidator validator, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential)
        => TryValidate(validator, key, value, confidential, out var reason) ? null : reason;
}
