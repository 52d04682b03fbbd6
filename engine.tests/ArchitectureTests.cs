using Mono.Cecil;
using Mono.Cecil.Cil;
using Xunit.Abstractions;

namespace LatticeKV.Tests;

/// <summary>
/// The layers of engine/ (STYLE.md): a folder depends only on its own layer or below. Every
/// type the engine compiles is read with Mono.Cecil, and every type it names is collected:
/// base types, interfaces, fields, signatures, locals, and what method bodies call, construct,
/// read or cast to. A type naming one of a higher layer fails the test.
/// </summary>
public class ArchitectureTests(ITestOutputHelper output)
{
    private const string Root = "LatticeKV";

    /// <summary>The layer of each namespace of the engine; a new folder must be placed here before it builds green.</summary>
    private static readonly Dictionary<string, int> Layers = new(StringComparer.Ordinal)
    {
        ["LatticeKV.Io"] = 0,
        ["LatticeKV.Coding"] = 0,
        ["LatticeKV.Metrics"] = 0,
        ["LatticeKV.Keys"] = 1,
        ["LatticeKV.Crypto"] = 1,
        ["LatticeKV.Cache"] = 1,
        ["LatticeKV.Wal"] = 2,
        ["LatticeKV.Memtable"] = 2,
        ["LatticeKV.Sst"] = 2,
        ["LatticeKV.Blob"] = 2,
        ["LatticeKV.Manifest"] = 3,
        ["LatticeKV.Compaction"] = 3,
        ["LatticeKV.Db"] = 4,
        [Root] = 4,
        ["LatticeKV.Inspect"] = 4,
        ["LatticeKV.Transactions"] = 5,
        ["LatticeKV.Indexing"] = 4, // wired by LatticeDb's index members (LatticeDb.Indexing.cs): beside the database, as Backup is
        ["LatticeKV.Integrity"] = 4, // validation and foreign keys: stages of the write path and rules of the remote apply, wired by LatticeDb (LatticeDb.Validation.cs, LatticeDb.ForeignKeys.cs)
        ["LatticeKV.Migrations"] = 4, // schema versions and migration steps run at open, wired by LatticeDb (LatticeDb.Migrations.cs)
        ["LatticeKV.Replication"] = 4, // wired into the write path by LatticeDb (LatticeDb.Replication.cs): beside the database, as Indexing is
        ["LatticeKV.Sync"] = 5,
        ["LatticeKV.Events"] = 4, // the dispatcher, event file and alerts: they carry the public event records of the root namespace, and Db's write path raises stalls through them
        ["LatticeKV.Backup"] = 4, // wired by DbOptions (AutoBackup, RecoverFromBackup): beside the database, not above it
        ["LatticeKV.Ledger"] = 5,
        ["LatticeKV.Ledger.Merkle"] = 5, // the Merkle log, tiles and checkpoints of the ledger
        ["LatticeKV.Ledger.Chain"] = 5, // Bitcoin-style chain data and verification against the network
        ["LatticeKV.Monitoring"] = 4, // storage history and live statistics: its records are the public StorageSample (root, layer 4), sampled by LatticeDb (LatticeDb.Monitoring.cs)
    };

    /// <summary>
    /// Types of the root namespace that sit at the bottom although the public API lives there:
    /// what callers pass down to the layers that act on it, and which depends on nothing above.
    /// The exception types (<see cref="LatticeException"/> and its subclasses, in engine/Errors/)
    /// are placed there as well, by inheritance: every layer must throw them.
    /// </summary>
    private static readonly HashSet<string> RootTypesAtTheBottom = new(StringComparer.Ordinal)
    {
        "LatticeKV.KeyComparator", // the user's key order: Keys wraps it into the internal key order
        "LatticeKV.CompressionType", // the table block codec: Sst writes and reads it
        "LatticeKV.CompactionFilter", // the user's garbage rule: Compaction's ValuePolicy applies it
        "LatticeKV.IMergeOperator", // the user's merge rule: Compaction's iterator applies it as reads do
        "LatticeKV.MergeOperands", // what the merge rule is handed: Compaction's operand list builds it
        "LatticeKV.ValidationViolation", // a refused stored value (family, key, reason): ValidationException carries them
        "LatticeKV.OperationKind", // the operations the engine times: Metrics keys its latencies by them
        "LatticeKV.SlowOperation", // a slow operation's record: Metrics' slow-operation log keeps them
    };

