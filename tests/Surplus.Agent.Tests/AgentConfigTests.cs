namespace Surplus.Agent.Tests;

public sealed class AgentConfigTests : IDisposable
{
    private readonly TempFolder temp = new();

    private (AgentConfig? Config, string? Error) Load(string json)
    {
        var path = Path.Combine(temp.Path, "agent.json");
        File.WriteAllText(path, json);
        return AgentConfig.Load(path);
    }

    [Fact]
    public void Load_FullExample_ResolvesFoldersAgainstTheFile()
    {
        var (config, error) = Load("""
            {
              "server": "http://127.0.0.1:5080", "key": "mk_x", // comments are allowed
              "workFolder": "work", "runtimes": ["wasm", "process"],
              "fetch": { "fileRoots": ["data"] },
              "offers": [
                { "market": "compute", "rate": 100, "ask": 41.67, "recurrence": { "rule": "FREQ=WEEKLY;BYDAY=SA", "start": "00:00", "durationMinutes": 1440, "timeZone": "Europe/Zurich" } },
                { "market": "compute", "rate": 50, "ask": 20, "fromNowMinutes": 60 },
              ]
            }
            """);

        Assert.Null(error);
        Assert.Equal(Path.Combine(temp.Path, "work"), config!.WorkFolder);
        Assert.Equal([Path.Combine(temp.Path, "data")], config.Fetch.FileRoots);
        Assert.Equal(100, config.CapacityOf("compute"));
        Assert.Equal(0, config.CapacityOf("storage"));
    }

    [Theory]
    [InlineData("""{ "server": "ftp://x", "key": "k" }""", "server: 'ftp://x' is not the exchange's http(s) address")]
    [InlineData("""{ "server": "http://x" }""", "key: give the seller's API key")]
    [InlineData("""{ "server": "http://x", "key": "k", "runtimes": ["docker"] }""", "runtimes: use 'wasm'")]
    [InlineData("""{ "server": "http://x", "key": "k", "offers": [{ "market": "compute", "rate": 1, "ask": 1 }] }""", "offers[0]: give exactly one of")]
    [InlineData("""{ "server": "http://x", "key": "k", "offers": [{ "market": "compute", "rate": 1, "ask": 1, "start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z" }] }""", "offers[0]: a one-off window needs start before end")]
    [InlineData("""{ "server": "http://x", "key": "k", "limits": { "memoryMegabytes": 0 } }""", "limits: memoryMegabytes")]
    [InlineData("""{ "server": "http://x", "key": "k", "sever": "typo" }""", "is not a valid agent configuration")]
    [InlineData("""{ "server": "http://x", "key": "k", "keepOffersSeconds": 0 }""", "keepOffersSeconds must be 1 to 86400")]
    public void Load_BadConfiguration_SaysWhatToFix(string json, string expected)
    {
        var (config, error) = Load(json);

        Assert.Null(config);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void FromNow_AlignsToTheNextSlotAndRoundsUp()
    {
        var (start, end) = OfferKeeper.FromNow(new DateTimeOffset(2026, 11, 25, 15, 0, 2, TimeSpan.Zero), 5, 1);

        Assert.Equal(new DateTimeOffset(2026, 11, 25, 15, 0, 5, TimeSpan.Zero), start);
        Assert.Equal(start.AddMinutes(1), end);
    }

    [Theory]
    [InlineData("https://example.com/data/payroll.csv", 0, "https://example.com/data/payroll.csv", "payroll.csv")]
    [InlineData("https://example.com/x?id=3#march.csv", 0, "https://example.com/x?id=3", "march.csv")]
    [InlineData("https://example.com/a#../../etc/passwd", 2, "https://example.com/a", "input-2")]
    [InlineData("blob:0000000000000000000000000000000000000000000000000000000000000000", 1, "blob:0000000000000000000000000000000000000000000000000000000000000000", "input-1")]
    public void InputName_NamesTheFileInIn(string location, int index, string expectedLocation, string expectedName) =>
        Assert.Equal((expectedLocation, expectedName), SellerAgent.InputName(location, index));

    public void Dispose() => temp.Dispose();
}
