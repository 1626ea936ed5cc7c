using Microsoft.Extensions.Logging.Abstractions;
using Surplus.Client;

namespace Surplus.Agent.Tests;

public sealed class SellerAgentDiskTests : IDisposable
{
    private readonly TempFolder temp = new();

    private SellerAgent Agent(long freeBytes, out SurplusClient client)
    {
        client = new SurplusClient(new Uri("http://127.0.0.1:9"));
        var config = new AgentConfig { WorkFolder = temp.Path, Disk = new AgentDisk { ReserveBytes = 1_000, StagingBytes = 500 } };
        return new SellerAgent(config, client, TimeProvider.System, NullLogger.Instance, _ => freeBytes);
    }

    [Theory]
    [InlineData(1_499, true)]
    [InlineData(1_500, false)]
    public void DiskProblem_FreeBytesAgainstReservePlusOneContract_DeclinesOnlyWhenShort(long free, bool declined)
    {
        using var agent = Agent(free, out var client);
        using (client)
        {
            var problem = agent.DiskProblem();

            Assert.Equal(declined, problem is not null);
            if (declined)
            {
                Assert.Contains("disk is short", problem, StringComparison.Ordinal);
            }
        }
    }

    public void Dispose() => temp.Dispose();
}