    [Fact]
    public void EngineTypes_ReferenceOnlyTheirLayerOrBelow()
    {
        var violations = Violations().ToList();
        foreach (var v in violations) output.WriteLine(v);
        Assert.True(violations.Count == 0, "arrows pointing up:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void EngineNamespaces_AllHaveALayer()
    {
        var unplaced = EngineTypes().Select(t => t.Namespace).Distinct().Where(ns => !Layers.ContainsKey(ns)).ToList();
        Assert.True(unplaced.Count == 0, "namespaces without a layer: " + string.Join(", ", unplaced));
    }

    /// <summary>Each entry earns its place: a folder below the API uses it (and so it exists).</summary>
    [Fact]
    public void RootTypesAtTheBottom_EachUsedBelowTheApi()
    {
        // The exceptions count as below: every layer throws them, so what they carry sits at the bottom too.
        var usedBelow = EngineTypes().Where(t => (t.Namespace != Root || IsLatticeException(t)) && LayerOf(t) < Layers[Root])
            .SelectMany(References).Select(t => t.FullName).ToHashSet();
        var unused = RootTypesAtTheBottom.Where(n => !usedBelow.Contains(n)).ToList();
        Assert.True(unused.Count == 0, "listed but used by no lower layer: " + string.Join(", ", unused));
    }

    /// <summary>The collector sees what only a method body names: VersionSet reaches CurrentFile through static calls alone.</summary>
    [Fact]
    public void References_StaticCallsInMethodBodies_AreSeen()
    {
        var versionSet = EngineTypes().Single(t => t.FullName == "LatticeKV.Manifest.VersionSet");
        Assert.DoesNotContain(versionSet.Fields, f => f.FieldType.Name == "CurrentFile");
        Assert.Contains("LatticeKV.Manifest.CurrentFile", References(versionSet).Select(t => t.FullName));
    }

    private static readonly Lazy<ModuleDefinition> Module = new(
        () => ModuleDefinition.ReadModule(typeof(LatticeDb).Assembly.Location, new ReaderParameters { InMemory = true }));

    /// <summary>Top-level types of the engine (nested and compiler-generated types count as their outermost type).</summary>
    private static IEnumerable<TypeDefinition> EngineTypes() => Module.Value.Types.Where(t => IsEngine(t.Namespace));

    private static bool IsEngine(string ns) => ns == Root || ns.StartsWith(Root + ".", StringComparison.Ordinal);

    /// <summary>"From (layer) -> To (layer)" for every reference to a type of a higher layer.</summary>
    private static IEnumerable<string> Violations()
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in EngineTypes())
        {
            int from = LayerOf(type);
            foreach (var target in References(type))
            {
                int to = LayerOf(target);
                if (to > from) result.Add($"{type.FullName} ({from}) -> {target.FullName} ({to})");
            }
        }
        return result;
    }

    /// <summary>The engine types <paramref name="type"/> names anywhere, as their outermost types.</summary>
    private static HashSet<TypeDefinition> References(TypeDefinition type)
    {
        var referenced = new HashSet<TypeDefinition>();
        Collect(type, referenced);
        return referenced;
    }

    private static int LayerOf(TypeDefinition type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        if (type.Namespace == Root && (RootTypesAtTheBottom.Contains(type.FullName) || IsLatticeException(type))) return 0;
        return Layers.TryGetValue(type.Namespace, out int layer) ? layer : int.MaxValue;
    }

    private static bool IsLatticeException(TypeDefinition type)
    {
        for (TypeDefinition? t = type; t is not null; t = t.BaseType is { } b && IsEngine(b.Namespace) ? b.Resolve() : null)
            if (t.FullName == "LatticeKV.LatticeException") return true;
        return false;
    }

    /// <summary>Adds the outermost engine type of everything <paramref name="type"/> and its nested types name.</summary>
    private static void Collect(TypeDefinition type, HashSet<TypeDefinition> into)
    {
        Add(type.BaseType, into);
        foreach (var i in type.Interfaces) Add(i.InterfaceType, into);
        foreach (var a in type.CustomAttributes) Add(a.AttributeType, into);
        foreach (var g in type.GenericParameters)
            foreach (var c in g.Constraints) Add(c.ConstraintType, into);
        foreach (var f in type.Fields) Add(f.FieldType, into);
        foreach (var p in type.Properties) Add(p.PropertyType, into);
        foreach (var e in type.Events) Add(e.EventType, into);
        foreach (var m in type.Methods)
        {
            Add(m.ReturnType, into);
            foreach (var p in m.Parameters) Add(p.ParameterType, into);
            foreach (var g in m.GenericParameters)
                foreach (var c in g.Constraints) Add(c.ConstraintType, into);
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) Add(v.VariableType, into);
            foreach (var instruction in m.Body.Instructions) AddOperand(instruction, into);
        }
        foreach (var nested in type.NestedTypes) Collect(nested, into);
    }

    private static void AddOperand(Instruction instruction, HashSet<TypeDefinition> into)
    {
        switch (instruction.Operand)
        {
            case TypeReference t:
                Add(t, into);
                break;
            case MethodReference m:
                Add(m.DeclaringType, into);
                Add(m.ReturnType, into);
                foreach (var p in m.Parameters) Add(p.ParameterType, into);
                if (m is GenericInstanceMethod gm)
                    foreach (var a in gm.GenericArguments) Add(a, into);
                break;
            case FieldReference f:
                Add(f.DeclaringType, into);
                Add(f.FieldType, into);
                break;
        }
    }

    private static void Add(TypeReference? reference, HashSet<TypeDefinition> into)
    {
        switch (reference)
        {
            case null or GenericParameter:
                return;
            case GenericInstanceType g:
                Add(g.ElementType, into);
                foreach (var a in g.GenericArguments) Add(a, into);
                return;
            case TypeSpecification s: // arrays, by-refs, pointers, modifiers
                Add(s.ElementType, into);
                return;
        }
        var outer = reference;
        while (outer.DeclaringType is not null) outer = outer.DeclaringType;
        if (!IsEngine(outer.Namespace) || outer.Scope is not ModuleDefinition) return;
        if (outer.Resolve() is { } definition) into.Add(definition);
    }
}
