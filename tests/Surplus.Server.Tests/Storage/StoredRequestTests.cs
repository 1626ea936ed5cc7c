using Surplus.Contracts;
using Surplus.Server.Engine;

namespace Surplus.Server.Tests.Storage;

/// <summary>An order's request is stored without its empty fields and reads back as it was placed.</summary>
public sealed class StoredRequestTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Need_WithEmptyFields_IsStoredWithoutThem_AndReadsBackTheSame()
    {
        var request = new PlaceNeedRequest("compute", 10, Start, Start.AddHours(1), 12.5m);

        var stored = Json.WriteStoredUtf8(request);
        var text = System.Text.Encoding.UTF8.GetString(stored);

        Assert.DoesNotContain("null", text, StringComparison.Ordinal);
        Assert.Equal(request, Json.Read<PlaceNeedRequest>(stored));
        Assert.True(stored.Length < Json.WriteUtf8(request).Length * 2 / 3, text);
    }

    [Fact]
    public void Need_WithEveryField_ReadsBackEveryField()
    {
        var job = new JobDto("https://example.test/p.wasm", "https://example.test/out/", ProgramSha256: new string('a', 64),
            Inputs: [new JobInputDto("https://example.test/in.csv")]);
        var request = new PlaceNeedRequest("compute", 10, Start, Start.AddHours(1), 12.5m, 14m, "spot", "all-or-none", 10, Start.AddMinutes(-5),
            ["gpu"], [4, 5], job);

        var read = Json.Read<PlaceNeedRequest>(Json.WriteStoredUtf8(request));

        Assert.Equal(Json.Write(request), Json.Write(read));
    }

    [Fact]
    public void Offer_WithEmptyFields_IsStoredWithoutThem_AndReadsBackTheSame()
    {
        var request = new PlaceOfferRequest("compute", 30, 10m, Start, Start.AddHours(1));

        var stored = Json.WriteStoredUtf8(request);

        Assert.DoesNotContain("null", System.Text.Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        Assert.Equal(request, Json.Read<PlaceOfferRequest>(stored));
    }
}
