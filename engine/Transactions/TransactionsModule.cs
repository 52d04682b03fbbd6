using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace LatticeKV.Transactions;

/// <summary>Plugs the implementation into the public API when the engine loads (see <see cref="Transaction.Factory"/>).</summary>
internal static class TransactionsModule
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The API layer must not name this layer's types; the engine's own module wires them at load.")]
    internal static void Register() => Transaction.Factory = static (db, options) => new DbTransaction(db, options);
}
