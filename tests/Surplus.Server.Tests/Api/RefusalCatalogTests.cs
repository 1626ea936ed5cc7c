using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Surplus.Exchange;
using Surplus.Market;
using Surplus.Protocol;
using Surplus.Server.Api;
using Surplus.Server.Tests.Api.OpenApi;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// The catalog of refusals is the one place a code is written: each code is defined once, answered
/// somewhere in the sources, listed in docs/api.md with the values its answers carry, and every reject
/// code of the core has its refusal. Each wording of a refusal (the exchange's and the host's in
/// RefusalMessages, the core's in RejectMessages) is used, and formats from its values alone.
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
        var sources = Sources("Refusals.cs");

        var unused = Fields.Where(f => !sources.Any(s => s.Contains($"Refusals.{f.Name}", StringComparison.Ordinal))).Select(f => f.Name);

        Assert.Empty(unused);
    }

    [Fact]
    public void Catalog_EachRefusal_HasAWordingToSayItIn()
    {
        Assert.Empty(Refusals.All.Where(r => !Messages().Any(m => m.Refusal == r)).Select(r => r.Code));
    }

    [Fact]
    public void Messages_EachWording_IsUsedSomewhereInTheSources()
    {
        var exchange = Sources("RefusalMessages.cs");
        var core = Sources("RejectMessages.cs");

        Assert.Empty(MessageFields(typeof(RefusalMessages), typeof(RefusalMessage)).Concat(MessageFields(typeof(RefusalMessages), typeof(MessageTemplate)))
            .Where(f => !exchange.Any(s => s.Contains($"RefusalMessages.{f.Name}", StringComparison.Ordinal))).Select(f => f.Name));
        Assert.Empty(MessageFields(typeof(RejectMessages), typeof(RejectMessage))
            .Where(f => !core.Any(s => s.Contains($"RejectMessages.{f.Name}", StringComparison.Ordinal))).Select(f => f.Name));
    }

    public static TheoryData<string> MessageNames => [.. Messages().Select(m => m.Name).Distinct()];

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Message_FormatsFromItsValues_AndGivesEachAsAnExtensionMember(string name)
    {
        foreach (var (_, refusal, template) in Messages().Where(m => m.Name == name))
        {
            var values = template.Names.Select(n => new MessageValue(n, $"‹{n}›")).ToArray();

            var refused = new Refused(refusal, template, values);

            Assert.All(template.Names, n =>
            {
                Assert.Matches(MemberShape(), n);
                Assert.DoesNotContain(n, ProblemJson.StandardMembers);
                Assert.Contains($"‹{n}›", refused.Detail, StringComparison.Ordinal);
                Assert.Throws<ArgumentException>(() => new Refused(refusal, template, [.. values.Where(v => v.Name != n)]));
            });
            Assert.DoesNotMatch(Hole(), refused.Detail);
            var problem = JsonDocument.Parse(ProblemJson.WriteUtf8(refused)).RootElement;
            Assert.Equal((refusal.Type, refusal.Title, refusal.Status, refused.Detail),
                (problem.GetProperty("type").GetString(), problem.GetProperty("title").GetString(), problem.GetProperty("status").GetInt32(), problem.GetProperty("detail").GetString()));
            Assert.Equal(template.Names.Select(n => (n, $"‹{n}›")), problem.EnumerateObject().Skip(4).Select(p => (p.Name, p.Value.GetString()!)));
        }
    }

    [Fact]
    public void Catalog_EachCodesValues_AreListedInTheApiGuide()
    {
        var guide = File.ReadAllText(Path.Combine(ApiSpec.RepositoryRoot(), "docs", "api.md"));

        var missing = Refusals.All.Select(r => $"| `{r.Code}` | {r.Status} | {r.Title} | {(ValuesOf(r).Any() ? string.Join(", ", ValuesOf(r).Select(n => $"`{n}`")) : "—")} |")
            .Where(row => !guide.Contains(row, StringComparison.Ordinal)).ToList();

        Assert.True(missing.Count == 0, $"docs/api.md lacks these rows of the catalog:\n{string.Join("\n", missing)}");
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
            Assert.Equal(renamed.GetValueOrDefault(code, RejectCodes.Name(code)), Refused.Of(code).Code);
        }
    }

    /// <summary>The names of the values a refusal's answers may carry: the holes of all its wordings.</summary>
    private static IEnumerable<string> ValuesOf(Refusal refusal) =>
        Messages().Where(m => m.Refusal == refusal).SelectMany(m => m.Template.Names).Distinct().Order(StringComparer.Ordinal);

    /// <summary>
    /// Every wording, with the refusal of the catalog it says: the exchange's and the host's; the core's
    /// under the refusal its code is answered with (a contract's not-owner under its own); and what is
    /// said after a contract's refusal of a move, under the refusals a contract's move answers.
    /// </summary>
    private static IEnumerable<(string Name, Refusal Refusal, MessageTemplate Template)> Messages()
    {
        foreach (var field in MessageFields(typeof(RefusalMessages), typeof(RefusalMessage)))
        {
            var message = (RefusalMessage)field.GetValue(null)!;
            yield return (field.Name, message.Refusal, message.Template);
        }

        foreach (var field in MessageFields(typeof(RejectMessages), typeof(RejectMessage)))
        {
            var message = (RejectMessage)field.GetValue(null)!;
            yield return ("core " + field.Name, Refused.Of(message.Code), message.Template);
            if (message.Code == RejectCode.NotOwner)
            {
                yield return ("core " + field.Name, Refusals.NotOwner, message.Template);
            }
        }

        foreach (var field in MessageFields(typeof(RefusalMessages), typeof(MessageTemplate)))
        {
            var suffix = (MessageTemplate)field.GetValue(null)!;
            yield return (field.Name, Refusals.ContractTransitionInvalid, suffix);
            yield return (field.Name, Refusals.NotOwner, suffix);
        }
    }

    private static IEnumerable<FieldInfo> MessageFields(Type holder, Type type) =>
        holder.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == type);

    /// <summary>The C# sources under src/, but the file named <paramref name="except"/>.</summary>
    private static List<string> Sources(string except) =>
        [.. Directory.EnumerateFiles(Path.Combine(ApiSpec.RepositoryRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(p) != except)
            .Select(File.ReadAllText)];

    [GeneratedRegex("^[a-z][A-Za-z0-9]*$")]
    private static partial Regex MemberShape();

    [GeneratedRegex("\\{[A-Za-z][A-Za-z0-9]*(:[^{}]*)?\\}")]
    private static partial Regex Hole();

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    private static partial Regex CodeShape();
}
