using LatticeKV.Integrity;

namespace LatticeKV;

// Foreign keys between column families (engine/Integrity): the public members, and what the
// foreign key catalog needs from the database.
public sealed partial class LatticeDb
{
    /// <summary>
    /// Adds a foreign key: from now on a write leaving a child of <see cref="ForeignKeyDefinition.ChildFamily"/>
    /// without its parent in <see cref="ForeignKeyDefinition.ParentFamily"/> throws
    /// <see cref="ReferentialIntegrityException"/> and writes nothing, and deleting a parent with
    /// children is refused or cascades (<see cref="ForeignKeyDefinition.OnDelete"/>), decided at
    /// commit against every earlier write. Children are found through an index of the child
    /// family keyed by parent key, which the foreign key owns (named <c>__fk.NAME</c>, not listed).
    /// The existing data is verified first: any violation is reported, all of them in
    /// <see cref="ReferentialIntegrityException.Violations"/>, and nothing is enforced. Writes
    /// running meanwhile are checked from before the verification's snapshot. Returns once the
    /// key is enforced; may take as long as indexing the child family.
    /// </summary>
    /// <exception cref="InvalidArgumentException">The definition is invalid or the name is taken.</exception>
    /// <exception cref="ReferentialIntegrityException">The existing data breaks the key (nothing enforced).</exception>
    public void AddForeignKey(ForeignKeyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ThrowIfClosed();
        ThrowIfReadOnly("adding a foreign key");
        _foreignKeys!.Add(definition);
    }

    /// <summary>Stops enforcing a foreign key and drops its index.</summary>
    public void DropForeignKey(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfClosed();
        ThrowIfReadOnly("dropping a foreign key");
        _foreignKeys!.Drop(name);
    }

    /// <summary>The foreign keys of this database, by name.</summary>
    public IReadOnlyList<ForeignKeyDefinition> ListForeignKeys()
    {
        ThrowIfClosed();
        return [.. _foreignKeys!.All.OrderBy(k => k.Name, StringComparer.Ordinal).Select(k => k.ToDefinition())];
    }

    /// <summary>
    /// Checks every foreign key and every family's validator over all data as of one snapshot:
    /// each child's parents exist, and each value of a family with a validator passes it. Lists
    /// at most <paramref name="maxListed"/> violations of each kind (all are counted). A key whose
    /// custom extractor, or a validator whose delegate or class, was not supplied at open is
    /// reported as not checkable.
    /// </summary>
    public IntegrityReport VerifyIntegrity(int maxListed = 1000)
    {
        ThrowIfClosed();
        if (maxListed < 0) throw new InvalidArgumentException("maxListed must not be negative.", nameof(maxListed));
        return IntegrityVerifier.Verify(this, _foreignKeys!.All, maxListed);
    }

    /// <summary>Loads the stored foreign keys (at open, after the indexes).</summary>
    private void OpenForeignKeys()
    {
        _foreignKeys = new ForeignKeyCatalog(this, new Dictionary<string, IndexExtractor>(_options.IndexExtractors, StringComparer.Ordinal));
        _foreignKeys.Load();
    }

    /// <summary>Withdraws foreign keys whose add was interrupted (at open, once background work runs).</summary>
    private void ResumeForeignKeys() => _foreignKeys!.Resume();

    /// <summary>A family a foreign key names cannot be dropped until the key is.</summary>
    private void ThrowIfReferenced(ColumnFamilyHandle columnFamily)
    {
        if (_foreignKeys is not null && _foreignKeys.Names(columnFamily.Id, out string key))
            throw new InvalidArgumentException($"Column family '{columnFamily.Name}' is named by foreign key '{key}': drop the foreign key first.", nameof(columnFamily));
    }

    /// <summary>Indexes owned by foreign keys are not the user's to create, list or drop.</summary>
    private static void ThrowIfOwnedIndexName(string name)
    {
        if (ForeignKeyFamilies.IsOwnedIndex(name))
            throw new InvalidArgumentException($"Index names starting '{ForeignKeyFamilies.IndexPrefix}' belong to foreign keys.", nameof(name));
    }

    internal ForeignKeyCatalog? ForeignKeys => _foreignKeys;
}
