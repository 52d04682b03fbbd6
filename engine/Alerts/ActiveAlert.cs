namespace LatticeKV;

/// <summary>An alert that has fired and not cleared (<see cref="LatticeDb.GetActiveAlerts"/>).</summary>
/// <param name="Name">The rule's name.</param>
/// <param name="Condition">What the rule watches.</param>
/// <param name="Value">The value at the latest evaluation.</param>
/// <param name="Threshold">The rule's firing threshold.</param>
/// <param name="Since">When it fired.</param>
public sealed record ActiveAlert(string Name, AlertCondition Condition, double Value, double Threshold, DateTimeOffset Since);
