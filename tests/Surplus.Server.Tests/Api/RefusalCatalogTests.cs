using System.Reflection;
using System.Text.RegularExpressions;
using Surplus.Market;
using Surplus.Protocol;
using Surplus.Server.Api;
using Surplus.Server.Tests.Api.OpenApi;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// The catalog of refusals is the one place a code is written: each code is defined once, answered
/// somewhere in the sources, listed in docs/api.md, and every reject code of the core has its refusal.
/// </summary>
public sealed partial class RefusalCatalogTests
{
    private static readonly FieldInfo[] Fields = [.. typeof(Refusals).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(Refusal))];

    [Fact]
    public void Catalog_EachCode_IsDefinedOnceWithAStatusAndATitle()
    {
        var codes = Fields.Select(f => ((Refusal)f.GetValue(null)!).Code).ToList();

        Assert.Equal(Fields.Length, Refusals.All.Count);
        Assert.Empty(codes.GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.All(Refusals.All, r =>
        {
            Assert.Matches(CodeShape(), r.Code);
            Assert.InRange(r.Status, 400, 599);
            Assert.False(string.IsNullOrWhiteSpace(r.Title), $"{r.Code} has no title");
        });
    }

    [Fact]
    public void Catalog_EachRefusal_IsAnsweredSomewhereInTheSources()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(ApiSpec.RepositoryRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(p) != "Refusals.cs")
            .Select(File.ReadAllText).ToList();

        var unused = Fields.Where(f => !sources.Any(s => s.Contains($"Refusals.{f.Name}", StringComparison.Ordinal))).Select(f => f.Name);

        Assert.Empty(unused);
    }

    [Fact]
    public void Catalog_EachCode_IsListedInTheApiGuide()
    {
        var guide = File.ReadAllText(Path.Combine(ApiSpec.RepositoryRoot(), "docs", "api.md"));

        Assert.Empty(Refusals.All.Where(r => !guide.Contains($"| `{r.Code}` | {r.Status} | {r.Title} |", StringComparison.Ordinal)).Select(r => r.Code));
    }

    [Fact]
    public void RejectCodes_EachHasARefusalOfTheSameNameOrSaysWhyNot()
    {
        // Unknown and foreign orders are one answer (not-found), so a stranger cannot tell them apart;
        // a negotiation that is gone is said as the API always said it.
        var renamed = new Dictionary<RejectCode, string>
        {
            [RejectCode.UnknownOrder] = "not-found",
            [RejectCode.NotOwner] = "not-found",
            [RejectCode.NegotiationUnknown] = "negotiation-ended",
        };

        foreach (var code in Enum.GetValues<RejectCode>())
        {
            Assert.Equal(renamed.GetValueOrDefault(code, RejectCodes.Name(code)), ApiError.Of(code).Code);
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    private static partial Regex CodeShape();
}
