namespace LatticeKV.Io;

/// <summary>Translates operating-system exceptions into the engine's typed errors.</summary>
internal static class IoErrors
{
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;
    private const int WindowsDiskFull = 0x70;
    private const int WindowsHandleDiskFull = 0x27;

    public static LatticeIOException Wrap(Exception ex, string operation, string path)
    {
        if (ex is LatticeIOException lio) return lio;
        bool full = IsDiskFull(ex);
        string what = full ? "disk full" : ex.Message;
        return new LatticeIOException($"{operation} '{path}' failed: {what}", path, ex, full);
    }

    public static bool IsDiskFull(Exception ex)
    {
        if (ex is LatticeIOException lio) return lio.IsDiskFull;
        if (ex is not IOException io) return false;
        // On Unix .NET puts errno into the low bits of HResult; on Windows it is the Win32 code.
        // Only the platform's own codes: ENOTEMPTY (39) is 0x27, Windows' "handle disk full".
        int code = io.HResult & 0xFFFF;
        return OperatingSystem.IsWindows() ? code is WindowsDiskFull or WindowsHandleDiskFull : code is ENOSPC or EDQUOT;
    }
}
