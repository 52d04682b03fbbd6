using LatticeKV.Db;
using LatticeKV.Integrity;
using LatticeKV.Io;
using LatticeKV.Manifest;

namespace LatticeKV;

// Validation: column families' validators, their write stage, and checking existing data.
public sealed partial class LatticeDb
{
    /// <summary>
    /// Checks every value of <paramref name="columnFamily"/>, as of one snapshot taken when the
    /// enumeration starts, against <paramref name="validator"/> (null: the family's
    /// <see cref="ColumnFamilyOptions.Validator"/>) and yields each value it refuses. Values are
    /// read one at a time, so memory stays bounded; enumerate to the end or dispose the enumerator
    /// (foreach does) to release the snapshot. Use it before turning a validator on: writes are
    /// checked from then on, existing values never. For an encrypted family the reasons quote no
    /// value (the violations' keys are the family's own keys).
    /// </summary>
    /// <exception cref="InvalidArgumentException">No validator is given and the family has none, or its stored one includes a delegate this program did not give.</exception>
    /// <example>
    /// <code>
    /// var schema = ValueValidators.JsonSchema(accountSchema);
    /// var bad = db.ValidateExisting(accounts, schema).ToList();
    /// if (bad.Count == 0) { /* reopen with Validator = schema */ }
    /// </code>
    /// </example>
    public IEnumerable<ValidationViolation> ValidateExisting(ColumnFamilyHandle columnFamily, IValueValidator? validator = null)
    {
        CheckHandle(columnFamily);
        var cfd = columnFamily.Data;
        validator ??= cfd.Options.EnforcedValidator
            ?? throw new InvalidArgumentException($"Column family '{cfd.Name}' has no validator: pass one to check its values against.", nameof(validator));
        if (ValidatorCodec.Missing(validator).FirstOrDefault() is { } missing)
            throw new InvalidArgumentException($"The validator of column family '{cfd.Name}' includes {missing.What}, which this program did not give: pass the validator to check against.", nameof(validator));
        return ExistingValues.Violations(this, cfd, validator);
    }

    /// <summary>
    /// Keeps the family's stored validator when this open leaves <see cref="ColumnFamilyOptions.Validator"/>
    /// unset (rebuilding it from its description); a validator given replaces the stored one.
    /// </summary>
    private ColumnFamilyOptions KeepValidator(ColumnFamilyOptions options, ColumnFamilyState state)
    {
        if (options.ValidatorIsExplicit) return options;
        if (options.StoredValidator is null && state.Options is { } stored)
        {
            try { options.StoredValidator = ColumnFamilyOptionsCodec.Decode(stored).StoredValidator; }
            catch (CorruptionException ex) { throw ex.At(FileNames.Manifest(_path, _versions.ManifestFileNumber)); }
        }
        if (options.StoredValidator is { } description)
        {
            try { options.RebuiltValidator = ValidatorCodec.Build(description); }
            catch (CorruptionException ex) { throw ex.At(FileNames.Manifest(_path, _versions.ManifestFileNumber)); }
        }
        return options;
    }

    /// <summary>Adds the validation stage to the write path once some family has a validator (before any write to it).</summary>
    private void EnsureValidationStage(IEnumerable<ColumnFamilyData> families)
    {
        if (!families.Any(c => c.Options.EnforcedValidator is not null)) return;
        if (Interlocked.Exchange(ref _validationStageAdded, 1) == 1) return;
        _writePath.AddStage(new ValidationStage(this, this), WriteStageOrder.Validation);
    }
}
