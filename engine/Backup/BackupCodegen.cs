using System.Runtime.CompilerServices;

namespace LatticeKV.Backup;

/// <summary>
/// How the JIT compiles the steps a backup or a log's archive runs a few times each (once per
/// backup, or once per file in it): <c>[MethodImpl(BackupCodegen.FewCallsPerBackup)]</c>.
/// </summary>
internal static class BackupCodegen
{
    /// <summary>
    /// Compiled once, without optimization, and never again. Tiered compilation compiles a method
    /// three times: quickly at its first call, with instrumentation after 30 calls, optimized after
    /// 30 more. A step called once per backup reaches the last only at about its 60th backup, and
    /// that compile (everything it inlines, with the profile's guidance) is the costliest of the
    /// three: it runs on the runtime's background compiler thread in the middle of whatever the
    /// writers do at that moment, for code whose own work per backup is negligible beside the
    /// copies and fsyncs it orders. The loops over every byte (copying, hashing) and the methods
    /// called per chunk are elsewhere, and are tiered as usual; nothing marked here holds writers
    /// back (the capture of the file set, which does, is not marked).
    /// </summary>
    public const MethodImplOptions FewCallsPerBackup = MethodImplOptions.NoOptimization;
}
