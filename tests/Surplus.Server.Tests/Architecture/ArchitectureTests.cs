using System.Reflection;
using NetArchTest.Rules;
using Surplus.Exchange.Engine;
using Surplus.Market;

namespace Surplus.Server.Tests.Architecture;

/// <summary>
/// The shape the projects keep: the exchange is a library without HTTP, every arrow between
/// projects points one way, and the folders of a project do not depend on each other in a cycle.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Exchange = typeof(WriteGate).Assembly;
    private static readonly Assembly Server = typeof(ServerApp).Assembly;
    private static readonly Assembly Core = typeof(MarketEngine).Assembly;
    private static readonly Assembly Wire = typeof(Surplus.Protocol.Refusals).Assembly;

    [Fact]
    public void Exchange_ReferencesNoAspNetCoreAndNotTheHost()
    {
        var references = Exchange.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.DoesNotContain(references, n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain("Surplus.Server", references);
        AssertSuccess(Types.InAssembly(Exchange).ShouldNot().HaveDependencyOnAny("Microsoft.AspNetCore", "Surplus.Server").GetResult());
    }

    /// <summary>
    /// The exchange answers outcomes (accepted how, or a catalogued refusal), never an HTTP status:
    /// no type of it carries a number named Status. The host picks the status (Api/Problems.cs).
    /// </summary>
    [Fact]
    public void Exchange_HasNoMemberNamedStatusThatIsANumber()
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var numbers = Exchange.GetTypes()
            .SelectMany(t => t.GetProperties(All).Select(p => (Type: t, p.Name, Of: p.PropertyType))
                .Concat(t.GetFields(All).Select(f => (Type: t, f.Name, Of: f.FieldType))))
            .Where(m => m.Name.Equals("Status", StringComparison.OrdinalIgnoreCase) && (Nullable.GetUnderlyingType(m.Of) ?? m.Of) == typeof(int))
            .Select(m => $"{m.Type.FullName}.{m.Name}")
            .ToList();

        Assert.Empty(numbers);
    }

    [Fact]
    public void Projects_DependOneWay_CoreAndWireOnNothingOfTheServer()
    {
        AssertSuccess(Types.InAssembly(Core).ShouldNot().HaveDependencyOnAny("Surplus.Exchange", "Surplus.Server", "Surplus.Protocol", "Surplus.Client", "Surplus.Agent", "Microsoft.AspNetCore").GetResult());
        AssertSuccess(Types.InAssembly(Wire).ShouldNot().HaveDependencyOnAny("Surplus.Market", "Surplus.Exchange", "Surplus.Server", "Surplus.Client", "Surplus.Agent", "Microsoft.AspNetCore").GetResult());
        AssertSuccess(Types.InAssembly(Server).ShouldNot().HaveDependencyOnAny("Surplus.Client", "Surplus.Agent", "Surplus.Cli").GetResult());
    }

    /// <summary>The host's routes read through the exchange's query classes: no SQL, no connection and no database driver in them.</summary>
    [Fact]
    public void Routes_UseNoDatabase()
    {
        AssertSuccess(Types.InAssembly(Server).That().ResideInNamespace("Surplus.Server.Api")
            .ShouldNot().HaveDependencyOnAny("Dapper", "System.Data", "Npgsql", "Microsoft.Data.Sqlite").GetResult());
    }

    [Fact]
    public void Folders_OfEachProject_HaveNoCycle()
    {
        var cycles = new List<string>();
        foreach (var assembly in new[] { Exchange, Server, Core })
        {
            var root = assembly.GetName().Name!;
            var folders = assembly.GetTypes().Select(t => t.Namespace).OfType<string>()
                .Where(n => n.StartsWith(root + ".", StringComparison.Ordinal))
                .Select(n => root + "." + n[(root.Length + 1)..].Split('.')[0]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var uses = folders.ToDictionary(f => f, f => folders.Where(g => g != f && DependsOn(assembly, f, g)).ToList(), StringComparer.Ordinal);
            foreach (var (a, b) in folders.SelectMany(a => uses[a].Select(b => (a, b))).Where(p => string.CompareOrdinal(p.a, p.b) < 0))
            {
                if (Reaches(uses, b, a))
                {
                    cycles.Add($"{a} <-> {b}");
                }
            }
        }

        Assert.True(cycles.Count == 0, "cycles between folders: " + string.Join("; ", cycles));
    }

    /// <summary>Whether some type in folder <paramref name="from"/> uses a type of folder <paramref name="to"/>.</summary>
    private static bool DependsOn(Assembly assembly, string from, string to) =>
        !Types.InAssembly(assembly).That().ResideInNamespace(from).ShouldNot().HaveDependencyOnAny(to).GetResult().IsSuccessful;

    private static bool Reaches(Dictionary<string, List<string>> uses, string from, string to)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var next = new Stack<string>([from]);
        while (next.TryPop(out var at))
        {
            if (at == to)
            {
                return true;
            }

            if (seen.Add(at))
            {
                foreach (var b in uses[at])
                {
                    next.Push(b);
                }
            }
        }

        return false;
    }

    private static void AssertSuccess(TestResult result) =>
        Assert.True(result.IsSuccessful, "these types break the rule: " + string.Join(", ", result.FailingTypes?.Select(t => t.FullName) ?? []));
}
